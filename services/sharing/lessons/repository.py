"""Queries of lessons."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from common.auth import Principal
from services.sharing.access import visible_between_schools
from services.sharing.models import Lesson, LessonMove


async def lock(session: AsyncSession, lesson_id: uuid.UUID) -> Lesson | None:
    stmt = select(Lesson).where(col(Lesson.id) == lesson_id).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def cancel_after(session: AsyncSession, assignment_id: uuid.UUID, day: date) -> None:
    await session.execute(
        update(Lesson)
        .where(
            col(Lesson.assignment_id) == assignment_id,
            col(Lesson.taught_on) > day,
            col(Lesson.status) == "scheduled",
        )
        .values(status="cancelled")
    )


async def unsettled_confirmed(
    session: AsyncSession, teacher_ids: list[uuid.UUID], until: date, *, lock: bool = True
) -> list[Lesson]:
    """Confirmed lessons up to `until` that no settlement has paid yet, oldest first."""
    stmt = (
        select(Lesson)
        .where(
            col(Lesson.teacher_id).in_(teacher_ids),
            col(Lesson.status) == "confirmed",
            col(Lesson.settlement_id).is_(None),
            col(Lesson.taught_on) <= until,
        )
        .order_by(col(Lesson.teacher_id), col(Lesson.taught_on), col(Lesson.period))
    )
    if lock:
        stmt = stmt.with_for_update()
    return list((await session.execute(stmt)).scalars())


def visible(principal: Principal, teacher_id: uuid.UUID | None) -> Select[Any]:
    """Lessons the caller may see: a teacher their own, a school those it hosts or sends."""
    return visible_between_schools(Lesson, principal, teacher_id)


async def week_ids(
    session: AsyncSession,
    first: date,
    last: date,
    status: str,
    *,
    teacher_id: uuid.UUID | None = None,
    host_unit_id: uuid.UUID | None = None,
) -> list[uuid.UUID]:
    """Lessons of one teacher or one host school in a span, in one status, by date."""
    stmt = select(col(Lesson.id)).where(
        col(Lesson.taught_on) >= first, col(Lesson.taught_on) <= last, col(Lesson.status) == status
    )
    if teacher_id is not None:
        stmt = stmt.where(col(Lesson.teacher_id) == teacher_id)
    if host_unit_id is not None:
        stmt = stmt.where(col(Lesson.host_unit_id) == host_unit_id)
    stmt = stmt.order_by(col(Lesson.taught_on), col(Lesson.period))
    return list((await session.execute(stmt)).scalars())


async def teacher_day(
    session: AsyncSession, teacher_id: uuid.UUID, day: date, *, besides: uuid.UUID
) -> list[Lesson]:
    """The teacher's other lessons that still take place on `day` (not cancelled or covered)."""
    stmt = select(Lesson).where(
        col(Lesson.teacher_id) == teacher_id,
        col(Lesson.taught_on) == day,
        col(Lesson.id) != besides,
        col(Lesson.status).not_in(("cancelled", "covered")),
    )
    return list((await session.execute(stmt)).scalars())


async def at_slot(
    session: AsyncSession, assignment_id: uuid.UUID, day: date, period: int
) -> Lesson | None:
    stmt = select(Lesson).where(
        col(Lesson.assignment_id) == assignment_id,
        col(Lesson.taught_on) == day,
        col(Lesson.period) == period,
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def open_move(session: AsyncSession, lesson_id: uuid.UUID) -> LessonMove | None:
    stmt = select(LessonMove).where(
        col(LessonMove.lesson_id) == lesson_id, col(LessonMove.status) == "proposed"
    )
    return (await session.execute(stmt)).scalars().first()


async def lock_move(session: AsyncSession, move_id: uuid.UUID) -> LessonMove | None:
    stmt = select(LessonMove).where(col(LessonMove.id) == move_id).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


def visible_moves(principal: Principal, teacher_id: uuid.UUID | None) -> Select[Any]:
    """Moves the caller may see: a teacher their own, a school those it hosts or sends."""
    return visible_between_schools(LessonMove, principal, teacher_id)
