"""Every query of the monthly reports."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.staffing.models import (
    DistrictPool,
    LibraryMember,
    Loan,
    MonthlyReport,
    Pool,
    SettledPeriods,
    Staff,
    Unit,
)
from services.staffing.summaries.repository import in_area


def _area(district_id: uuid.UUID | None) -> Any:
    return in_area(None, district_id)


async def loans(
    session: AsyncSession, district_id: uuid.UUID | None, today: date
) -> tuple[int, int]:
    """Posts lent and still owed to units of the area, and its overdue loans."""
    stmt = (
        select(
            func.coalesce(func.sum(col(Loan.outstanding)), 0),
            func.count().filter(col(Loan.outstanding) > 0, col(Loan.due_date) < today),
        )
        .join(Unit, col(Unit.id) == col(Loan.unit_id))
        .where(_area(district_id))
    )
    out, overdue = (await session.execute(stmt)).one()
    return int(out), int(overdue)


async def pool_balance(session: AsyncSession, district_id: uuid.UUID | None) -> int:
    if district_id is None:
        stmt = select(func.coalesce(func.sum(col(Pool.balance)), 0))
    else:
        stmt = select(func.coalesce(func.sum(col(DistrictPool.balance)), 0)).where(
            col(DistrictPool.district_id) == district_id
        )
    return int((await session.execute(stmt)).scalar_one())


async def library_by_subject(
    session: AsyncSession, district_id: uuid.UUID | None
) -> dict[str, int]:
    """Listed teachers of the area by their roster subject."""
    stmt = (
        select(col(Staff.subject), func.count())
        .select_from(LibraryMember)
        .join(Unit, col(Unit.id) == col(LibraryMember.unit_id))
        .join(Staff, col(Staff.id) == col(LibraryMember.teacher_id), isouter=True)
        .where(col(LibraryMember.listed), _area(district_id))
        .group_by(col(Staff.subject))
    )
    return {subject or "—": int(n) for subject, n in await session.execute(stmt)}


async def periods(
    session: AsyncSession, district_id: uuid.UUID | None, month: str
) -> tuple[int, int]:
    stmt = (
        select(
            func.coalesce(func.sum(col(SettledPeriods.periods)), 0),
            func.coalesce(func.sum(col(SettledPeriods.total_cents)), 0),
        )
        .join(Unit, col(Unit.id) == col(SettledPeriods.home_unit_id))
        .where(col(SettledPeriods.month) == month, _area(district_id))
    )
    taught, cents = (await session.execute(stmt)).one()
    return int(taught), int(cents)


async def hires_via_talent(
    session: AsyncSession, district_id: uuid.UUID | None, start: date, end: date
) -> int:
    stmt = (
        select(func.count())
        .select_from(Staff)
        .join(Unit, col(Unit.id) == col(Staff.unit_id))
        .where(
            col(Staff.talent_application_id).is_not(None),
            col(Staff.hire_date) >= start,
            col(Staff.hire_date) < end,
            _area(district_id),
        )
    )
    return int((await session.execute(stmt)).scalar_one())


async def districts(session: AsyncSession) -> list[Unit]:
    stmt = select(Unit).where(col(Unit.kind) == "district").order_by(col(Unit.code))
    return list((await session.execute(stmt)).scalars())


async def report(session: AsyncSession, month: date, scope: str) -> MonthlyReport | None:
    return await session.get(MonthlyReport, (month, scope))


async def reports(session: AsyncSession, scope: str) -> list[MonthlyReport]:
    stmt = (
        select(MonthlyReport)
        .where(col(MonthlyReport.scope) == scope)
        .order_by(col(MonthlyReport.month))
    )
    return list((await session.execute(stmt)).scalars())


async def member(session: AsyncSession, teacher_id: uuid.UUID) -> LibraryMember | None:
    return await session.get(LibraryMember, teacher_id)


async def settled(session: AsyncSession, settlement_id: uuid.UUID) -> SettledPeriods | None:
    return await session.get(SettledPeriods, settlement_id)


async def reports_of_month(session: AsyncSession, month: date) -> list[MonthlyReport]:
    stmt = (
        select(MonthlyReport)
        .where(col(MonthlyReport.month) == month)
        .order_by(col(MonthlyReport.scope))
    )
    return list((await session.execute(stmt)).scalars())
