"""Queries of the school calendar."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.sharing.models import Assignment, CalendarDay, DistrictDayOff, Lesson, SchoolTerm


async def days_between(session: AsyncSession, first: date, last: date) -> list[CalendarDay]:
    stmt = (
        select(CalendarDay)
        .where(col(CalendarDay.day) >= first, col(CalendarDay.day) <= last)
        .order_by(col(CalendarDay.day))
    )
    return list((await session.execute(stmt)).scalars())


async def days_off_between(
    session: AsyncSession, district_id: uuid.UUID | None, first: date, last: date
) -> list[DistrictDayOff]:
    if district_id is None:
        return []
    stmt = (
        select(DistrictDayOff)
        .where(
            col(DistrictDayOff.district_id) == district_id,
            col(DistrictDayOff.day) >= first,
            col(DistrictDayOff.day) <= last,
        )
        .order_by(col(DistrictDayOff.day))
    )
    return list((await session.execute(stmt)).scalars())


async def terms(session: AsyncSession) -> list[SchoolTerm]:
    stmt = select(SchoolTerm).order_by(col(SchoolTerm.starts_on))
    return list((await session.execute(stmt)).scalars())


async def active_after(
    session: AsyncSession, day: date, district_id: uuid.UUID | None = None
) -> list[Assignment]:
    """Active assignments still running after `day`, of one host district or all."""
    stmt = select(Assignment).where(
        col(Assignment.status) == "active", col(Assignment.ends_on) > day
    )
    if district_id is not None:
        stmt = stmt.where(col(Assignment.host_district_id) == district_id)
    return list(
        (await session.execute(stmt.order_by(col(Assignment.id)).with_for_update())).scalars()
    )


async def lessons_after(session: AsyncSession, assignment_id: uuid.UUID, day: date) -> list[Lesson]:
    stmt = (
        select(Lesson)
        .where(col(Lesson.assignment_id) == assignment_id, col(Lesson.taught_on) > day)
        .with_for_update()
    )
    return list((await session.execute(stmt)).scalars())


async def moved_lessons(session: AsyncSession, assignment_id: uuid.UUID) -> list[Lesson]:
    stmt = select(Lesson).where(
        col(Lesson.assignment_id) == assignment_id, col(Lesson.moved_from).is_not(None)
    )
    return list((await session.execute(stmt)).scalars())
