"""the class taught (班级): named on a request and carried to its assignment

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 12:24:35.470054+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('class_name', sa.String(length=40), nullable=True))

    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('class_name', sa.String(length=40), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.drop_column('class_name')

    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_column('class_name')

