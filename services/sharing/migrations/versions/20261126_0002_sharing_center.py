"""sharing center: profiles, requests, offers, assignments, lessons, settlements, batches

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 10:04:20.576157+00:00
"""

import datetime
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import common.db
import sqlmodel

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('batch_matches',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('district_id', sa.Uuid(), nullable=True),
    sa.Column('term_start', sa.Date(), nullable=False),
    sa.Column('term_end', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('proposals', sa.JSON(), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_batch_matches'))
    )
    op.create_table('district_settings',
    sa.Column('district_id', sa.Uuid(), nullable=False),
    sa.Column('requires_approval', sa.Boolean(), nullable=False),
    sa.Column('updated_by', sa.String(length=120), nullable=False),
    sa.Column('updated_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('district_id', name=op.f('pk_district_settings'))
    )
    with op.batch_alter_table('district_settings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_district_settings_updated_at'), ['updated_at'], unique=False)

    rates = op.create_table('period_rates',
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('title', sa.String(length=40), nullable=False),
    sa.Column('rate_cents', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('effective_from', 'title', name=op.f('pk_period_rates'))
    )
    op.create_table('requests',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('unit_id', sa.Uuid(), nullable=False),
    sa.Column('district_id', sa.Uuid(), nullable=True),
    sa.Column('subject', sa.String(length=40), nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('slots', sa.JSON(), nullable=False),
    sa.Column('slot_mask', sa.BigInteger(), nullable=False),
    sa.Column('periods', sa.Integer(), nullable=False),
    sa.Column('term_start', sa.Date(), nullable=False),
    sa.Column('term_end', sa.Date(), nullable=False),
    sa.Column('mode', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('decided_by', sa.String(length=120), nullable=True),
    sa.Column('created_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('term_end >= term_start', name=op.f('ck_requests_term_ordered')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_requests'))
    )
    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_requests_district_id'), ['district_id'], unique=False)
        batch_op.create_index('ix_requests_status_term', ['status', 'term_start'], unique=False)
        batch_op.create_index(batch_op.f('ix_requests_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_requests_updated_at'), ['updated_at'], unique=False)

    op.create_table('teachers',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('unit_id', sa.Uuid(), nullable=False),
    sa.Column('district_id', sa.Uuid(), nullable=True),
    sa.Column('user_sub', sa.String(length=120), nullable=True),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('quota_type', sa.String(length=20), nullable=True),
    sa.Column('title', sa.String(length=40), nullable=True),
    sa.Column('subjects', sa.JSON(), nullable=False),
    sa.Column('stages', sa.JSON(), nullable=False),
    sa.Column('certificates', sa.JSON(), nullable=False),
    sa.Column('modes', sa.JSON(), nullable=False),
    sa.Column('home_timetable', sa.BigInteger(), nullable=False),
    sa.Column('weekly_cap', sa.Integer(), nullable=False),
    sa.Column('willing', sa.Boolean(), nullable=False),
    sa.Column('rating', sa.Float(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('left_on', sa.Date(), nullable=True),
    sa.Column('as_of', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('rating >= 0 AND rating <= 5', name=op.f('ck_teachers_rating_range')),
    sa.CheckConstraint('weekly_cap >= 0 AND weekly_cap <= 40', name=op.f('ck_teachers_weekly_cap_range')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_teachers')),
    sa.UniqueConstraint('user_sub', name=op.f('uq_teachers_user_sub'))
    )
    with op.batch_alter_table('teachers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_teachers_district_id'), ['district_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_teachers_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_teachers_updated_at'), ['updated_at'], unique=False)

    op.create_table('offers',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('request_id', sa.Uuid(), nullable=False),
    sa.Column('teacher_id', sa.Uuid(), nullable=False),
    sa.Column('home_unit_id', sa.Uuid(), nullable=False),
    sa.Column('home_district_id', sa.Uuid(), nullable=True),
    sa.Column('host_unit_id', sa.Uuid(), nullable=False),
    sa.Column('host_district_id', sa.Uuid(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('expires_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('batch_id', sa.Uuid(), nullable=True),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('consented_by', sa.String(length=120), nullable=True),
    sa.Column('answered_by', sa.String(length=120), nullable=True),
    sa.Column('created_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['requests.id'], name=op.f('fk_offers_request_id_requests'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['teacher_id'], ['teachers.id'], name=op.f('fk_offers_teacher_id_teachers'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offers'))
    )
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offers_home_unit_id'), ['home_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_offers_host_unit_id'), ['host_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_offers_request_id'), ['request_id'], unique=False)
        batch_op.create_index('ix_offers_status_expires', ['status', 'expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_offers_teacher_id'), ['teacher_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_offers_updated_at'), ['updated_at'], unique=False)

    op.create_table('settlements',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('teacher_id', sa.Uuid(), nullable=False),
    sa.Column('home_unit_id', sa.Uuid(), nullable=False),
    sa.Column('home_district_id', sa.Uuid(), nullable=True),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('title', sa.String(length=40), nullable=False),
    sa.Column('periods', sa.Integer(), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('adjustment_periods', sa.Integer(), nullable=False),
    sa.Column('adjustment_cents', sa.Integer(), nullable=False),
    sa.Column('total_cents', sa.Integer(), nullable=False),
    sa.Column('issued_by', sa.String(length=120), nullable=False),
    sa.Column('issued_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['teacher_id'], ['teachers.id'], name=op.f('fk_settlements_teacher_id_teachers'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_settlements')),
    sa.UniqueConstraint('teacher_id', 'month', name='one_per_month')
    )
    with op.batch_alter_table('settlements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_settlements_home_unit_id'), ['home_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_settlements_month'), ['month'], unique=False)

    op.create_table('assignments',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('offer_id', sa.Uuid(), nullable=False),
    sa.Column('request_id', sa.Uuid(), nullable=False),
    sa.Column('teacher_id', sa.Uuid(), nullable=False),
    sa.Column('home_unit_id', sa.Uuid(), nullable=False),
    sa.Column('host_unit_id', sa.Uuid(), nullable=False),
    sa.Column('host_district_id', sa.Uuid(), nullable=True),
    sa.Column('subject', sa.String(length=40), nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('mode', sa.String(length=20), nullable=False),
    sa.Column('slot_mask', sa.BigInteger(), nullable=False),
    sa.Column('periods', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('end_reason', sa.Text(), nullable=True),
    sa.Column('created_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_assignments_dates_ordered')),
    sa.ForeignKeyConstraint(['offer_id'], ['offers.id'], name=op.f('fk_assignments_offer_id_offers'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['request_id'], ['requests.id'], name=op.f('fk_assignments_request_id_requests'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['teacher_id'], ['teachers.id'], name=op.f('fk_assignments_teacher_id_teachers'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignments')),
    sa.UniqueConstraint('offer_id', name=op.f('uq_assignments_offer_id'))
    )
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignments_home_unit_id'), ['home_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assignments_host_unit_id'), ['host_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assignments_request_id'), ['request_id'], unique=False)
        batch_op.create_index('ix_assignments_teacher_status', ['teacher_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_assignments_updated_at'), ['updated_at'], unique=False)

    op.create_table('lessons',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('assignment_id', sa.Uuid(), nullable=False),
    sa.Column('teacher_id', sa.Uuid(), nullable=False),
    sa.Column('home_unit_id', sa.Uuid(), nullable=False),
    sa.Column('host_unit_id', sa.Uuid(), nullable=False),
    sa.Column('taught_on', sa.Date(), nullable=False),
    sa.Column('period', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('dispute_reason', sa.Text(), nullable=True),
    sa.Column('confirmed_by', sa.String(length=120), nullable=True),
    sa.Column('settlement_id', sa.Uuid(), nullable=True),
    sa.Column('updated_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_lessons_assignment_id_assignments'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['settlement_id'], ['settlements.id'], name=op.f('fk_lessons_settlement_id_settlements'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lessons')),
    sa.UniqueConstraint('assignment_id', 'taught_on', 'period', name='one_per_period')
    )
    with op.batch_alter_table('lessons', schema=None) as batch_op:
        batch_op.create_index('ix_lessons_host_date', ['host_unit_id', 'taught_on'], unique=False)
        batch_op.create_index('ix_lessons_teacher_date', ['teacher_id', 'taught_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_lessons_updated_at'), ['updated_at'], unique=False)

    # The starting rate table (课时补贴, yuan per period by title); HR adds dated rows later.
    op.bulk_insert(rates, [
        {"effective_from": datetime.date(2024, 1, 1), "title": title, "rate_cents": cents,
         "source": "teacherpool starting table"}
        for title, cents in (
            ("未定职称", 3500), ("三级教师", 4000), ("二级教师", 5000),
            ("一级教师", 6000), ("高级教师", 7500), ("正高级教师", 9000),
        )
    ])


def downgrade() -> None:
    with op.batch_alter_table('lessons', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lessons_updated_at'))
        batch_op.drop_index('ix_lessons_teacher_date')
        batch_op.drop_index('ix_lessons_host_date')

    op.drop_table('lessons')
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignments_updated_at'))
        batch_op.drop_index('ix_assignments_teacher_status')
        batch_op.drop_index(batch_op.f('ix_assignments_request_id'))
        batch_op.drop_index(batch_op.f('ix_assignments_host_unit_id'))
        batch_op.drop_index(batch_op.f('ix_assignments_home_unit_id'))

    op.drop_table('assignments')
    with op.batch_alter_table('settlements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_settlements_month'))
        batch_op.drop_index(batch_op.f('ix_settlements_home_unit_id'))

    op.drop_table('settlements')
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offers_updated_at'))
        batch_op.drop_index(batch_op.f('ix_offers_teacher_id'))
        batch_op.drop_index('ix_offers_status_expires')
        batch_op.drop_index(batch_op.f('ix_offers_request_id'))
        batch_op.drop_index(batch_op.f('ix_offers_host_unit_id'))
        batch_op.drop_index(batch_op.f('ix_offers_home_unit_id'))

    op.drop_table('offers')
    with op.batch_alter_table('teachers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_teachers_updated_at'))
        batch_op.drop_index(batch_op.f('ix_teachers_unit_id'))
        batch_op.drop_index(batch_op.f('ix_teachers_district_id'))

    op.drop_table('teachers')
    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_requests_updated_at'))
        batch_op.drop_index(batch_op.f('ix_requests_unit_id'))
        batch_op.drop_index('ix_requests_status_term')
        batch_op.drop_index(batch_op.f('ix_requests_district_id'))

    op.drop_table('requests')
    op.drop_table('period_rates')
    with op.batch_alter_table('district_settings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_district_settings_updated_at'))

    op.drop_table('district_settings')
    op.drop_table('batch_matches')
