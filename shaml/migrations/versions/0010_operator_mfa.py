"""operators: TOTP second factor and one-time password-reset links

Adds to ``operators``: the TOTP secret (sealed under the data key, like every secret at rest), when
it was enabled, the last time step accepted (a code is never accepted twice), and the SHA-256 of a
pending password-reset token with its expiry (the token itself is never stored).

Revision ID: 0010_operator_mfa
Revises: 0009_encryption
Create Date: 2026-12-02 09:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_operator_mfa"
down_revision = "0009_encryption"
branch_labels = None
depends_on = None

COLUMNS = (
    ("totp_secret", sa.Text()),
    ("mfa_enabled_at", sa.DateTime(timezone=True)),
    ("totp_last_step", sa.Integer()),
    ("reset_token_hash", sa.String(64)),
    ("reset_expires_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    with op.batch_alter_table("operators") as batch:
        for name, kind in COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("operators") as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
