"""Queries of assignments."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from common.auth import Principal
from services.sharing.models import Assignment, Teacher


async def get(session: AsyncSession, assignment_id: uuid.UUID) -> Assignment | None:
    return await session.get(Assignment, assignment_id)


async def active_overlapping(
    session: AsyncSession, teacher_id: uuid.UUID, starts_on: date, ends_on: date
) -> list[Assignment]:
    """The teacher's active assignments whose dates overlap [starts_on, ends_on]."""
    stmt = select(Assignment).where(
        col(Assignment.teacher_id) == teacher_id,
        col(Assignment.status) == "active",
        col(Assignment.starts_on) <= ends_on,
        col(Assignment.ends_on) >= starts_on,
    )
    return list((await session.execute(stmt)).scalars())


async def active_on(session: AsyncSession, teacher_id: uuid.UUID, on: date) -> list[Assignment]:
    return await active_overlapping(session, teacher_id, on, on)


async def active_until_after(
    session: AsyncSession, teacher_id: uuid.UUID, day: date
) -> list[Assignment]:
    """Active assignments of the teacher that still run on or after `day`."""
    stmt = select(Assignment).where(
        col(Assignment.teacher_id) == teacher_id,
        col(Assignment.status) == "active",
        col(Assignment.ends_on) >= day,
    )
    return list((await session.execute(stmt)).scalars())


async def hosted_on(session: AsyncSession, unit_id: uuid.UUID, on: date) -> list[Assignment]:
    stmt = select(Assignment).where(
        col(Assignment.host_unit_id) == unit_id,
        col(Assignment.status) == "active",
        col(Assignment.starts_on) <= on,
        col(Assignment.ends_on) >= on,
    )
    return list((await session.execute(stmt)).scalars())


def visible(principal: Principal, teacher_id: uuid.UUID | None) -> Select[Any]:
    """Assignments the caller may see: hosted by or sent from their scope, or their own."""
    stmt = select(Assignment)
    if principal.role == "city_hr" or principal.is_city_wide:
        pass
    elif principal.role == "district_hr":
        stmt = stmt.join(Teacher, col(Teacher.id) == col(Assignment.teacher_id)).where(
            or_(
                col(Assignment.host_district_id) == principal.district_id,
                col(Teacher.district_id) == principal.district_id,
            )
        )
    elif principal.role == "school_admin":
        stmt = stmt.where(
            or_(
                col(Assignment.host_unit_id) == principal.unit_id,
                col(Assignment.home_unit_id) == principal.unit_id,
            )
        )
    else:
        stmt = stmt.where(col(Assignment.teacher_id) == teacher_id)
    return stmt
