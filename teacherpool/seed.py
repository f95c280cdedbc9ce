"""Seeding the demo city into the services' databases."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from common.db import Database
from services.staffing.models import Enrolment, Unit
from services.staffing.units.service import add_unit
from teacherpool.demo import build_city

DEMO_SCHOOL_YEAR = 2026


@dataclass(frozen=True, slots=True)
class SeedReport:
    districts: int
    schools: int
    skipped: bool


async def seed_staffing(url: str, *, scale: str = "demo", seed: int = 2023) -> SeedReport:
    """Register the demo city's units (and their events) when the staffing database is empty."""
    city = build_city(scale, seed)
    db = Database(url)
    try:
        async with db.session() as session:
            existing = (await session.execute(select(func.count()).select_from(Unit))).scalar_one()
            if existing:
                return SeedReport(0, 0, skipped=True)
            for district in city.districts:
                await add_unit(
                    session,
                    Unit(
                        id=district.id,
                        kind="district",
                        code=district.code,
                        name=district.name,
                        stages=[],
                        lat=district.lat,
                        lon=district.lon,
                    ),
                )
            for school in city.schools:
                await add_unit(
                    session,
                    Unit(
                        id=school.id,
                        kind="school",
                        code=school.code,
                        name=school.name,
                        district_id=school.district_id,
                        stages=list(school.stages),
                        lat=school.lat,
                        lon=school.lon,
                    ),
                )
                session.add_all(
                    Enrolment(
                        unit_id=school.id, school_year=DEMO_SCHOOL_YEAR, stage=stage, pupils=pupils
                    )
                    for stage, pupils in school.enrolment.items()
                )
        return SeedReport(len(city.districts), len(city.schools), skipped=False)
    finally:
        await db.dispose()
