"""dated titles (staff_titles), refused hires (hire_refusals), reservation attempts

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 08:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import common.db

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('staff_titles',
    sa.Column('staff_id', sa.Uuid(), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('title', sa.String(length=40), nullable=False),
    sa.Column('document_no', sa.String(length=80), nullable=True),
    sa.Column('recorded_by', sa.String(length=120), nullable=False),
    sa.Column('recorded_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_staff_titles_staff_id_staff'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('staff_id', 'effective_from', name=op.f('pk_staff_titles'))
    )
    # Until now a title carried no date: the one on record is taken as held since the hire.
    op.execute(
        "INSERT INTO staff_titles (staff_id, effective_from, title, recorded_by, recorded_at) "
        "SELECT id, hire_date, title, 'migration:0004', created_at FROM staff "
        "WHERE title IS NOT NULL"
    )
    op.create_table('hire_refusals',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('application_id', sa.Uuid(), nullable=False),
    sa.Column('posting_id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=30), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hire_refusals'))
    )
    with op.batch_alter_table('hire_refusals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hire_refusals_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hire_refusals_posting_id'), ['posting_id'], unique=False)
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempt', sa.Integer(), server_default='1', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.drop_column('attempt')
    with op.batch_alter_table('hire_refusals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hire_refusals_posting_id'))
        batch_op.drop_index(batch_op.f('ix_hire_refusals_application_id'))
    op.drop_table('hire_refusals')
    op.drop_table('staff_titles')
