"""evaluations (考核评价): the configurable form, host schools' evaluations, derived ratings

A rating typed before this revision is no evaluation: every profile starts again at the neutral
3.0 with no evaluations, and the default form (labelled as a default to replace) is added.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 08:55:40.364970+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import uuid

import common.db
from common.db import utcnow

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('evaluation_forms',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_forms'))
    )
    op.create_table('evaluations',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('assignment_id', sa.Uuid(), nullable=False),
    sa.Column('form_id', sa.Uuid(), nullable=False),
    sa.Column('teacher_id', sa.Uuid(), nullable=False),
    sa.Column('home_unit_id', sa.Uuid(), nullable=False),
    sa.Column('host_unit_id', sa.Uuid(), nullable=False),
    sa.Column('period', sa.String(length=40), nullable=False),
    sa.Column('scores', sa.JSON(), nullable=False),
    sa.Column('comments', sa.JSON(), nullable=False),
    sa.Column('mean', sa.Float(), nullable=False),
    sa.Column('response', sa.Text(), nullable=True),
    sa.Column('responded_at', common.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_evaluations_assignment_id_assignments'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['form_id'], ['evaluation_forms.id'], name=op.f('fk_evaluations_form_id_evaluation_forms'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluations')),
    sa.UniqueConstraint('assignment_id', 'period', name='one_evaluation_per_period')
    )
    with op.batch_alter_table('evaluations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluations_home_unit_id'), ['home_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evaluations_host_unit_id'), ['host_unit_id'], unique=False)
        batch_op.create_index('ix_evaluations_teacher', ['teacher_id', 'created_at'], unique=False)

    with op.batch_alter_table('teachers', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('evaluations', sa.Integer(), nullable=False, server_default='0')
        )
    op.execute('UPDATE teachers SET rating = 3.0')
    with op.batch_alter_table('teachers', schema=None) as batch_op:
        batch_op.alter_column('evaluations', server_default=None)

    forms = sa.table(
        'evaluation_forms',
        sa.column('id', sa.Uuid()),
        sa.column('items', sa.JSON()),
        sa.column('active', sa.Boolean()),
        sa.column('source', sa.String()),
        sa.column('created_by', sa.String()),
        sa.column('created_at', common.db.UTCDateTime(timezone=True)),
    )
    op.bulk_insert(
        forms,
        [
            {
                'id': uuid.UUID('6f1d3c1e-7a0b-4c55-9d1e-2b7f0a4e5c01'),
                'items': [
                    {'key': 'attitude', 'zh': '教学态度', 'en': 'Attitude to teaching'},
                    {'key': 'effect', 'zh': '教学效果', 'en': 'Teaching results'},
                    {'key': 'attendance', 'zh': '出勤', 'en': 'Attendance'},
                    {'key': 'feedback', 'zh': '学生反馈', 'en': 'Pupils\' feedback'},
                ],
                'active': True,
                'source': 'default form shipped with teacherpool, to be replaced by city HR',
                'created_by': 'system:default',
                'created_at': utcnow(),
            }
        ],
    )



def downgrade() -> None:
    with op.batch_alter_table('teachers', schema=None) as batch_op:
        batch_op.drop_column('evaluations')

    with op.batch_alter_table('evaluations', schema=None) as batch_op:
        batch_op.drop_index('ix_evaluations_teacher')
        batch_op.drop_index(batch_op.f('ix_evaluations_host_unit_id'))
        batch_op.drop_index(batch_op.f('ix_evaluations_home_unit_id'))

    op.drop_table('evaluations')
    op.drop_table('evaluation_forms')
