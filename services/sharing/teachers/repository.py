"""Queries of teacher profiles."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from common.auth import Principal
from common.scoping import unit_scope
from services.sharing.models import Assignment, Teacher


async def get(session: AsyncSession, teacher_id: uuid.UUID) -> Teacher | None:
    return await session.get(Teacher, teacher_id)


async def lock(session: AsyncSession, teacher_id: uuid.UUID) -> Teacher | None:
    """The teacher's row, locked: every booking of one teacher queues here."""
    stmt = (
        select(Teacher)
        .where(col(Teacher.id) == teacher_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


def visible(principal: Principal, own_id: uuid.UUID | None) -> Select[Any]:
    """Profiles of the teachers at units in scope; a teacher sees their own."""
    if principal.role == "teacher":
        return select(Teacher).where(col(Teacher.id) == own_id)
    return select(Teacher).where(
        unit_scope(principal, col(Teacher.unit_id), col(Teacher.district_id))
    )


async def hosted_at(session: AsyncSession, teacher_id: uuid.UUID, unit_id: uuid.UUID) -> bool:
    """Whether the teacher has or had an assignment at the school."""
    stmt = select(col(Assignment.id)).where(
        col(Assignment.teacher_id) == teacher_id, col(Assignment.host_unit_id) == unit_id
    )
    return (await session.execute(stmt.limit(1))).first() is not None
