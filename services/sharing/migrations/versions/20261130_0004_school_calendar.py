"""school calendar: statutory days off and 调休 working days, terms, districts' days off

Ships the 2026 days of 国务院办公厅关于2026年部分节假日安排的通知 (services/sharing/schoolcal/
published.py); city HR adds later years as they are published.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 08:24:09.543396+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import common.db
from common.db import utcnow
from services.sharing.schoolcal.published import PUBLISHED, calendar_rows

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('calendar_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('follows_weekday', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('updated_by', sa.String(length=120), nullable=False),
    sa.Column('updated_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(kind = 'workday' AND follows_weekday BETWEEN 1 AND 5) OR (kind = 'holiday' AND follows_weekday IS NULL)", name=op.f('ck_calendar_days_workday_follows_a_weekday')),
    sa.CheckConstraint("kind IN ('holiday', 'workday')", name=op.f('ck_calendar_days_kind_known')),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_calendar_days'))
    )
    with op.batch_alter_table('calendar_days', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_days_updated_at'), ['updated_at'], unique=False)

    op.create_table('district_days_off',
    sa.Column('district_id', sa.Uuid(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('district_id', 'day', name=op.f('pk_district_days_off'))
    )
    op.create_table('school_terms',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('school_year', sa.String(length=9), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('updated_by', sa.String(length=120), nullable=False),
    sa.Column('updated_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_school_terms_dates_ordered')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_school_terms')),
    sa.UniqueConstraint('school_year', 'name', name='one_name_per_year')
    )
    with op.batch_alter_table('school_terms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_school_terms_updated_at'), ['updated_at'], unique=False)

    with op.batch_alter_table('lessons', schema=None) as batch_op:
        batch_op.add_column(sa.Column('moved_from', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('moved_from_period', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('covered_by', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('note', sa.Text(), nullable=True))

    days = sa.table(
        'calendar_days',
        sa.column('day', sa.Date()),
        sa.column('kind', sa.String()),
        sa.column('name', sa.String()),
        sa.column('follows_weekday', sa.Integer()),
        sa.column('source', sa.String()),
        sa.column('updated_by', sa.String()),
        sa.column('updated_at', common.db.UTCDateTime(timezone=True)),
    )
    now = utcnow()
    op.bulk_insert(
        days,
        [
            {**row, 'updated_by': 'system:published', 'updated_at': now}
            for notice in PUBLISHED
            for row in calendar_rows(notice)
        ],
    )


def downgrade() -> None:
    with op.batch_alter_table('lessons', schema=None) as batch_op:
        batch_op.drop_column('note')
        batch_op.drop_column('covered_by')
        batch_op.drop_column('moved_from_period')
        batch_op.drop_column('moved_from')
    with op.batch_alter_table('school_terms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_school_terms_updated_at'))

    op.drop_table('school_terms')
    op.drop_table('district_days_off')
    with op.batch_alter_table('calendar_days', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_days_updated_at'))

    op.drop_table('calendar_days')
