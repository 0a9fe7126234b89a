"""trust: corroborated registrations, partner contacts, operators' vetting, relayed conversations

Revision ID: 0007_trust
Revises: 0006_channels
Create Date: 2026-12-02 06:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_trust"
down_revision = "0006_channels"
branch_labels = None
depends_on = None

_BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("corroboration", sa.String(20), nullable=True))
        batch_op.add_column(sa.Column("corroborated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("hold_reason", sa.String(40), nullable=True))
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("partner", sa.String(100), nullable=True))
    op.create_table(
        "registration_vettings",
        sa.Column("id", _BIG, primary_key=True, autoincrement=True),
        sa.Column("registration_id", _BIG, sa.ForeignKey("registrations.id", ondelete="CASCADE"), nullable=False),
        sa.Column("operator_id", _BIG, sa.ForeignKey("operators.id"), nullable=False),
        sa.Column("how", sa.String(20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("registration_id", "operator_id", name="uq_vettings_registration_operator"),
    )
    op.create_table(
        "relay_threads",
        sa.Column("id", _BIG, primary_key=True, autoincrement=True),
        sa.Column("match_id", _BIG, sa.ForeignKey("matches.id", ondelete="CASCADE"), nullable=False, unique=True),
        sa.Column("family_contact_id", _BIG, sa.ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("registrant_contact_id", _BIG, sa.ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("relayed", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("held", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("relay_threads")
    op.drop_table("registration_vettings")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("partner")
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.drop_column("hold_reason")
        batch_op.drop_column("corroborated_at")
        batch_op.drop_column("corroboration")
