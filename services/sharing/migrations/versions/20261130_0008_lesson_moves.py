"""lesson moves (调课): a proposal by the teacher or the host school, answered by the other

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 11:22:40.703967+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import common.db

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('lesson_moves',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('lesson_id', sa.Uuid(), nullable=False),
    sa.Column('assignment_id', sa.Uuid(), nullable=False),
    sa.Column('teacher_id', sa.Uuid(), nullable=False),
    sa.Column('host_unit_id', sa.Uuid(), nullable=False),
    sa.Column('home_unit_id', sa.Uuid(), nullable=False),
    sa.Column('from_date', sa.Date(), nullable=False),
    sa.Column('from_period', sa.Integer(), nullable=False),
    sa.Column('to_date', sa.Date(), nullable=False),
    sa.Column('to_period', sa.Integer(), nullable=False),
    sa.Column('proposed_by', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('decided_by', sa.String(length=120), nullable=True),
    sa.Column('created_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', common.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['lesson_id'], ['lessons.id'], name=op.f('fk_lesson_moves_lesson_id_lessons'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lesson_moves'))
    )
    with op.batch_alter_table('lesson_moves', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lesson_moves_host_unit_id'), ['host_unit_id'], unique=False)
        batch_op.create_index('ix_lesson_moves_lesson', ['lesson_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_lesson_moves_teacher_id'), ['teacher_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('lesson_moves', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lesson_moves_teacher_id'))
        batch_op.drop_index('ix_lesson_moves_lesson')
        batch_op.drop_index(batch_op.f('ix_lesson_moves_host_unit_id'))

    op.drop_table('lesson_moves')
