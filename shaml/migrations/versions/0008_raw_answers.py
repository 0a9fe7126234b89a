"""raw answers: the words a family typed, kept beside the values read from them, for operators

Revision ID: 0008_raw_answers
Revises: 0007_trust
Create Date: 2026-12-02 06:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_raw_answers"
down_revision = "0007_trust"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("search_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("raw_answers", sa.JSON(), nullable=True))
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("raw_answers", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.drop_column("raw_answers")
    with op.batch_alter_table("search_requests", schema=None) as batch_op:
        batch_op.drop_column("raw_answers")
