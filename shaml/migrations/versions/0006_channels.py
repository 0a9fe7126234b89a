"""channels: the provider a contact writes on and a message went by, Telegram's verified phone, gateway phones

Revision ID: 0006_channels
Revises: 0005
Create Date: 2026-12-02 06:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_channels"
down_revision = "0005"
branch_labels = None
depends_on = None

_BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("provider", sa.String(20), nullable=True))
        batch_op.add_column(sa.Column("verified_phone", sa.String(32), nullable=True))
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("provider", sa.String(20), nullable=True))
    op.create_table(
        "gateway_phones",
        sa.Column("id", _BIG, primary_key=True, autoincrement=True),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("last_ping_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_event_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("health", sa.JSON(), nullable=True),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("device_id", name="uq_gateway_phones_device_id"),
    )


def downgrade() -> None:
    op.drop_table("gateway_phones")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("provider")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("verified_phone")
        batch_op.drop_column("provider")
