"""Every query on places, grade counts, birth cohorts and projected enrolment."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.staffing.models import (
    BirthCohort,
    Capacity,
    ClassSizeStandard,
    Enrolment,
    GradeCount,
    Unit,
)


async def capacities(session: AsyncSession, unit_ids: list[uuid.UUID]) -> list[Capacity]:
    stmt = select(Capacity).where(col(Capacity.unit_id).in_(unit_ids)).order_by(col(Capacity.stage))
    return list((await session.execute(stmt)).scalars())


async def capacity(session: AsyncSession, unit_id: uuid.UUID, stage: str) -> Capacity | None:
    return await session.get(Capacity, (unit_id, stage))


async def class_sizes(session: AsyncSession, on: date) -> dict[str, int]:
    """Pupils per class by stage in force on `on`."""
    stmt = (
        select(ClassSizeStandard)
        .where(col(ClassSizeStandard.effective_from) <= on)
        .order_by(col(ClassSizeStandard.effective_from))
    )
    return {row.stage: row.pupils_per_class for row in (await session.execute(stmt)).scalars()}


async def class_size_standards(session: AsyncSession) -> list[ClassSizeStandard]:
    stmt = select(ClassSizeStandard).order_by(
        col(ClassSizeStandard.stage), col(ClassSizeStandard.effective_from)
    )
    return list((await session.execute(stmt)).scalars())


async def grades(session: AsyncSession, unit_id: uuid.UUID) -> list[GradeCount]:
    stmt = (
        select(GradeCount)
        .where(col(GradeCount.unit_id) == unit_id)
        .order_by(col(GradeCount.school_year), col(GradeCount.stage), col(GradeCount.grade))
    )
    return list((await session.execute(stmt)).scalars())


async def grade_row(
    session: AsyncSession, unit_id: uuid.UUID, school_year: int, stage: str, grade: int
) -> GradeCount | None:
    return await session.get(GradeCount, (unit_id, school_year, stage, grade))


async def births(session: AsyncSession, district_id: uuid.UUID) -> list[BirthCohort]:
    stmt = (
        select(BirthCohort)
        .where(col(BirthCohort.district_id) == district_id)
        .order_by(col(BirthCohort.birth_year))
    )
    return list((await session.execute(stmt)).scalars())


async def birth_row(
    session: AsyncSession, district_id: uuid.UUID, birth_year: int
) -> BirthCohort | None:
    return await session.get(BirthCohort, (district_id, birth_year))


async def enrolment_of(session: AsyncSession, unit_ids: list[uuid.UUID]) -> list[Enrolment]:
    stmt = select(Enrolment).where(col(Enrolment.unit_id).in_(unit_ids))
    return list((await session.execute(stmt)).scalars())


async def schools(session: AsyncSession, scope: Any, district_id: uuid.UUID | None) -> list[Unit]:
    stmt = select(Unit).where(col(Unit.kind) == "school", col(Unit.status) == "open", scope)
    if district_id is not None:
        stmt = stmt.where(col(Unit.district_id) == district_id)
    return list((await session.execute(stmt.order_by(col(Unit.code)))).scalars())


async def births_of(district_ids: list[uuid.UUID], session: AsyncSession) -> list[BirthCohort]:
    stmt = select(BirthCohort).where(col(BirthCohort.district_id).in_(set(district_ids)))
    return list((await session.execute(stmt)).scalars())


async def grades_of(session: AsyncSession, unit_ids: list[uuid.UUID]) -> list[GradeCount]:
    stmt = select(GradeCount).where(col(GradeCount.unit_id).in_(unit_ids))
    return list((await session.execute(stmt)).scalars())


async def drop_projections(session: AsyncSession, unit_ids: list[uuid.UUID]) -> None:
    await session.execute(
        delete(Enrolment).where(
            col(Enrolment.unit_id).in_(unit_ids), col(Enrolment.source) == "projection"
        )
    )


async def insert_enrolment(session: AsyncSession, rows: list[dict[str, object]]) -> None:
    for start in range(0, len(rows), 2000):
        await session.execute(insert(Enrolment), rows[start : start + 2000])
