"""retirement ages as dated rules by sex, base age and birth month; post category on staff

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 07:50:00+00:00

The 2025 rows are the three annex tables of the decision of the NPC Standing Committee of
2024-09-13, written out here as rows: the decision publishes its rule as those tables, one row per
group of birth months. The rows are generated from the rule the tables spell out (one month later
per four months of birth from 1965-01 or 1970-01, per two months from 1975-01) and frozen in this
migration; tests/staffing/test_retirement.py checks them against the tables' own values.
"""

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RULE_1978 = '国发〔1978〕104号 国务院关于安置老弱病残干部的暂行办法、关于工人退休、退职的暂行办法'
RULE_2015 = '组通字〔2015〕14号 关于机关事业单位县处级女干部和具有高级职称的女性专业技术人员退休年龄问题的通知'
DECISION_2024 = '全国人民代表大会常务委员会关于实施渐进式延迟法定退休年龄的决定（2024年9月13日）及国务院关于渐进式延迟法定退休年龄的办法'
ANNEX = {
    (60, 'male'): DECISION_2024 + ' 附件1 男职工延迟法定退休年龄对照表',
    (55, 'female'): DECISION_2024 + ' 附件2 原法定退休年龄为五十五周岁的女职工延迟法定退休年龄对照表',
    (50, 'female'): DECISION_2024 + ' 附件3 原法定退休年龄为五十周岁的女职工延迟法定退休年龄对照表',
}
# (sex, base age): first birth month delayed, months of birth per month of delay, most months
REFORM = {('male', 60): (1965, 4, 36), ('female', 55): (1970, 4, 36), ('female', 50): (1975, 2, 60)}
OPEN_START = date(1900, 1, 1)
IN_FORCE_1978 = date(1978, 6, 2)
IN_FORCE_2025 = date(2025, 1, 1)


def _month(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def reform_rows() -> list[dict[str, object]]:
    """One row per group of birth months of the three annex tables, plus the open ends."""
    rows: list[dict[str, object]] = []
    for (sex, base), (first_year, step, most) in REFORM.items():
        source = ANNEX[(base, sex)]
        first = first_year * 12
        rows.append({'effective_from': IN_FORCE_2025, 'sex': sex, 'base_age': base, 'born_from': OPEN_START, 'born_until': _month(first - 1), 'age_months': base * 12, 'source': source})
        for group in range(most):
            start = first + group * step
            rows.append({'effective_from': IN_FORCE_2025, 'sex': sex, 'base_age': base, 'born_from': _month(start), 'born_until': _month(start + step - 1), 'age_months': base * 12 + group + 1, 'source': source})
        rows.append({'effective_from': IN_FORCE_2025, 'sex': sex, 'base_age': base, 'born_from': _month(first + most * step), 'born_until': None, 'age_months': base * 12 + most, 'source': source})
    # Women whose base age is 60 under the 2015 notice are not in the decision's tables; the
    # decision keeps rules the state makes otherwise (国家另有规定的，从其规定).
    rows.append({'effective_from': IN_FORCE_2025, 'sex': 'female', 'base_age': 60, 'born_from': OPEN_START, 'born_until': None, 'age_months': 720, 'source': RULE_2015 + '（决定：国家另有规定的，从其规定）'})
    return rows


def earlier_rows() -> list[dict[str, object]]:
    """The ages before 2025: 60 for men, 55 for women cadres, 50 for women workers."""
    rows: list[dict[str, object]] = [
        {'effective_from': IN_FORCE_1978, 'sex': sex, 'base_age': base, 'born_from': OPEN_START, 'born_until': None, 'age_months': base * 12, 'source': RULE_1978}
        for sex, base in (('male', 60), ('female', 55), ('female', 50))
    ]
    rows.append({'effective_from': date(2015, 3, 1), 'sex': 'female', 'base_age': 60, 'born_from': OPEN_START, 'born_until': None, 'age_months': 720, 'source': RULE_2015})
    return rows


def upgrade() -> None:
    op.create_table('retirement_rules',
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('sex', sa.String(length=10), nullable=False),
    sa.Column('base_age', sa.Integer(), nullable=False),
    sa.Column('born_from', sa.Date(), nullable=False),
    sa.Column('born_until', sa.Date(), nullable=True),
    sa.Column('age_months', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.PrimaryKeyConstraint('effective_from', 'sex', 'base_age', 'born_from', name=op.f('pk_retirement_rules'))
    )
    op.create_table('retirement_bases',
    sa.Column('post_category', sa.String(length=30), nullable=False),
    sa.Column('sex', sa.String(length=10), nullable=False),
    sa.Column('base_age', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.PrimaryKeyConstraint('post_category', 'sex', name=op.f('pk_retirement_bases'))
    )
    rules = sa.table(
        'retirement_rules',
        sa.column('effective_from', sa.Date),
        sa.column('sex', sa.String),
        sa.column('base_age', sa.Integer),
        sa.column('born_from', sa.Date),
        sa.column('born_until', sa.Date),
        sa.column('age_months', sa.Integer),
        sa.column('source', sa.String),
    )
    op.bulk_insert(rules, earlier_rows() + reform_rows())
    bases = sa.table(
        'retirement_bases',
        sa.column('post_category', sa.String),
        sa.column('sex', sa.String),
        sa.column('base_age', sa.Integer),
        sa.column('source', sa.String),
    )
    # Cadres (管理岗位, 专业技术岗位) and workers (工勤技能岗位) of public institutions.
    op.bulk_insert(bases, [
        {'post_category': 'management', 'sex': 'male', 'base_age': 60, 'source': RULE_1978},
        {'post_category': 'management', 'sex': 'female', 'base_age': 55, 'source': RULE_1978},
        {'post_category': 'professional', 'sex': 'male', 'base_age': 60, 'source': RULE_1978},
        {'post_category': 'professional', 'sex': 'female', 'base_age': 55, 'source': RULE_1978},
        {'post_category': 'senior_professional', 'sex': 'male', 'base_age': 60, 'source': RULE_1978},
        {'post_category': 'senior_professional', 'sex': 'female', 'base_age': 60, 'source': RULE_2015},
        {'post_category': 'worker', 'sex': 'male', 'base_age': 60, 'source': RULE_1978},
        {'post_category': 'worker', 'sex': 'female', 'base_age': 50, 'source': RULE_1978},
    ])
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('post_category', sa.String(length=30), nullable=False, server_default='professional'))
    op.drop_table('retirement_ages')


def downgrade() -> None:
    op.create_table('retirement_ages',
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('sex', sa.String(length=10), nullable=False),
    sa.Column('age', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('effective_from', 'sex', name=op.f('pk_retirement_ages'))
    )
    op.bulk_insert(
        sa.table('retirement_ages', sa.column('effective_from', sa.Date), sa.column('sex', sa.String), sa.column('age', sa.Integer), sa.column('source', sa.String)),
        [
            {'effective_from': IN_FORCE_1978, 'sex': 'male', 'age': 60, 'source': '国发〔1978〕104号'},
            {'effective_from': IN_FORCE_1978, 'sex': 'female', 'age': 55, 'source': '国发〔1978〕104号'},
        ],
    )
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_column('post_category')
    op.drop_table('retirement_bases')
    op.drop_table('retirement_rules')
