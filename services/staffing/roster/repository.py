"""Every query on the roster."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from common.auth import Principal
from common.scoping import unit_scope
from services.staffing.models import Staff, StaffTitle, Unit


async def get(session: AsyncSession, staff_id: uuid.UUID) -> Staff | None:
    return await session.get(Staff, staff_id)


async def lock(session: AsyncSession, staff_id: uuid.UUID) -> Staff | None:
    stmt = (
        select(Staff)
        .where(col(Staff.id) == staff_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def by_talent_application(session: AsyncSession, application_id: uuid.UUID) -> Staff | None:
    stmt = select(Staff).where(col(Staff.talent_application_id) == application_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def titles(session: AsyncSession, staff_id: uuid.UUID) -> list[StaffTitle]:
    """A person's dated titles, oldest first."""
    stmt = (
        select(StaffTitle)
        .where(col(StaffTitle.staff_id) == staff_id)
        .order_by(col(StaffTitle.effective_from))
    )
    return list((await session.execute(stmt)).scalars())


def visible(principal: Principal) -> Select[Any]:
    return (
        select(Staff)
        .join(Unit, col(Unit.id) == col(Staff.unit_id))
        .where(unit_scope(principal, col(Unit.id), col(Unit.district_id)))
    )
