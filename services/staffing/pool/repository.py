"""Every query on pool applications and loans."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, Literal

from sqlalchemy import Select, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from common.auth import Principal
from common.scoping import unit_scope
from services.staffing.models import DistrictPool, Loan, PoolApplication, Unit


async def lock_application(
    session: AsyncSession, application_id: uuid.UUID
) -> PoolApplication | None:
    stmt = (
        select(PoolApplication)
        .where(col(PoolApplication.id) == application_id)
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
        .join(Unit, col(Unit.id) == col(PoolApplication.unit_id))
        .where(unit_scope(principal, col(Unit.id), col(Unit.district_id)))
    )


async def lock_loan(session: AsyncSession, loan_id: uuid.UUID) -> Loan | None:
    stmt = (
        select(Loan)
        .where(col(Loan.id) == loan_id)
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
        .where(
            col(Loan.unit_id) == unit_id,
            col(Loan.quota_type) == quota_type,
            col(Loan.outstanding) > 0,
        )
        .order_by(col(Loan.due_date), col(Loan.created_at), col(Loan.id))
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
        .join(Unit, col(Unit.id) == col(Loan.unit_id))
        .where(unit_scope(principal, col(Unit.id), col(Unit.district_id)))
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
        stmt = stmt.where(col(Loan.lender_district_id).is_(None))
    elif pool == "district":
        stmt = stmt.where(col(Loan.lender_district_id).is_not(None))
    if lender_district_id:
        stmt = stmt.where(col(Loan.lender_district_id) == lender_district_id)
    if unit_id:
        stmt = stmt.where(col(Loan.unit_id) == unit_id)
    if quota_type:
        stmt = stmt.where(col(Loan.quota_type) == quota_type)
    if state == "open":
        stmt = stmt.where(col(Loan.outstanding) > 0)
    elif state == "overdue":
        stmt = stmt.where(Loan.overdue_on(today))
    elif state == "repaid":
        stmt = stmt.where(col(Loan.outstanding) == 0)
    return stmt


async def lock_unannounced_overdue(session: AsyncSession, today: date) -> list[Loan]:
    stmt = (
        select(Loan)
        .where(Loan.overdue_on(today), col(Loan.overdue_announced_at).is_(None))
        .order_by(col(Loan.due_date), col(Loan.id))
        .limit(500)
        .with_for_update(skip_locked=True)
    )
    return list((await session.execute(stmt)).scalars())


async def lock_unannounced_falling_due(
    session: AsyncSession, today: date, until: date
) -> list[tuple[Loan, uuid.UUID | None]]:
    """Open loans due from `today` to `until` not yet announced as such, with their district."""
    district = case((col(Unit.kind) == "district", col(Unit.id)), else_=col(Unit.district_id))
    stmt = (
        select(Loan, district)
        .join(Unit, col(Unit.id) == col(Loan.unit_id))
        .where(
            col(Loan.outstanding) > 0,
            col(Loan.due_date) >= today,
            col(Loan.due_date) <= until,
            col(Loan.falling_due_announced_at).is_(None),
        )
        .order_by(col(Loan.due_date), col(Loan.id))
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
        col(Loan.lender_district_id).is_(None)
        if district_id is None
        else col(Loan.lender_district_id) == district_id
    )
    asked = (
        col(PoolApplication.lender_district_id).is_(None)
        if district_id is None
        else col(PoolApplication.lender_district_id) == district_id
    )
    lent = select(
        func.coalesce(func.sum(col(Loan.outstanding)), 0),
        func.count().filter(Loan.overdue_on(today)),
    ).where(col(Loan.quota_type) == quota_type, lender)
    outstanding, overdue = (await session.execute(lent)).one()
    pending = select(func.count()).where(
        col(PoolApplication.quota_type) == quota_type,
        col(PoolApplication.status) == "pending",
        asked,
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
        .join(Unit, col(Unit.id) == col(DistrictPool.district_id))
        .where(unit_scope(principal, col(Unit.id), col(Unit.district_id)))
        .order_by(col(Unit.code), col(DistrictPool.quota_type))
    )
    if district_id is not None:
        stmt = stmt.where(col(DistrictPool.district_id) == district_id)
    if quota_type is not None:
        stmt = stmt.where(col(DistrictPool.quota_type) == quota_type)
    return [(pool, unit) for pool, unit in await session.execute(stmt)]
