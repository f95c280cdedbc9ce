"""Every query behind summaries, standards and warnings: aggregates, never row by row."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from services.staffing.models import Enrolment, Pool, Quota, Standard, Unit


def in_area(unit_id: uuid.UUID | None, district_id: uuid.UUID | None) -> ColumnElement[bool]:
    """Units of one unit, one district (its schools and itself), or the city."""
    if unit_id is not None:
        return Unit.id == unit_id
    if district_id is not None:
        return (Unit.district_id == district_id) | (Unit.id == district_id)
    return Unit.id.is_not(None)


async def quota_totals(session: AsyncSession, area: ColumnElement[bool]) -> list[Any]:
    stmt = (
        select(
            Quota.quota_type,
            func.sum(Quota.approved),
            func.sum(Quota.occupied),
            func.sum(Quota.reserved),
            func.sum(Quota.borrowed),
        )
        .join(Unit, Unit.id == Quota.unit_id)
        .where(area)
        .group_by(Quota.quota_type)
        .order_by(Quota.quota_type)
    )
    return list(await session.execute(stmt))


async def pupils(session: AsyncSession, area: ColumnElement[bool]) -> list[Any]:
    """Pupils per school year, stage and forecast flag over the area."""
    stmt = (
        select(
            Enrolment.school_year, Enrolment.stage, Enrolment.forecast, func.sum(Enrolment.pupils)
        )
        .join(Unit, Unit.id == Enrolment.unit_id)
        .where(area)
        .group_by(Enrolment.school_year, Enrolment.stage, Enrolment.forecast)
    )
    return list(await session.execute(stmt))


async def pupils_by_unit(session: AsyncSession, area: ColumnElement[bool]) -> list[Any]:
    stmt = (
        select(
            Enrolment.unit_id,
            Enrolment.school_year,
            Enrolment.stage,
            Enrolment.forecast,
            Enrolment.pupils,
        )
        .join(Unit, Unit.id == Enrolment.unit_id)
        .where(area)
    )
    return list(await session.execute(stmt))


async def approved_by_unit(session: AsyncSession, area: ColumnElement[bool]) -> dict[Any, int]:
    stmt = (
        select(Quota.unit_id, func.sum(Quota.approved))
        .join(Unit, Unit.id == Quota.unit_id)
        .where(area)
        .group_by(Quota.unit_id)
    )
    return {unit_id: int(total) for unit_id, total in await session.execute(stmt)}


async def schools(
    session: AsyncSession, area: ColumnElement[bool], scope: ColumnElement[bool]
) -> list[Unit]:
    stmt = select(Unit).where(area, scope, Unit.kind == "school").order_by(Unit.code)
    return list((await session.execute(stmt)).scalars())


async def pool_balances(session: AsyncSession) -> dict[str, int]:
    return {p.quota_type: p.balance for p in (await session.execute(select(Pool))).scalars()}


async def standards(session: AsyncSession) -> list[Standard]:
    stmt = select(Standard).order_by(Standard.effective_from, Standard.stage)
    return list((await session.execute(stmt)).scalars())


async def standards_in_force(session: AsyncSession, on: date) -> dict[str, float]:
    """Pupils per post by stage: the newest row of each stage in force on `on`."""
    stmt = select(Standard).where(Standard.effective_from <= on).order_by(Standard.effective_from)
    return {row.stage: row.pupils_per_post for row in (await session.execute(stmt)).scalars()}


async def get_standard(session: AsyncSession, effective_from: date, stage: str) -> Standard | None:
    return await session.get(Standard, (effective_from, stage))
