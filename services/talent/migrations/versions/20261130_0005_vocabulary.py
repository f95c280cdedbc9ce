"""map postings and candidates onto the shared vocabulary

A posting's subject and stage, its required certificate (now a level: the certificate for the
posting's subject at that level), and a candidate's title and certificates (now {level,
subject}, read from names such as 高中数学教师资格证) as contracts.vocabulary lists them. A value
that cannot be mapped is logged and left as it is, so nothing is lost; reads show it as stored.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 08:50:00+00:00
"""

import logging
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from contracts import vocabulary as v

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.talent.vocabulary")

postings = sa.table(
    "postings",
    sa.column("id", sa.Uuid()),
    sa.column("subject", sa.String()),
    sa.column("stage", sa.String()),
    sa.column("requirements", sa.JSON()),
)
candidates = sa.table(
    "candidates",
    sa.column("id", sa.Uuid()),
    sa.column("title", sa.String()),
    sa.column("certificates", sa.JSON()),
)


def _kept(where: str, error: Exception) -> None:
    log.warning("%s: %s; left as it is", where, error)


def _required_level(text: str, stage: str | None, where: str) -> str:
    """A required certificate written out (高中数学教师资格证, or 数学教师资格证 for the
    posting's own stage) as its level."""
    try:
        return v.parse_certificate(text)[0]
    except v.UnknownTerm:
        pass
    try:
        return v.normalize_certificate_level(text)
    except v.UnknownTerm as error:
        if stage in v.STAGES and "教师资格" in text:
            return stage
        _kept(where, error)
        return text


def _certificate(held: Any, where: str) -> Any:
    if isinstance(held, dict):
        return held
    try:
        level, subject = v.parse_certificate(str(held))
    except v.UnknownTerm as error:
        _kept(where, error)
        return held
    return {"level": level, "subject": subject}


def upgrade() -> None:
    conn = op.get_bind()
    for row in conn.execute(sa.select(postings)).all():
        where = f"posting {row.id}"
        stage = row.stage
        if stage is not None:
            try:
                stage = v.normalize_stage(stage)
            except v.UnknownTerm as error:
                _kept(where, error)
        subject = row.subject
        if subject is not None:
            try:
                subject = v.subjects_for(subject, [stage] if stage in v.STAGES else [])[0]
            except v.UnknownTerm as error:
                _kept(where, error)
        requirements = dict(row.requirements or {})
        if isinstance(requirements.get("certificate"), str):
            requirements["certificate"] = _required_level(
                requirements["certificate"], stage, where
            )
        if (subject, stage, requirements) != (row.subject, row.stage, row.requirements):
            conn.execute(
                sa.update(postings)
                .where(postings.c.id == row.id)
                .values(subject=subject, stage=stage, requirements=requirements)
            )
    for row in conn.execute(sa.select(candidates)).all():
        where = f"candidate {row.id}"
        title = row.title
        if title is not None:
            try:
                title = v.normalize_title(title)
            except v.UnknownTerm as error:
                _kept(where, error)
        held = [_certificate(c, where) for c in row.certificates or []]
        if (title, held) != (row.title, row.certificates):
            conn.execute(
                sa.update(candidates)
                .where(candidates.c.id == row.id)
                .values(title=title, certificates=held)
            )


def downgrade() -> None:
    # Certificates go back to their written names; subjects and titles keep their listed names.
    conn = op.get_bind()
    for row in conn.execute(sa.select(candidates.c.id, candidates.c.certificates)).all():
        written = [
            f"{v.CERTIFICATE_NAMES_ZH.get(c['level'], c['level'])}（{c['subject']}）"
            if isinstance(c, dict)
            else c
            for c in row.certificates or []
        ]
        conn.execute(
            sa.update(candidates).where(candidates.c.id == row.id).values(certificates=written)
        )
