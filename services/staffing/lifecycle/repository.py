"""Every query of the school lifecycle."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.scoping import unit_scope
from services.staffing.models import Loan, PoolApplication, Quota, Staff, Unit, UnitAct


async def quota_types(session: AsyncSession, unit_ids: list[uuid.UUID]) -> list[str]:
    stmt = select(Quota.quota_type).where(Quota.unit_id.in_(unit_ids)).distinct()
    return sorted(q for (q,) in await session.execute(stmt))


async def active_staff_ids(session: AsyncSession, unit_id: uuid.UUID) -> list[uuid.UUID]:
    stmt = (
        select(Staff.id)
        .where(Staff.unit_id == unit_id, Staff.status == "active")
        .order_by(Staff.id)
        .with_for_update()
    )
    return [staff_id for (staff_id,) in await session.execute(stmt)]


async def lock_active_staff(session: AsyncSession, unit_id: uuid.UUID) -> list[Staff]:
    stmt = (
        select(Staff)
        .where(Staff.unit_id == unit_id, Staff.status == "active")
        .order_by(Staff.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list((await session.execute(stmt)).scalars())


async def lock_open_loans(session: AsyncSession, unit_id: uuid.UUID) -> list[Loan]:
    stmt = (
        select(Loan)
        .where(Loan.unit_id == unit_id, Loan.outstanding > 0)
        .order_by(Loan.due_date, Loan.created_at, Loan.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list((await session.execute(stmt)).scalars())


async def pending_applications(session: AsyncSession, unit_id: uuid.UUID) -> list[PoolApplication]:
    stmt = select(PoolApplication).where(
        PoolApplication.unit_id == unit_id, PoolApplication.status == "pending"
    )
    return list((await session.execute(stmt)).scalars())


def visible_acts(principal: Principal) -> Select[Any]:
    return (
        select(UnitAct)
        .join(Unit, Unit.id == UnitAct.unit_id)
        .where(unit_scope(principal, Unit.id, Unit.district_id))
    )
