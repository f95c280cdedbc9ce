"""Queries of evaluations and the evaluation form."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from common.auth import Principal
from services.sharing.access import visible_between_schools
from services.sharing.models import Assignment, Evaluation, EvaluationForm, Lesson, Teacher


async def active_form(session: AsyncSession) -> EvaluationForm | None:
    stmt = (
        select(EvaluationForm)
        .where(col(EvaluationForm.active).is_(True))
        .order_by(col(EvaluationForm.created_at).desc())
    )
    return (await session.execute(stmt)).scalars().first()


async def deactivate_forms(session: AsyncSession) -> None:
    for form in (
        await session.execute(select(EvaluationForm).where(col(EvaluationForm.active).is_(True)))
    ).scalars():
        form.active = False


async def of_teacher(session: AsyncSession, teacher_id: uuid.UUID) -> list[Evaluation]:
    stmt = select(Evaluation).where(col(Evaluation.teacher_id) == teacher_id)
    return list((await session.execute(stmt)).scalars())


def visible(principal: Principal, teacher_id: uuid.UUID | None) -> Select[Any]:
    """HR in scope, the host and the home school, and the teacher themself."""
    return visible_between_schools(Evaluation, principal, teacher_id)


async def report_rows(
    session: AsyncSession, principal: Principal, since: date, until: date
) -> list[tuple[Teacher, int, list[uuid.UUID], list[Evaluation]]]:
    """Per teacher of the HR's scope who taught shared lessons or was evaluated in the span."""
    teachers = select(Teacher)
    if principal.role == "district_hr":
        teachers = teachers.where(col(Teacher.district_id) == principal.district_id)
    taught = (
        select(col(Lesson.teacher_id), func.count(), col(Lesson.host_unit_id))
        .where(
            col(Lesson.status) == "confirmed",
            col(Lesson.taught_on) >= since,
            col(Lesson.taught_on) <= until,
        )
        .group_by(col(Lesson.teacher_id), col(Lesson.host_unit_id))
    )
    periods: dict[uuid.UUID, int] = {}
    hosts: dict[uuid.UUID, list[uuid.UUID]] = {}
    for teacher_id, count, host in (await session.execute(taught)).all():
        periods[teacher_id] = periods.get(teacher_id, 0) + count
        hosts.setdefault(teacher_id, []).append(host)
    evaluated: dict[uuid.UUID, list[Evaluation]] = {}
    stmt = (
        select(Evaluation)
        .join(Assignment, col(Assignment.id) == col(Evaluation.assignment_id))
        .where(col(Assignment.starts_on) <= until, col(Assignment.ends_on) >= since)
        .order_by(col(Evaluation.created_at))
    )
    for evaluation in (await session.execute(stmt)).scalars():
        evaluated.setdefault(evaluation.teacher_id, []).append(evaluation)
    ids = set(periods) | set(evaluated)
    if not ids:
        return []
    rows = (
        await session.execute(
            teachers.where(col(Teacher.id).in_(ids)).order_by(
                col(Teacher.unit_id), col(Teacher.name)
            )
        )
    ).scalars()
    return [(t, periods.get(t.id, 0), hosts.get(t.id, []), evaluated.get(t.id, [])) for t in rows]


async def for_period(
    session: AsyncSession, assignment_id: uuid.UUID, period: str
) -> Evaluation | None:
    stmt = select(Evaluation).where(
        col(Evaluation.assignment_id) == assignment_id, col(Evaluation.period) == period
    )
    return (await session.execute(stmt)).scalars().first()
