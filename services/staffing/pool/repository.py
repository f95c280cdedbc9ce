"""Every query on pool applications and loans."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, Literal

from sqlalchemy import Select, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.scoping import unit_scope
from services.staffing.models import DistrictPool, Loan, PoolApplication, Unit


async def lock_application(
    session: AsyncSession, application_id: uuid.UUID
) -> PoolApplication | None:
    stmt = (
        select(PoolApplication)
        .where(PoolApplication.id == application_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_application(
    session: AsyncSession, application_id: uuid.UUID
) -> PoolApplication | None:
    return await session.get(PoolApplication, application_id)


def visible_applications(principal: Principal) -> Select[Any]:
    return (
        select(PoolApplication)
        .join(Unit, Unit.id == PoolApplication.unit_id)
        .where(unit_scope(principal, Unit.id, Unit.district_id))
    )


async def lock_loan(session: AsyncSession, loan_id: uuid.UUID) -> Loan | None:
    stmt = (
        select(Loan)
        .where(Loan.id == loan_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def lock_earliest_open_loan(
    session: AsyncSession, unit_id: uuid.UUID, quota_type: str
) -> Loan | None:
    """The open loan of the unit due first (有借有还: the earliest debt is repaid first)."""
    stmt = (
        select(Loan)
        .where(Loan.unit_id == unit_id, Loan.quota_type == quota_type, Loan.outstanding > 0)
        .order_by(Loan.due_date, Loan.created_at, Loan.id)
        .limit(1)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_loan(session: AsyncSession, loan_id: uuid.UUID) -> Loan | None:
    return await session.get(Loan, loan_id)


def visible_loans(principal: Principal) -> Select[Any]:
    return (
        select(Loan)
        .join(Unit, Unit.id == Loan.unit_id)
        .where(unit_scope(principal, Unit.id, Unit.district_id))
    )


LoanState = Literal["open", "overdue", "repaid"]


def loans(
    principal: Principal,
    today: date,
    *,
    unit_id: uuid.UUID | None = None,
    quota_type: str | None = None,
    state: LoanState | None = None,
    pool: Literal["city", "district"] | None = None,
    lender_district_id: uuid.UUID | None = None,
) -> Select[Any]:
    """Loans in the caller's scope, narrowed by unit, quota type, state on `today` and lender."""
    stmt = visible_loans(principal)
    if pool == "city":
        stmt = stmt.where(Loan.lender_district_id.is_(None))
    elif pool == "district":
        stmt = stmt.where(Loan.lender_district_id.is_not(None))
    if lender_district_id:
        stmt = stmt.where(Loan.lender_district_id == lender_district_id)
    if unit_id:
        stmt = stmt.where(Loan.unit_id == unit_id)
    if quota_type:
        stmt = stmt.where(Loan.quota_type == quota_type)
    if state == "open":
        stmt = stmt.where(Loan.outstanding > 0)
    elif state == "overdue":
        stmt = stmt.where(Loan.overdue_on(today))
    elif state == "repaid":
        stmt = stmt.where(Loan.outstanding == 0)
    return stmt


async def lock_unannounced_overdue(session: AsyncSession, today: date) -> list[Loan]:
    stmt = (
        select(Loan)
        .where(Loan.overdue_on(today), Loan.overdue_announced_at.is_(None))
        .order_by(Loan.due_date, Loan.id)
        .limit(500)
        .with_for_update(skip_locked=True)
    )
    return list((await session.execute(stmt)).scalars())


async def lock_unannounced_falling_due(
    session: AsyncSession, today: date, until: date
) -> list[tuple[Loan, uuid.UUID | None]]:
    """Open loans due from `today` to `until` not yet announced as such, with their district."""
    district = case((Unit.kind == "district", Unit.id), else_=Unit.district_id)
    stmt = (
        select(Loan, district)
        .join(Unit, Unit.id == Loan.unit_id)
        .where(
            Loan.outstanding > 0,
            Loan.due_date >= today,
            Loan.due_date <= until,
            Loan.falling_due_announced_at.is_(None),
        )
        .order_by(Loan.due_date, Loan.id)
        .limit(500)
        .with_for_update(of=Loan, skip_locked=True)
    )
    return [(loan, district_id) for loan, district_id in await session.execute(stmt)]


async def pool_figures(
    session: AsyncSession, quota_type: str, today: date, district_id: uuid.UUID | None = None
) -> tuple[int, int, int]:
    """Posts lent and still owed, overdue loans, and pending applications of one pool: the
    city's, or a district's with `district_id`."""
    lender = (
        Loan.lender_district_id.is_(None)
        if district_id is None
        else Loan.lender_district_id == district_id
    )
    asked = (
        PoolApplication.lender_district_id.is_(None)
        if district_id is None
        else PoolApplication.lender_district_id == district_id
    )
    lent = select(
        func.coalesce(func.sum(Loan.outstanding), 0),
        func.count().filter(Loan.overdue_on(today)),
    ).where(Loan.quota_type == quota_type, lender)
    outstanding, overdue = (await session.execute(lent)).one()
    pending = select(func.count()).where(
        PoolApplication.quota_type == quota_type, PoolApplication.status == "pending", asked
    )
    return int(outstanding), int(overdue), int((await session.execute(pending)).scalar_one())


async def visible_district_pools(
    session: AsyncSession,
    principal: Principal,
    district_id: uuid.UUID | None,
    quota_type: str | None,
) -> list[tuple[DistrictPool, Unit]]:
    """District pools whose district the caller may see, with the district, by code."""
    stmt = (
        select(DistrictPool, Unit)
        .join(Unit, Unit.id == DistrictPool.district_id)
        .where(unit_scope(principal, Unit.id, Unit.district_id))
        .order_by(Unit.code, DistrictPool.quota_type)
    )
    if district_id is not None:
        stmt = stmt.where(DistrictPool.district_id == district_id)
    if quota_type is not None:
        stmt = stmt.where(DistrictPool.quota_type == quota_type)
    return [(pool, unit) for pool, unit in await session.execute(stmt)]
