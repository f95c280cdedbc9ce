"""Every query on the ledger and the totals that verification compares."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

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
        stmt = stmt.join(Unit, col(Unit.id) == col(LedgerEntry.unit_id)).where(
            unit_scope(principal, col(Unit.id), col(Unit.district_id))
        )
    if unit_id is not None:
        stmt = stmt.where(col(LedgerEntry.unit_id) == unit_id)
    if kind is not None:
        stmt = stmt.where(col(LedgerEntry.kind) == kind)
    if quota_type is not None:
        stmt = stmt.where(col(LedgerEntry.quota_type) == quota_type)
    if correlation_id is not None:
        stmt = stmt.where(col(LedgerEntry.correlation_id) == correlation_id)
    if since is not None:
        stmt = stmt.where(col(LedgerEntry.at) >= since)
    if until is not None:
        stmt = stmt.where(col(LedgerEntry.at) < until)
    return stmt


async def sums_by_account(session: AsyncSession) -> dict[tuple[uuid.UUID | None, str, str], int]:
    stmt = select(
        col(LedgerEntry.unit_id),
        col(LedgerEntry.quota_type),
        col(LedgerEntry.account),
        func.sum(col(LedgerEntry.delta)),
    ).group_by(col(LedgerEntry.unit_id), col(LedgerEntry.quota_type), col(LedgerEntry.account))
    return {(u, q, a): int(total) for u, q, a, total in await session.execute(stmt)}


async def all_quotas(session: AsyncSession) -> list[Quota]:
    return list((await session.execute(select(Quota))).scalars())


async def all_pools(session: AsyncSession) -> list[Pool | DistrictPool]:
    """The city's pools and every district's."""
    city: list[Pool | DistrictPool] = list((await session.execute(select(Pool))).scalars())
    return city + list((await session.execute(select(DistrictPool))).scalars())


async def active_staff(session: AsyncSession) -> dict[Key, int]:
    stmt = (
        select(col(Staff.unit_id), col(Staff.quota_type), func.count())
        .where(col(Staff.status) == "active")
        .group_by(col(Staff.unit_id), col(Staff.quota_type))
    )
    return {(u, q): int(n) for u, q, n in await session.execute(stmt)}


async def held_reservations(session: AsyncSession) -> dict[Key, int]:
    stmt = select(
        col(Reservation.unit_id), col(Reservation.quota_type), func.sum(col(Reservation.held))
    ).group_by(col(Reservation.unit_id), col(Reservation.quota_type))
    return {(u, q): int(n) for u, q, n in await session.execute(stmt) if n}


async def outstanding_loans(session: AsyncSession) -> dict[Key, int]:
    stmt = select(
        col(Loan.unit_id), col(Loan.quota_type), func.sum(col(Loan.outstanding))
    ).group_by(col(Loan.unit_id), col(Loan.quota_type))
    return {(u, q): int(n) for u, q, n in await session.execute(stmt) if n}


async def posts_held(session: AsyncSession) -> dict[str, int]:
    """Approved posts of all units plus every pool, per quota type."""
    held: dict[str, int] = {}
    by_unit = select(col(Quota.quota_type), func.sum(col(Quota.approved))).group_by(
        col(Quota.quota_type)
    )
    for quota_type, total in await session.execute(by_unit):
        held[quota_type] = held.get(quota_type, 0) + int(total)
    for pool in await all_pools(session):
        held[pool.quota_type] = held.get(pool.quota_type, 0) + pool.balance
    return held


async def external_changes(session: AsyncSession, kinds: Iterable[str]) -> dict[str, int]:
    stmt = (
        select(col(LedgerEntry.quota_type), func.sum(col(LedgerEntry.delta)))
        .where(col(LedgerEntry.kind).in_(list(kinds)), col(LedgerEntry.account) == "approved")
        .group_by(col(LedgerEntry.quota_type))
    )
    return {q: int(total) for q, total in await session.execute(stmt)}
