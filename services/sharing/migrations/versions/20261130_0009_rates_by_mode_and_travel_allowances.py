"""period rates by mode with a last day, and travel allowances by distance band

The rates already in the table apply to every mode ("any") and have no last day. The starting
table shipped with the first revision is labelled as a default to replace: it was never policy.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 12:01:30.924345+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import common.db

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


#: How the shipped starting rates are labelled: numbers to replace, not a published standard.
STARTING_TABLE_LABEL = "默认值，待替换 (a default to replace, not policy): teacherpool starting table"


def upgrade() -> None:
    op.create_table('travel_allowances',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('effective_to', sa.Date(), nullable=True),
    sa.Column('min_km', sa.Float(), nullable=False),
    sa.Column('max_km', sa.Float(), nullable=True),
    sa.Column('cents', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_travel_allowances'))
    )
    with op.batch_alter_table('period_rates', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('mode', sa.String(length=12), nullable=False, server_default='any')
        )
        batch_op.add_column(sa.Column('effective_to', sa.Date(), nullable=True))
        batch_op.drop_constraint('pk_period_rates', type_='primary')
        batch_op.create_primary_key('pk_period_rates', ['effective_from', 'title', 'mode'])
    op.execute(
        sa.text(
            "UPDATE period_rates SET source = :label WHERE source = 'teacherpool starting table'"
        ).bindparams(label=STARTING_TABLE_LABEL)
    )



def downgrade() -> None:
    op.execute(sa.text("DELETE FROM period_rates WHERE mode <> 'any'"))
    op.execute(
        sa.text(
            "UPDATE period_rates SET source = 'teacherpool starting table' WHERE source = :label"
        ).bindparams(label=STARTING_TABLE_LABEL)
    )
    with op.batch_alter_table('period_rates', schema=None) as batch_op:
        batch_op.drop_constraint('pk_period_rates', type_='primary')
        batch_op.create_primary_key('pk_period_rates', ['effective_from', 'title'])
        batch_op.drop_column('effective_to')
        batch_op.drop_column('mode')

    op.drop_table('travel_allowances')
