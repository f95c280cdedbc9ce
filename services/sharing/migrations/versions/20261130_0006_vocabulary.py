"""map profiles, library offers, requests and period rates onto the shared vocabulary

Subjects, stages and titles are rewritten as contracts.vocabulary lists them (体育 → 体育与健康,
信息技术 → 信息科技 in 小学 and 初中, 中学高级 → 高级教师, …); a certificate's `stage` becomes its
`level`. A value that cannot be mapped is logged and left as it is, so nothing is lost.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 08:30:00+00:00
"""

import logging
from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from alembic import op

from contracts import vocabulary as v

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.sharing.vocabulary")

teachers = sa.table(
    "teachers",
    sa.column("id", sa.Uuid()),
    sa.column("title", sa.String()),
    sa.column("subjects", sa.JSON()),
    sa.column("stages", sa.JSON()),
    sa.column("certificates", sa.JSON()),
    sa.column("offered", sa.JSON()),
    sa.column("title_history", sa.JSON()),
)
library_applications = sa.table(
    "library_applications",
    sa.column("id", sa.Uuid()),
    sa.column("offered", sa.JSON()),
)
requests = sa.table(
    "requests",
    sa.column("id", sa.Uuid()),
    sa.column("subject", sa.String()),
    sa.column("stage", sa.String()),
)
rates = sa.table(
    "period_rates",
    sa.column("effective_from", sa.Date()),
    sa.column("title", sa.String()),
)


def _stage(value: str, where: str) -> str:
    try:
        return v.normalize_stage(value)
    except v.UnknownTerm as error:
        log.warning("%s: %s; left as it is", where, error)
        return value


def _subjects(value: str, stages: Iterable[str], where: str) -> list[str]:
    """The listed subjects `value` stands for in any of `stages`, or [value] when none."""
    try:
        return v.subjects_for(value, stages)
    except v.UnknownTerm as error:
        log.warning("%s: %s; left as it is", where, error)
        return [value]


def _title(value: str | None, where: str) -> str | None:
    if value is None or value == v.UNTITLED:
        return value
    try:
        return v.normalize_title(value)
    except v.UnknownTerm as error:
        log.warning("%s: %s; left as it is", where, error)
        return value


def _certificate(cert: dict[str, str], where: str) -> dict[str, str]:
    level = cert.get("level", cert.get("stage", ""))
    subject = cert.get("subject", "")
    try:
        level = v.normalize_certificate_level(level)
    except v.UnknownTerm as error:
        log.warning("%s: %s; left as it is", where, error)
        return {"level": level, "subject": subject}
    mapped = _subjects(subject, [v.CERTIFICATE_STAGE[level]], where)
    return {"level": level, "subject": mapped[0]}


def _offered(pairs: list[list[str]], where: str) -> list[list[str]]:
    """(subject, stage) pairs a teacher offers the library, each subject named for its stage."""
    mapped: list[list[str]] = []
    for subject, stage in pairs or []:
        pair = [_subjects(subject, [stage], where)[0], stage]
        if pair not in mapped:
            mapped.append(pair)
    return mapped


def upgrade() -> None:
    conn = op.get_bind()
    for row in conn.execute(sa.select(library_applications)).all():
        offered = _offered(row.offered, f"library application {row.id}")
        if offered != row.offered:
            conn.execute(
                sa.update(library_applications)
                .where(library_applications.c.id == row.id)
                .values(offered=offered)
            )
    for row in conn.execute(sa.select(teachers)).all():
        where = f"teacher {row.id}"
        stages = [_stage(s, where) for s in row.stages or []]
        subjects: list[str] = []
        for subject in row.subjects or []:
            subjects += [s for s in _subjects(subject, stages, where) if s not in subjects]
        certificates: list[dict[str, str]] = []
        for cert in row.certificates or []:
            mapped = _certificate(cert, where)
            if mapped not in certificates:
                certificates.append(mapped)
        changed = {
            "title": _title(row.title, where),
            "subjects": subjects,
            "stages": list(dict.fromkeys(stages)),
            "certificates": certificates,
            "offered": _offered(row.offered, where),
            "title_history": [
                {**held, "title": _title(held.get("title"), where)}
                for held in row.title_history or []
            ],
        }
        if changed != {name: getattr(row, name) for name in changed}:
            conn.execute(sa.update(teachers).where(teachers.c.id == row.id).values(**changed))
    for row in conn.execute(sa.select(requests)).all():
        where = f"request {row.id}"
        stage = _stage(row.stage, where)
        subject = _subjects(row.subject, [stage], where)[0]
        if (stage, subject) != (row.stage, row.subject):
            conn.execute(
                sa.update(requests)
                .where(requests.c.id == row.id)
                .values(stage=stage, subject=subject)
            )
    held = {(r.effective_from, r.title) for r in conn.execute(sa.select(rates)).all()}
    for effective_from, title in sorted(held):
        where = f"period rate {title} from {effective_from}"
        renamed = _title(title, where)
        if renamed == title:
            continue
        if (effective_from, renamed) in held:
            log.warning("%s: %s from that date exists; left as it is", where, renamed)
            continue
        conn.execute(
            sa.update(rates)
            .where(rates.c.effective_from == effective_from, rates.c.title == title)
            .values(title=renamed)
        )
        held.add((effective_from, renamed))


def _stage_of_level(level: str) -> str:
    return "vocational" if level == "vocational_practice" else level


def downgrade() -> None:
    # Subjects and titles keep their listed names; only the certificates' key goes back.
    conn = op.get_bind()
    for row in conn.execute(sa.select(teachers.c.id, teachers.c.certificates)).all():
        old = [
            {"stage": _stage_of_level(c.get("level", "")), "subject": c.get("subject", "")}
            for c in row.certificates or []
        ]
        conn.execute(sa.update(teachers).where(teachers.c.id == row.id).values(certificates=old))
