"""Every query of the school lifecycle."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from common.auth import Principal
from common.scoping import unit_scope
from services.staffing.models import Loan, PoolApplication, Quota, Staff, Unit, UnitAct


async def quota_types(session: AsyncSession, unit_ids: list[uuid.UUID]) -> list[str]:
    stmt = select(col(Quota.quota_type)).where(col(Quota.unit_id).in_(unit_ids)).distinct()
    return sorted(q for (q,) in await session.execute(stmt))


async def active_staff_ids(session: AsyncSession, unit_id: uuid.UUID) -> list[uuid.UUID]:
    stmt = (
        select(col(Staff.id))
        .where(col(Staff.unit_id) == unit_id, col(Staff.status) == "active")
        .order_by(col(Staff.id))
        .with_for_update()
    )
    return [staff_id for (staff_id,) in await session.execute(stmt)]


async def lock_active_staff(session: AsyncSession, unit_id: uuid.UUID) -> list[Staff]:
    stmt = (
        select(Staff)
        .where(col(Staff.unit_id) == unit_id, col(Staff.status) == "active")
        .order_by(col(Staff.id))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list((await session.execute(stmt)).scalars())


async def lock_open_loans(session: AsyncSession, unit_id: uuid.UUID) -> list[Loan]:
    stmt = (
        select(Loan)
        .where(col(Loan.unit_id) == unit_id, col(Loan.outstanding) > 0)
        .order_by(col(Loan.due_date), col(Loan.created_at), col(Loan.id))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list((await session.execute(stmt)).scalars())


async def pending_applications(session: AsyncSession, unit_id: uuid.UUID) -> list[PoolApplication]:
    stmt = select(PoolApplication).where(
        col(PoolApplication.unit_id) == unit_id, col(PoolApplication.status) == "pending"
    )
    return list((await session.execute(stmt)).scalars())


def visible_acts(principal: Principal) -> Select[Any]:
    return (
        select(UnitAct)
        .join(Unit, col(Unit.id) == col(UnitAct.unit_id))
        .where(unit_scope(principal, col(Unit.id), col(Unit.district_id)))
    )
