"""Rules of places (学位): capacity, the cohort projection, and warnings when forecast pupils
exceed places (学位预警)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from common.auth import CITY_ROLES, Principal
from common.errors import Forbidden, InvalidInput
from common.scoping import unit_scope
from services.staffing.models import BirthCohort, Capacity, Enrolment, GradeCount, Unit
from services.staffing.places import repository
from services.staffing.places.projection import STAGE_YEARS, first_over, project, split_evenly
from services.staffing.places.schemas import (
    BirthCohortRow,
    CapacityPublic,
    CapacityRow,
    GradeRow,
    PlaceWarning,
    ProjectionPublic,
)
from services.staffing.units import repository as units
from services.staffing.units.service import ensure_visible, not_taught, unit_for_action


def public(row: Capacity) -> CapacityPublic:
    return CapacityPublic(
        stage=row.stage, classes=row.classes, class_size=row.class_size, places=row.places
    )


async def set_capacity(
    session: AsyncSession,
    principal: Principal,
    unit_id: uuid.UUID,
    rows: list[CapacityRow],
    today: date,
) -> list[Capacity]:
    """Record a school's classes per stage; the class size defaults to the standard in force."""
    school = await unit_for_action(session, principal, unit_id)
    if school.kind != "school":
        raise InvalidInput.field("path.unit_id", "places belong to schools")
    sizes = await repository.class_sizes(session, today)
    for n, row in enumerate(rows):
        if row.stage not in school.stages:
            raise not_taught(f"body.{n}.stage", school.code, row.stage)
        if row.class_size is None and row.stage not in sizes:
            raise InvalidInput.field(f"body.{n}.class_size", "no class-size standard in force")
    for row in rows:
        size = row.class_size or sizes[row.stage]
        found = await repository.capacity(session, school.id, row.stage)
        if found is None:
            session.add(
                Capacity(unit_id=school.id, stage=row.stage, classes=row.classes, class_size=size)
            )
        else:
            found.classes, found.class_size = row.classes, size
    await session.flush()
    return await repository.capacities(session, [school.id])


async def set_grades(
    session: AsyncSession, principal: Principal, unit_id: uuid.UUID, rows: list[GradeRow]
) -> list[GradeCount]:
    """Record pupils per grade; the projection starts from the newest year recorded."""
    school = await unit_for_action(session, principal, unit_id)
    for n, row in enumerate(rows):
        if row.stage not in school.stages:
            raise not_taught(f"body.{n}.stage", school.code, row.stage)
        if row.grade > STAGE_YEARS[row.stage][1]:
            raise InvalidInput.coded(
                f"body.{n}.grade",
                f"{row.stage} has no grade {row.grade}",
                "no_such_grade",
                stage=row.stage,
                grade=row.grade,
            )
    for row in rows:
        found = await repository.grade_row(
            session, school.id, row.school_year, row.stage, row.grade
        )
        if found is None:
            session.add(GradeCount(unit_id=school.id, **row.model_dump()))
        else:
            found.pupils = row.pupils
    await session.flush()
    return await repository.grades(session, school.id)


async def district_for_hr(
    session: AsyncSession, principal: Principal, district_id: uuid.UUID
) -> Unit:
    district = ensure_visible(principal, await units.get(session, district_id))
    if district.kind != "district":
        raise InvalidInput.field("path.district_id", "birth cohorts belong to districts")
    return district


async def set_births(
    session: AsyncSession, principal: Principal, district_id: uuid.UUID, rows: list[BirthCohortRow]
) -> list[BirthCohort]:
    """Record or correct a district's births per year (出生人口)."""
    district = await district_for_hr(session, principal, district_id)
    if principal.role not in CITY_ROLES and not (
        principal.role == "district_hr" and principal.district_id == district.id
    ):
        raise Forbidden("only the district's own HR or city HR records its births")
    for row in rows:
        found = await repository.birth_row(session, district.id, row.birth_year)
        if found is None:
            session.add(BirthCohort(district_id=district.id, **row.model_dump()))
        else:
            found.births = row.births
    await session.flush()
    return await repository.births(session, district.id)


def base_grades(
    school: Unit, grade_rows: list[GradeCount], counted: list[Enrolment]
) -> tuple[int, dict[str, list[int]]] | None:
    """The newest counted year and its pupils per grade: recorded grades where there are any,
    else the stage's counted total spread evenly over its grades."""
    years = [r.school_year for r in counted if not r.forecast]
    years += [r.school_year for r in grade_rows]
    if not years:
        return None
    base = max(years)
    found: dict[str, list[int]] = {}
    for stage in school.stages:
        grades = STAGE_YEARS[stage][1]
        recorded = {
            r.grade: r.pupils for r in grade_rows if r.school_year == base and r.stage == stage
        }
        if recorded:
            found[stage] = [recorded.get(g, 0) for g in range(1, grades + 1)]
            continue
        total = next(
            (
                r.pupils
                for r in counted
                if r.school_year == base and r.stage == stage and not r.forecast
            ),
            None,
        )
        if total is not None:
            found[stage] = split_evenly(total, grades)
    return base, found


async def run_projection(
    session: AsyncSession, principal: Principal, district_id: uuid.UUID | None, years: int
) -> ProjectionPublic:
    """Project every open school in scope (or of a district) `years` ahead and store the result
    as forecast enrolment; a forecast imported or entered by hand for a year is kept."""
    if principal.role not in (*CITY_ROLES, "district_hr"):
        raise Forbidden("only HR projects enrolment")
    if principal.role == "district_hr":
        district_id = district_id or principal.district_id
    if district_id is not None:
        await district_for_hr(session, principal, district_id)
    scope = unit_scope(principal, col(Unit.id), col(Unit.district_id))
    schools = await repository.schools(session, scope, district_id)
    ids = [s.id for s in schools]
    births: dict[uuid.UUID, dict[int, int]] = defaultdict(dict)
    for row in await repository.births_of(
        [s.district_id for s in schools if s.district_id], session
    ):
        births[row.district_id][row.birth_year] = row.births
    enrolment: dict[uuid.UUID, list[Enrolment]] = defaultdict(list)
    for entry in await repository.enrolment_of(session, ids):
        enrolment[entry.unit_id].append(entry)
    grades_of: dict[uuid.UUID, list[GradeCount]] = defaultdict(list)
    for grade in await repository.grades_of(session, ids):
        grades_of[grade.unit_id].append(grade)
    await repository.drop_projections(session, ids)
    kept = 0
    span: list[int] = []
    rows: list[dict[str, object]] = []
    for school in schools:
        base = base_grades(school, grades_of[school.id], enrolment[school.id])
        if base is None:
            continue
        base_year, grades = base
        imported = {(r.school_year, r.stage) for r in enrolment[school.id] if r.source == "import"}
        cohort = births.get(school.district_id, {}) if school.district_id else {}
        for year, stages in project(base_year, grades, cohort, years).items():
            for stage, pupils in stages.items():
                if (year, stage) in imported:
                    kept += 1
                    continue
                rows.append(
                    {
                        "unit_id": school.id,
                        "school_year": year,
                        "stage": stage,
                        "pupils": pupils,
                        "forecast": True,
                        "source": "projection",
                    }
                )
                span.append(year)
    written = len(rows)
    await repository.insert_enrolment(session, rows)
    await session.flush()
    return ProjectionPublic(
        schools=len(schools),
        rows_written=written,
        kept_imported=kept,
        first_year=min(span) if span else None,
        last_year=max(span) if span else None,
    )


async def place_warnings(
    session: AsyncSession, principal: Principal, district_id: uuid.UUID | None
) -> list[PlaceWarning]:
    """Stages of schools in scope where pupils exceed places now or by the forecast (学位预警),
    each with the first school year it bites, by code and stage."""
    scope = unit_scope(principal, col(Unit.id), col(Unit.district_id))
    schools = await repository.schools(session, scope, district_id)
    ids = [s.id for s in schools]
    places = {(c.unit_id, c.stage): c.places for c in await repository.capacities(session, ids)}
    pupils: dict[tuple[uuid.UUID, str], dict[int, tuple[int, bool]]] = defaultdict(dict)
    counted: dict[uuid.UUID, int] = {}
    rows = await repository.enrolment_of(session, ids)
    for row in rows:
        if not row.forecast:
            counted[row.unit_id] = max(counted.get(row.unit_id, 0), row.school_year)
    for row in rows:
        current = counted.get(row.unit_id, 0)
        if (row.forecast and row.school_year > current) or (
            not row.forecast and row.school_year == current
        ):
            pupils[(row.unit_id, row.stage)][row.school_year] = (row.pupils, row.forecast)
    found = []
    for school in schools:
        for stage in school.stages:
            limit = places.get((school.id, stage))
            by_year = pupils.get((school.id, stage))
            if limit is None or not by_year:
                continue
            over = first_over({y: n for y, (n, _) in by_year.items()}, limit)
            if over is None:
                continue
            year, count = over
            found.append(
                PlaceWarning(
                    unit_id=school.id,
                    code=school.code,
                    name=school.name,
                    district_id=school.district_id,
                    stage=stage,
                    places=limit,
                    bites_in=year,
                    pupils=count,
                    shortfall=count - limit,
                    forecast=by_year[year][1],
                )
            )
    return found
