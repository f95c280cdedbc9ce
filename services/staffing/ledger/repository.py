"""Every query on the ledger and the totals that verification compares."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.scoping import unit_scope
from services.staffing.models import (
    DistrictPool,
    LedgerEntry,
    Loan,
    Pool,
    Quota,
    Reservation,
    Staff,
    Unit,
)

Key = tuple[uuid.UUID, str]


def visible(
    principal: Principal,
    *,
    unit_id: uuid.UUID | None = None,
    kind: str | None = None,
    quota_type: str | None = None,
    correlation_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Select[Any]:
    """Ledger rows in the caller's scope (pool rows are city-wide), filtered."""
    stmt = select(LedgerEntry)
    if not principal.is_city_wide:
        stmt = stmt.join(Unit, Unit.id == LedgerEntry.unit_id).where(
            unit_scope(principal, Unit.id, Unit.district_id)
        )
    if unit_id is not None:
        stmt = stmt.where(LedgerEntry.unit_id == unit_id)
    if kind is not None:
        stmt = stmt.where(LedgerEntry.kind == kind)
    if quota_type is not None:
        stmt = stmt.where(LedgerEntry.quota_type == quota_type)
    if correlation_id is not None:
        stmt = stmt.where(LedgerEntry.correlation_id == correlation_id)
    if since is not None:
        stmt = stmt.where(LedgerEntry.at >= since)
    if until is not None:
        stmt = stmt.where(LedgerEntry.at < until)
    return stmt


async def sums_by_account(session: AsyncSession) -> dict[tuple[uuid.UUID | None, str, str], int]:
    stmt = select(
        LedgerEntry.unit_id,
        LedgerEntry.quota_type,
        LedgerEntry.account,
        func.sum(LedgerEntry.delta),
    ).group_by(LedgerEntry.unit_id, LedgerEntry.quota_type, LedgerEntry.account)
    return {(u, q, a): int(total) for u, q, a, total in await session.execute(stmt)}


async def all_quotas(session: AsyncSession) -> list[Quota]:
    return list((await session.execute(select(Quota))).scalars())


async def all_pools(session: AsyncSession) -> list[Pool | DistrictPool]:
    """The city's pools and every district's."""
    city: list[Pool | DistrictPool] = list((await session.execute(select(Pool))).scalars())
    return city + list((await session.execute(select(DistrictPool))).scalars())


async def active_staff(session: AsyncSession) -> dict[Key, int]:
    stmt = (
        select(Staff.unit_id, Staff.quota_type, func.count())
        .where(Staff.status == "active")
        .group_by(Staff.unit_id, Staff.quota_type)
    )
    return {(u, q): int(n) for u, q, n in await session.execute(stmt)}


async def held_reservations(session: AsyncSession) -> dict[Key, int]:
    stmt = select(Reservation.unit_id, Reservation.quota_type, func.sum(Reservation.held)).group_by(
        Reservation.unit_id, Reservation.quota_type
    )
    return {(u, q): int(n) for u, q, n in await session.execute(stmt) if n}


async def outstanding_loans(session: AsyncSession) -> dict[Key, int]:
    stmt = select(Loan.unit_id, Loan.quota_type, func.sum(Loan.outstanding)).group_by(
        Loan.unit_id, Loan.quota_type
    )
    return {(u, q): int(n) for u, q, n in await session.execute(stmt) if n}


async def posts_held(session: AsyncSession) -> dict[str, int]:
    """Approved posts of all units plus every pool, per quota type."""
    held: dict[str, int] = {}
    by_unit = select(Quota.quota_type, func.sum(Quota.approved)).group_by(Quota.quota_type)
    for quota_type, total in await session.execute(by_unit):
        held[quota_type] = held.get(quota_type, 0) + int(total)
    for pool in await all_pools(session):
        held[pool.quota_type] = held.get(pool.quota_type, 0) + pool.balance
    return held


async def external_changes(session: AsyncSession, kinds: Iterable[str]) -> dict[str, int]:
    stmt = (
        select(LedgerEntry.quota_type, func.sum(LedgerEntry.delta))
        .where(LedgerEntry.kind.in_(list(kinds)), LedgerEntry.account == "approved")
        .group_by(LedgerEntry.quota_type)
    )
    return {q: int(total) for q, total in await session.execute(stmt)}
