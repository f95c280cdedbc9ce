"""quotas, the pool, the roster, reservations and the ledger; default standards

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 09:54:37.335816+00:00
"""

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op

import common.db

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('ledger_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('unit_id', sa.Uuid(), nullable=True),
    sa.Column('quota_type', sa.String(length=20), nullable=False),
    sa.Column('account', sa.String(length=20), nullable=False),
    sa.Column('delta', sa.Integer(), nullable=False),
    sa.Column('balance_after', sa.Integer(), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('document_no', sa.String(length=80), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('correlation_id', sa.String(length=64), nullable=False),
    sa.Column('at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_entries'))
    )
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_entries_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_entries_correlation_id'), ['correlation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_entries_kind'), ['kind'], unique=False)
        batch_op.create_index('ix_ledger_entries_unit_account', ['unit_id', 'quota_type', 'account'], unique=False)

    op.create_table('pools',
    sa.Column('quota_type', sa.String(length=20), nullable=False),
    sa.Column('balance', sa.Integer(), nullable=False),
    sa.CheckConstraint('balance >= 0', name=op.f('ck_pools_balance_not_negative')),
    sa.PrimaryKeyConstraint('quota_type', name=op.f('pk_pools'))
    )
    op.create_table('reservations',
    sa.Column('posting_id', sa.Uuid(), nullable=False),
    sa.Column('unit_id', sa.Uuid(), nullable=False),
    sa.Column('quota_type', sa.String(length=20), nullable=False),
    sa.Column('requested', sa.Integer(), nullable=False),
    sa.Column('held', sa.Integer(), nullable=False),
    sa.Column('filled', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('created_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('posting_id', name=op.f('pk_reservations'))
    )
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reservations_unit_id'), ['unit_id'], unique=False)

    op.create_table('retirement_ages',
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('sex', sa.String(length=10), nullable=False),
    sa.Column('age', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('effective_from', 'sex', name=op.f('pk_retirement_ages'))
    )
    op.create_table('standards',
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('pupils_per_post', sa.Float(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('effective_from', 'stage', name=op.f('pk_standards'))
    )
    op.create_table('pool_applications',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('unit_id', sa.Uuid(), nullable=False),
    sa.Column('quota_type', sa.String(length=20), nullable=False),
    sa.Column('requested', sa.Integer(), nullable=False),
    sa.Column('reason_kind', sa.String(length=40), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('term_years', sa.Integer(), nullable=False),
    sa.Column('forecast_attrition', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('granted', sa.Integer(), nullable=False),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('decided_by', sa.String(length=120), nullable=True),
    sa.Column('decided_at', common.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('submitted_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_pool_applications_unit_id_units'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pool_applications'))
    )
    with op.batch_alter_table('pool_applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pool_applications_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_pool_applications_unit_id'), ['unit_id'], unique=False)

    op.create_table('quotas',
    sa.Column('unit_id', sa.Uuid(), nullable=False),
    sa.Column('quota_type', sa.String(length=20), nullable=False),
    sa.Column('approved', sa.Integer(), nullable=False),
    sa.Column('occupied', sa.Integer(), nullable=False),
    sa.Column('reserved', sa.Integer(), nullable=False),
    sa.Column('borrowed', sa.Integer(), nullable=False),
    sa.CheckConstraint('approved >= 0', name=op.f('ck_quotas_approved_not_negative')),
    sa.CheckConstraint('borrowed >= 0', name=op.f('ck_quotas_borrowed_not_negative')),
    sa.CheckConstraint('occupied + reserved <= approved', name=op.f('ck_quotas_within_approved')),
    sa.CheckConstraint('occupied >= 0', name=op.f('ck_quotas_occupied_not_negative')),
    sa.CheckConstraint('reserved >= 0', name=op.f('ck_quotas_reserved_not_negative')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_quotas_unit_id_units'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('unit_id', 'quota_type', name=op.f('pk_quotas'))
    )
    op.create_table('staff',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('unit_id', sa.Uuid(), nullable=False),
    sa.Column('quota_type', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('sex', sa.String(length=10), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('hire_date', sa.Date(), nullable=False),
    sa.Column('subject', sa.String(length=40), nullable=True),
    sa.Column('stage', sa.String(length=20), nullable=True),
    sa.Column('title', sa.String(length=40), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('left_on', sa.Date(), nullable=True),
    sa.Column('posting_id', sa.Uuid(), nullable=True),
    sa.Column('talent_application_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_staff_unit_id_units'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff')),
    sa.UniqueConstraint('talent_application_id', name=op.f('uq_staff_talent_application_id'))
    )
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_staff_unit_id'), ['unit_id'], unique=False)

    op.create_table('loans',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('application_id', sa.Uuid(), nullable=True),
    sa.Column('unit_id', sa.Uuid(), nullable=False),
    sa.Column('quota_type', sa.String(length=20), nullable=False),
    sa.Column('granted', sa.Integer(), nullable=False),
    sa.Column('outstanding', sa.Integer(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('document_no', sa.String(length=80), nullable=True),
    sa.Column('overdue_announced_at', common.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('repaid_at', common.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['pool_applications.id'], name=op.f('fk_loans_application_id_pool_applications'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_loans_unit_id_units'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loans'))
    )
    with op.batch_alter_table('loans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loans_due_date'), ['due_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_loans_unit_id'), ['unit_id'], unique=False)

    # The city pools 编制 from the start; other quota types are pooled by PUT /v1/pools/{type}.
    op.bulk_insert(
        sa.table('pools', sa.column('quota_type', sa.String), sa.column('balance', sa.Integer)),
        [{'quota_type': 'bianzhi', 'balance': 0}],
    )
    unified_2014 = '中央编办发〔2014〕72号 统一城乡中小学教职工编制标准'
    op.bulk_insert(
        sa.table(
            'standards',
            sa.column('effective_from', sa.Date),
            sa.column('stage', sa.String),
            sa.column('pupils_per_post', sa.Float),
            sa.column('source', sa.String),
        ),
        [
            {'effective_from': date(2014, 11, 13), 'stage': 'senior', 'pupils_per_post': 12.5, 'source': unified_2014},
            {'effective_from': date(2014, 11, 13), 'stage': 'junior', 'pupils_per_post': 13.5, 'source': unified_2014},
            {'effective_from': date(2014, 11, 13), 'stage': 'primary', 'pupils_per_post': 19.0, 'source': unified_2014},
            # Two full-time teachers per class of about 30 children (教师〔2013〕1号).
            {'effective_from': date(2013, 1, 8), 'stage': 'kindergarten', 'pupils_per_post': 15.0, 'source': '教师〔2013〕1号 幼儿园教职工配备标准（暂行）'},
            # Twenty students per teacher (教职成〔2010〕12号).
            {'effective_from': date(2010, 7, 6), 'stage': 'vocational', 'pupils_per_post': 20.0, 'source': '教职成〔2010〕12号 中等职业学校设置标准'},
        ],
    )
    op.bulk_insert(
        sa.table(
            'retirement_ages',
            sa.column('effective_from', sa.Date),
            sa.column('sex', sa.String),
            sa.column('age', sa.Integer),
            sa.column('source', sa.String),
        ),
        [
            {'effective_from': date(1978, 6, 2), 'sex': 'male', 'age': 60, 'source': '国发〔1978〕104号'},
            {'effective_from': date(1978, 6, 2), 'sex': 'female', 'age': 55, 'source': '国发〔1978〕104号'},
        ],
    )


def downgrade() -> None:
    with op.batch_alter_table('loans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_loans_unit_id'))
        batch_op.drop_index(batch_op.f('ix_loans_due_date'))

    op.drop_table('loans')
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_unit_id'))
        batch_op.drop_index(batch_op.f('ix_staff_status'))

    op.drop_table('staff')
    op.drop_table('quotas')
    with op.batch_alter_table('pool_applications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pool_applications_unit_id'))
        batch_op.drop_index(batch_op.f('ix_pool_applications_status'))

    op.drop_table('pool_applications')
    op.drop_table('standards')
    op.drop_table('retirement_ages')
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reservations_unit_id'))

    op.drop_table('reservations')
    op.drop_table('pools')
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_entries_unit_account')
        batch_op.drop_index(batch_op.f('ix_ledger_entries_kind'))
        batch_op.drop_index(batch_op.f('ix_ledger_entries_correlation_id'))
        batch_op.drop_index(batch_op.f('ix_ledger_entries_at'))

    op.drop_table('ledger_entries')
