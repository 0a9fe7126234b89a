"""encryption at rest: sealed columns become text, contacts get an address blind index, existing rows are sealed

The data pass seals every existing plaintext value in batches that commit as they go; the schema
steps check what is already there, so a run interrupted halfway is finished by running it again.
Needs the data keys (SHAML_DATA_KEYS / SHAML_BLIND_INDEX_KEY or SHAML_KEYS_FILE, docs/privacy.md).

Revision ID: 0009_encryption
Revises: 0008_raw_answers
Create Date: 2026-12-02 06:00:00
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0009_encryption"
down_revision = "0008_raw_answers"
branch_labels = None
depends_on = None

#: (table, column, old type) of every column this revision seals.
SEALED = (
    ("contacts", "address", "varchar"),
    ("contacts", "verified_phone", "varchar"),
    ("messages", "body", "text"),
    ("messages", "media", "json"),
    ("search_requests", "full_name", "varchar"),
    ("search_requests", "father_name", "varchar"),
    ("search_requests", "mother_name", "varchar"),
    ("search_requests", "birth_year", "integer"),
    ("search_requests", "governorate", "varchar"),
    ("search_requests", "detention_place", "varchar"),
    ("search_requests", "detention_date", "varchar"),
    ("search_requests", "searcher_name", "varchar"),
    ("search_requests", "relationship", "varchar"),
    ("search_requests", "raw_answers", "json"),
    ("registrations", "full_name", "varchar"),
    ("registrations", "father_name", "varchar"),
    ("registrations", "mother_name", "varchar"),
    ("registrations", "birth_year", "integer"),
    ("registrations", "governorate", "varchar"),
    ("registrations", "callback_address", "varchar"),
    ("registrations", "share_policy", "varchar"),
    ("registrations", "raw_answers", "json"),
    ("matches", "explanation", "json"),
    ("matches", "note", "text"),
)
#: Sealed columns found by equality, and the column holding each one's blind index (purpose "address").
BLIND_INDEXES = {("contacts", "address"): "address_bidx", ("contacts", "verified_phone"): "verified_phone_bidx"}
BATCH = 500


def _schema_before() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    if not inspector.has_table("data_key_checks"):
        op.create_table(
            "data_key_checks",
            sa.Column("kid", sa.String(length=16), nullable=False),
            sa.Column("sealed", sa.Text(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("kid", name=op.f("pk_data_key_checks")),
        )
    columns = {c["name"] for c in inspector.get_columns("contacts")}
    uniques = {u["name"] for u in inspector.get_unique_constraints("contacts")}
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        if "address_bidx" not in columns:
            batch_op.add_column(sa.Column("address_bidx", sa.String(length=32), nullable=True))
        if "verified_phone_bidx" not in columns:
            batch_op.add_column(sa.Column("verified_phone_bidx", sa.String(length=32), nullable=True))
        if "uq_contacts_channel_address" in uniques:
            batch_op.drop_constraint("uq_contacts_channel_address", type_="unique")
    # Ciphertext is longer than the plain value, and is text whatever the value was.
    if bind.dialect.name == "postgresql":
        for table, column, _old in SEALED:
            op.execute(f'ALTER TABLE {table} ALTER COLUMN "{column}" TYPE TEXT USING "{column}"::text')
    else:
        for table in dict.fromkeys(t for t, _c, _o in SEALED):
            with op.batch_alter_table(table, schema=None) as batch_op:
                for column in (c for t, c, _o in SEALED if t == table):
                    batch_op.alter_column(column, type_=sa.Text())


def _seal_existing() -> None:
    from bot.crypto import active
    from bot.crypto.reseal import Target, reseal

    keyring = active()
    with op.get_context().autocommit_block():
        bind = op.get_bind()
        for table, column, _old in SEALED:
            bidx = BLIND_INDEXES.get((table, column))
            target = Target(table, column, blind_index=bidx, purpose="address" if bidx else None)
            reseal(bind, target, batch_size=BATCH, keyring=keyring)


def _schema_after() -> None:
    from bot.crypto import active

    keyring = active()
    inspector = sa.inspect(op.get_bind())
    uniques = {u["name"] for u in inspector.get_unique_constraints("contacts")}
    indexes = {i["name"] for i in inspector.get_indexes("contacts")}
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.alter_column("address_bidx", existing_type=sa.String(length=32), nullable=False)
        if "uq_contacts_channel_address_bidx" not in uniques:
            batch_op.create_unique_constraint("uq_contacts_channel_address_bidx", ["channel", "address_bidx"])
        if "ix_contacts_verified_phone_bidx" not in indexes:
            batch_op.create_index("ix_contacts_verified_phone_bidx", ["verified_phone_bidx"])
    checks = sa.table("data_key_checks", sa.column("kid"), sa.column("sealed"), sa.column("created_at"))
    present = op.get_bind().execute(sa.select(checks.c.kid).where(checks.c.kid == keyring.current)).first()
    if present is None:
        from shaml.keys import CHECK_TEXT

        op.bulk_insert(checks, [{"kid": keyring.current, "sealed": keyring.seal(CHECK_TEXT),
                                 "created_at": dt.datetime.now(dt.timezone.utc)}])


def upgrade() -> None:
    _schema_before()
    _seal_existing()
    _schema_after()


def downgrade() -> None:
    raise NotImplementedError(
        "0009_encryption cannot be undone: the plaintext is gone; restore the backup taken before upgrading"
    )
