"""Queries of settlements and the dated rate table."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from common.auth import Principal
from services.sharing.models import (
    Assignment,
    PeriodRate,
    Settlement,
    Teacher,
    TravelAllowance,
    Unit,
)


async def rates(session: AsyncSession) -> list[PeriodRate]:
    stmt = select(PeriodRate).order_by(
        col(PeriodRate.title), col(PeriodRate.mode), col(PeriodRate.effective_from)
    )
    return list((await session.execute(stmt)).scalars())


async def allowances(session: AsyncSession) -> list[TravelAllowance]:
    stmt = select(TravelAllowance).order_by(
        col(TravelAllowance.effective_from), col(TravelAllowance.min_km), col(TravelAllowance.id)
    )
    return list((await session.execute(stmt)).scalars())


async def assignments(session: AsyncSession, ids: set[uuid.UUID]) -> list[Assignment]:
    if not ids:
        return []
    stmt = select(Assignment).where(col(Assignment.id).in_(ids))
    return list((await session.execute(stmt)).scalars())


async def teachers_in_scope(session: AsyncSession, principal: Principal) -> list[Teacher]:
    stmt = select(Teacher)
    if principal.role == "district_hr":
        stmt = stmt.where(col(Teacher.district_id) == principal.district_id)
    return list((await session.execute(stmt)).scalars())


async def settled_teachers(
    session: AsyncSession, month: str, teacher_ids: list[uuid.UUID]
) -> set[uuid.UUID]:
    stmt = select(col(Settlement.teacher_id)).where(
        col(Settlement.month) == month, col(Settlement.teacher_id).in_(teacher_ids)
    )
    return set((await session.execute(stmt)).scalars())


def visible(principal: Principal, teacher_id: uuid.UUID | None) -> Select[Any]:
    stmt = select(Settlement)
    if principal.is_city_wide or principal.role == "city_hr":
        return stmt
    if principal.role == "district_hr":
        return stmt.where(col(Settlement.home_district_id) == principal.district_id)
    if principal.role == "school_admin":
        return stmt.where(col(Settlement.home_unit_id) == principal.unit_id)
    return stmt.where(col(Settlement.teacher_id) == teacher_id)


async def district_names(session: AsyncSession) -> dict[uuid.UUID, str]:
    stmt = select(col(Unit.id), col(Unit.name)).where(col(Unit.kind) == "district")
    return {i: name for i, name in (await session.execute(stmt)).all()}
