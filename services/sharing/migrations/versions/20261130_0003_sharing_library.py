"""sharing library (入库): applications, library status, approved pairs, areas, honours

A profile that was `willing` is listed for the (subject, stage) pairs of its certificates and its
own district, so matching finds the same people as before until they apply anew.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 07:41:00.894178+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import json

import common.db

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('library_applications',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('teacher_id', sa.Uuid(), nullable=False),
    sa.Column('unit_id', sa.Uuid(), nullable=False),
    sa.Column('district_id', sa.Uuid(), nullable=True),
    sa.Column('offered', sa.JSON(), nullable=False),
    sa.Column('modes', sa.JSON(), nullable=False),
    sa.Column('weekly_cap', sa.Integer(), nullable=False),
    sa.Column('areas', sa.JSON(), nullable=False),
    sa.Column('statement', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('return_reason', sa.Text(), nullable=True),
    sa.Column('consented_by', sa.String(length=120), nullable=True),
    sa.Column('decided_by', sa.String(length=120), nullable=True),
    sa.Column('created_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('weekly_cap >= 1 AND weekly_cap <= 40', name=op.f('ck_library_applications_weekly_cap_range')),
    sa.ForeignKeyConstraint(['teacher_id'], ['teachers.id'], name=op.f('fk_library_applications_teacher_id_teachers'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_library_applications'))
    )
    with op.batch_alter_table('library_applications', schema=None) as batch_op:
        batch_op.create_index('ix_library_applications_status', ['status', 'district_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_library_applications_teacher_id'), ['teacher_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_library_applications_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_library_applications_updated_at'), ['updated_at'], unique=False)

    with op.batch_alter_table('teachers', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('library_status', sa.String(length=20), nullable=False, server_default='none')
        )
        batch_op.add_column(sa.Column('offered', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('areas', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('honours', sa.JSON(), nullable=False, server_default='[]'))

    teachers = sa.table(
        'teachers',
        sa.column('id', sa.Uuid()),
        sa.column('district_id', sa.Uuid()),
        sa.column('certificates', sa.JSON()),
        sa.column('willing', sa.Boolean()),
        sa.column('library_status', sa.String()),
        sa.column('offered', sa.JSON()),
        sa.column('areas', sa.JSON()),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(teachers.c.id, teachers.c.district_id, teachers.c.certificates).where(
            teachers.c.willing.is_(True)
        )
    ).all()
    for teacher_id, district_id, certificates in rows:
        if isinstance(certificates, str):
            certificates = json.loads(certificates)
        connection.execute(
            teachers.update()
            .where(teachers.c.id == teacher_id)
            .values(
                library_status='listed',
                offered=[[c['subject'], c['stage']] for c in certificates or []],
                areas=[str(district_id)] if district_id else [],
            )
        )

    with op.batch_alter_table('teachers', schema=None) as batch_op:
        batch_op.alter_column('library_status', server_default=None)
        batch_op.alter_column('offered', server_default=None)
        batch_op.alter_column('areas', server_default=None)
        batch_op.alter_column('honours', server_default=None)
        batch_op.drop_column('willing')



def downgrade() -> None:
    with op.batch_alter_table('teachers', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('willing', sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute("UPDATE teachers SET willing = TRUE WHERE library_status = 'listed'")
    with op.batch_alter_table('teachers', schema=None) as batch_op:
        batch_op.alter_column('willing', server_default=None)
        batch_op.drop_column('honours')
        batch_op.drop_column('areas')
        batch_op.drop_column('offered')
        batch_op.drop_column('library_status')

    with op.batch_alter_table('library_applications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_library_applications_updated_at'))
        batch_op.drop_index(batch_op.f('ix_library_applications_unit_id'))
        batch_op.drop_index(batch_op.f('ix_library_applications_teacher_id'))
        batch_op.drop_index('ix_library_applications_status')

    op.drop_table('library_applications')
