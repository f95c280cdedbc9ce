"""dated titles on profiles, settlement lines; the account link lives in the gateway only

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 08:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('teachers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('title_history', sa.JSON(), server_default='[]', nullable=False))
        # The gateway's users.teacher_id is the one link between an account and a teacher.
        batch_op.drop_constraint('uq_teachers_user_sub', type_='unique')
        batch_op.drop_column('user_sub')
    with op.batch_alter_table('teachers', schema=None) as batch_op:
        batch_op.alter_column('title_history', server_default=None)
    with op.batch_alter_table('settlements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lines', sa.JSON(), server_default='[]', nullable=False))
    with op.batch_alter_table('settlements', schema=None) as batch_op:
        batch_op.alter_column('lines', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('settlements', schema=None) as batch_op:
        batch_op.drop_column('lines')
    with op.batch_alter_table('teachers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('user_sub', sa.String(length=120), nullable=True))
        batch_op.create_unique_constraint('uq_teachers_user_sub', ['user_sub'])
        batch_op.drop_column('title_history')
