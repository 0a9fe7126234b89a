"""gateway: message kind, route, reply link and retry time for the inbound pipeline and outbox

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 05:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("route", sa.String(length=20), nullable=True))
        batch_op.add_column(
            sa.Column("reply_to_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True)
        )
        batch_op.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_messages_reply_to_id_messages"),
            "messages",
            ["reply_to_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index("ix_messages_direction_status", ["direction", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_direction_status")
        batch_op.drop_constraint(batch_op.f("fk_messages_reply_to_id_messages"), type_="foreignkey")
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("reply_to_id")
        batch_op.drop_column("route")
        batch_op.drop_column("kind")
