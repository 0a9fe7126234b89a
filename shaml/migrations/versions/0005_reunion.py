"""reunion: consent timeline on matches, verification bookkeeping, search matching time, cool-down

Revision ID: 0005
Revises: 0002
Create Date: 2026-11-26 06:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0002"
branch_labels = None
depends_on = None

_BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("consent_requested_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("consent_escalated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_matches_status", ["status"], unique=False)
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("verification_sent_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("verification_attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("verified_by", _BIG, nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_registrations_verified_by_operators"), "operators", ["verified_by"], ["id"]
        )
        batch_op.create_index("ix_registrations_updated_at", ["updated_at"], unique=False)
    with op.batch_alter_table("search_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("matched_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_search_requests_updated_at", ["updated_at"], unique=False)
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cooldown_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("cooldown_until")
    with op.batch_alter_table("search_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_search_requests_updated_at")
        batch_op.drop_column("matched_at")
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.drop_index("ix_registrations_updated_at")
        batch_op.drop_constraint(batch_op.f("fk_registrations_verified_by_operators"), type_="foreignkey")
        batch_op.drop_column("verified_by")
        batch_op.drop_column("verification_attempts")
        batch_op.drop_column("verification_sent_at")
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.drop_index("ix_matches_status")
        batch_op.drop_column("notified_at")
        batch_op.drop_column("answered_at")
        batch_op.drop_column("consent_escalated_at")
        batch_op.drop_column("reminded_at")
        batch_op.drop_column("consent_requested_at")
