"""school lifecycle: a unit's status, what it merged into, when it closed; the acts on record

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 08:20:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import common.db

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=20), nullable=False, server_default='open'))
        batch_op.add_column(sa.Column('merged_into_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('closed_on', sa.Date(), nullable=True))
    op.create_table('unit_acts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('unit_id', sa.Uuid(), nullable=False),
    sa.Column('other_unit_id', sa.Uuid(), nullable=True),
    sa.Column('district_id', sa.Uuid(), nullable=True),
    sa.Column('document_no', sa.String(length=80), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('correlation_id', sa.String(length=64), nullable=False),
    sa.Column('at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_unit_acts_unit_id_units'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_acts'))
    )
    with op.batch_alter_table('unit_acts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_acts_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_unit_acts_unit_id'), ['unit_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('unit_acts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_acts_unit_id'))
        batch_op.drop_index(batch_op.f('ix_unit_acts_kind'))
    op.drop_table('unit_acts')
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_column('closed_on')
        batch_op.drop_column('merged_into_id')
        batch_op.drop_column('status')
