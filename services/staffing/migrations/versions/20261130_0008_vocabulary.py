"""map the roster's stages, subjects and titles (dated ones too) onto the shared vocabulary

体育 → 体育与健康, 信息技术 → 信息科技 in 小学 and 初中, 中学高级 → 高级教师, … as
contracts.vocabulary lists them. A value that cannot be mapped is logged and left as it is, so
nothing is lost; reads show it as stored.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 08:40:00+00:00
"""

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from contracts import vocabulary as v

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.staffing.vocabulary")

staff = sa.table(
    "staff",
    sa.column("subject", sa.String()),
    sa.column("stage", sa.String()),
    sa.column("title", sa.String()),
)
staff_titles = sa.table("staff_titles", sa.column("title", sa.String()))


def _mapped(value: str | None, normalize, where: str):
    if value is None:
        return None
    try:
        return normalize(value)
    except v.UnknownTerm as error:
        log.warning("%s: %s; left as it is", where, error)
        return value


def upgrade() -> None:
    # One update per distinct (subject, stage, title): a city's roster has few of them.
    conn = op.get_bind()
    found = conn.execute(sa.select(staff.c.subject, staff.c.stage, staff.c.title).distinct())
    for old_subject, old_stage, old_title in found.all():
        where = f"staff with {old_subject!r}, {old_stage!r}, {old_title!r}"
        stage = _mapped(old_stage, v.normalize_stage, where)
        stages = [stage] if stage in v.STAGES else []
        subject = _mapped(old_subject, lambda s: v.subjects_for(s, stages)[0], where)
        title = _mapped(old_title, v.normalize_title, where)
        if (subject, stage, title) == (old_subject, old_stage, old_title):
            continue
        conn.execute(
            sa.update(staff)
            .where(
                staff.c.subject.is_not_distinct_from(old_subject),
                staff.c.stage.is_not_distinct_from(old_stage),
                staff.c.title.is_not_distinct_from(old_title),
            )
            .values(subject=subject, stage=stage, title=title)
        )
    # The dated titles (职称 history) the same way, one update per distinct title.
    for (old_title,) in conn.execute(sa.select(staff_titles.c.title).distinct()).all():
        title = _mapped(old_title, v.normalize_title, f"dated title {old_title!r}")
        if title != old_title:
            conn.execute(
                sa.update(staff_titles).where(staff_titles.c.title == old_title).values(title=title)
            )


def downgrade() -> None:
    # The listed names are kept: the old free text cannot be told back from them.
    pass
