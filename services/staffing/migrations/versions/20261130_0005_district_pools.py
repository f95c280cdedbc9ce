"""district pools: each district's own turnover pool per quota type, and which pool lends

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 08:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('district_pools',
    sa.Column('district_id', sa.Uuid(), nullable=False),
    sa.Column('quota_type', sa.String(length=20), nullable=False),
    sa.Column('balance', sa.Integer(), nullable=False),
    sa.CheckConstraint('balance >= 0', name=op.f('ck_district_pools_balance_not_negative')),
    sa.ForeignKeyConstraint(['district_id'], ['units.id'], name=op.f('fk_district_pools_district_id_units'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('district_id', 'quota_type', name=op.f('pk_district_pools'))
    )
    # Rows already there were all lent by the city's pool: no lender district.
    with op.batch_alter_table('pool_applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lender_district_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('referred_by', sa.String(length=120), nullable=True))
        batch_op.create_index(batch_op.f('ix_pool_applications_lender_district_id'), ['lender_district_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_pool_applications_lender_district_id_units'), 'units', ['lender_district_id'], ['id'], ondelete='RESTRICT')
    with op.batch_alter_table('loans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lender_district_id', sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f('ix_loans_lender_district_id'), ['lender_district_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_loans_lender_district_id_units'), 'units', ['lender_district_id'], ['id'], ondelete='RESTRICT')


def downgrade() -> None:
    with op.batch_alter_table('loans', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_loans_lender_district_id_units'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_loans_lender_district_id'))
        batch_op.drop_column('lender_district_id')
    with op.batch_alter_table('pool_applications', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_pool_applications_lender_district_id_units'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_pool_applications_lender_district_id'))
        batch_op.drop_column('referred_by')
        batch_op.drop_column('lender_district_id')
    op.drop_table('district_pools')
