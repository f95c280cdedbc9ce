"""monthly reports for leadership, and what sharing's events tell staffing for them

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 08:55:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import common.db

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('library_members',
    sa.Column('teacher_id', sa.Uuid(), nullable=False),
    sa.Column('unit_id', sa.Uuid(), nullable=False),
    sa.Column('listed', sa.Boolean(), nullable=False),
    sa.Column('changed_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('teacher_id', name=op.f('pk_library_members'))
    )
    op.create_table('settled_periods',
    sa.Column('settlement_id', sa.Uuid(), nullable=False),
    sa.Column('home_unit_id', sa.Uuid(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('periods', sa.Integer(), nullable=False),
    sa.Column('total_cents', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('settlement_id', name=op.f('pk_settled_periods'))
    )
    with op.batch_alter_table('settled_periods', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_settled_periods_home_unit_id'), ['home_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_settled_periods_month'), ['month'], unique=False)
    op.create_table('monthly_reports',
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('scope', sa.String(length=60), nullable=False),
    sa.Column('district_id', sa.Uuid(), nullable=True),
    sa.Column('approved', sa.Integer(), nullable=False),
    sa.Column('occupied', sa.Integer(), nullable=False),
    sa.Column('vacant', sa.Integer(), nullable=False),
    sa.Column('required', sa.Integer(), nullable=False),
    sa.Column('shortage', sa.Integer(), nullable=False),
    sa.Column('loans_out', sa.Integer(), nullable=False),
    sa.Column('loans_overdue', sa.Integer(), nullable=False),
    sa.Column('pool_balance', sa.Integer(), nullable=False),
    sa.Column('library_size', sa.Integer(), nullable=False),
    sa.Column('library_by_subject', sa.JSON(), nullable=False),
    sa.Column('periods_taught', sa.Integer(), nullable=False),
    sa.Column('period_pay_cents', sa.Integer(), nullable=False),
    sa.Column('hires_via_talent', sa.Integer(), nullable=False),
    sa.Column('taken_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('month', 'scope', name=op.f('pk_monthly_reports'))
    )


def downgrade() -> None:
    op.drop_table('monthly_reports')
    with op.batch_alter_table('settled_periods', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_settled_periods_month'))
        batch_op.drop_index(batch_op.f('ix_settled_periods_home_unit_id'))
    op.drop_table('settled_periods')
    op.drop_table('library_members')
