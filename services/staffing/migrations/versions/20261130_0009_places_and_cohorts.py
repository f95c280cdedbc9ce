"""places (学位): capacity per stage, class-size standards, grade counts, birth cohorts; where
an enrolment row comes from

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 08:40:00+00:00
"""

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHOOL_BUILDINGS = '建标〔2002〕102号 城市普通中小学校校舍建设标准（完全小学每班45人，初级中学、完全中学每班50人）'
KINDERGARTEN = '教育部令第39号 幼儿园工作规程（2016）第十一条（混合班30人）'
DEFAULT = 'default to be replaced by the city\'s own standard: no national class size found for 中职'


def upgrade() -> None:
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=20), nullable=False, server_default='count'))
    # Forecast rows so far were entered or imported by hand.
    op.execute("UPDATE enrolments SET source = 'import' WHERE forecast")
    op.create_table('grade_counts',
    sa.Column('unit_id', sa.Uuid(), nullable=False),
    sa.Column('school_year', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('grade', sa.Integer(), nullable=False),
    sa.Column('pupils', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_grade_counts_unit_id_units'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('unit_id', 'school_year', 'stage', 'grade', name=op.f('pk_grade_counts'))
    )
    op.create_table('capacities',
    sa.Column('unit_id', sa.Uuid(), nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('classes', sa.Integer(), nullable=False),
    sa.Column('class_size', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_capacities_unit_id_units'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('unit_id', 'stage', name=op.f('pk_capacities'))
    )
    op.create_table('class_size_standards',
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('pupils_per_class', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.PrimaryKeyConstraint('effective_from', 'stage', name=op.f('pk_class_size_standards'))
    )
    op.create_table('birth_cohorts',
    sa.Column('district_id', sa.Uuid(), nullable=False),
    sa.Column('birth_year', sa.Integer(), nullable=False),
    sa.Column('births', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['district_id'], ['units.id'], name=op.f('fk_birth_cohorts_district_id_units'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('district_id', 'birth_year', name=op.f('pk_birth_cohorts'))
    )
    op.bulk_insert(
        sa.table('class_size_standards', sa.column('effective_from', sa.Date), sa.column('stage', sa.String), sa.column('pupils_per_class', sa.Integer), sa.column('source', sa.String)),
        [
            {'effective_from': date(2002, 7, 1), 'stage': 'primary', 'pupils_per_class': 45, 'source': SCHOOL_BUILDINGS},
            {'effective_from': date(2002, 7, 1), 'stage': 'junior', 'pupils_per_class': 50, 'source': SCHOOL_BUILDINGS},
            {'effective_from': date(2002, 7, 1), 'stage': 'senior', 'pupils_per_class': 50, 'source': SCHOOL_BUILDINGS},
            {'effective_from': date(2016, 3, 1), 'stage': 'kindergarten', 'pupils_per_class': 30, 'source': KINDERGARTEN},
            {'effective_from': date(2002, 7, 1), 'stage': 'vocational', 'pupils_per_class': 45, 'source': DEFAULT},
        ],
    )


def downgrade() -> None:
    op.drop_table('birth_cohorts')
    op.drop_table('class_size_standards')
    op.drop_table('capacities')
    op.drop_table('grade_counts')
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.drop_column('source')
