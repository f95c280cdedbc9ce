"""loans falling due are announced once

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 10:41:02.844929+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import common.db

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Open loans already inside the window are announced on the job's first run after this.
    with op.batch_alter_table('loans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('falling_due_announced_at', common.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('loans', schema=None) as batch_op:
        batch_op.drop_column('falling_due_announced_at')
