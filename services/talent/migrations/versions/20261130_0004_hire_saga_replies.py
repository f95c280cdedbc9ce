"""the hire saga's replies: hiring / hire_failed with a reason; reservation attempts

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 08:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hire_requested_by', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('hire_attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('hire_failure_code', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('hire_failure_reason', sa.Text(), nullable=True))
    with op.batch_alter_table('postings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reservation_attempt', sa.Integer(), server_default='1', nullable=False))
    # A hire staffing never confirmed was shown as hired: say it is still being hired, so the
    # answer staffing sends (or reconcile) settles it.
    op.execute(
        "UPDATE applications SET status = 'hiring', hire_attempts = 1 "
        "WHERE status = 'hired' AND onboarded_at IS NULL"
    )


def downgrade() -> None:
    op.execute("UPDATE applications SET status = 'hired' WHERE status IN ('hiring', 'hire_failed')")
    with op.batch_alter_table('postings', schema=None) as batch_op:
        batch_op.drop_column('reservation_attempt')
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_column('hire_failure_reason')
        batch_op.drop_column('hire_failure_code')
        batch_op.drop_column('hire_attempts')
        batch_op.drop_column('hire_requested_by')
