"""Every query behind summaries, standards and warnings: aggregates, never row by row."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from services.staffing.models import Enrolment, Pool, Quota, Standard, Unit


def in_area(unit_id: uuid.UUID | None, district_id: uuid.UUID | None) -> ColumnElement[bool]:
    """Units of one unit, one district (its schools and itself), or the city."""
    if unit_id is not None:
        return col(Unit.id) == unit_id
    if district_id is not None:
        return (col(Unit.district_id) == district_id) | (col(Unit.id) == district_id)
    return col(Unit.id).is_not(None)


async def quota_totals(session: AsyncSession, area: ColumnElement[bool]) -> list[Any]:
    stmt = (
        select(
            col(Quota.quota_type),
            func.sum(col(Quota.approved)),
            func.sum(col(Quota.occupied)),
            func.sum(col(Quota.reserved)),
            func.sum(col(Quota.borrowed)),
        )
        .join(Unit, col(Unit.id) == col(Quota.unit_id))
        .where(area)
        .group_by(col(Quota.quota_type))
        .order_by(col(Quota.quota_type))
    )
    return list(await session.execute(stmt))


async def pupils(session: AsyncSession, area: ColumnElement[bool]) -> list[Any]:
    """Pupils per school year, stage and forecast flag over the area."""
    stmt = (
        select(
            col(Enrolment.school_year),
            col(Enrolment.stage),
            col(Enrolment.forecast),
            func.sum(col(Enrolment.pupils)),
        )
        .join(Unit, col(Unit.id) == col(Enrolment.unit_id))
        .where(area)
        .group_by(col(Enrolment.school_year), col(Enrolment.stage), col(Enrolment.forecast))
    )
    return list(await session.execute(stmt))


async def pupils_by_unit(session: AsyncSession, area: ColumnElement[bool]) -> list[Any]:
    stmt = (
        select(
            col(Enrolment.unit_id),
            col(Enrolment.school_year),
            col(Enrolment.stage),
            col(Enrolment.forecast),
            col(Enrolment.pupils),
        )
        .join(Unit, col(Unit.id) == col(Enrolment.unit_id))
        .where(area)
    )
    return list(await session.execute(stmt))


async def approved_by_unit(session: AsyncSession, area: ColumnElement[bool]) -> dict[Any, int]:
    stmt = (
        select(col(Quota.unit_id), func.sum(col(Quota.approved)))
        .join(Unit, col(Unit.id) == col(Quota.unit_id))
        .where(area)
        .group_by(col(Quota.unit_id))
    )
    return {unit_id: int(total) for unit_id, total in await session.execute(stmt)}


async def schools(
    session: AsyncSession, area: ColumnElement[bool], scope: ColumnElement[bool]
) -> list[Unit]:
    stmt = select(Unit).where(area, scope, col(Unit.kind) == "school").order_by(col(Unit.code))
    return list((await session.execute(stmt)).scalars())


async def pool_balances(session: AsyncSession) -> dict[str, int]:
    return {p.quota_type: p.balance for p in (await session.execute(select(Pool))).scalars()}


async def standards(session: AsyncSession) -> list[Standard]:
    stmt = select(Standard).order_by(col(Standard.effective_from), col(Standard.stage))
    return list((await session.execute(stmt)).scalars())


async def standards_in_force(session: AsyncSession, on: date) -> dict[str, float]:
    """Pupils per post by stage: the newest row of each stage in force on `on`."""
    stmt = (
        select(Standard)
        .where(col(Standard.effective_from) <= on)
        .order_by(col(Standard.effective_from))
    )
    return {row.stage: row.pupils_per_post for row in (await session.execute(stmt)).scalars()}


async def get_standard(session: AsyncSession, effective_from: date, stage: str) -> Standard | None:
    return await session.get(Standard, (effective_from, stage))
