"""HTTP for places, grades, birth cohorts, the cohort projection and 学位预警."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from common.clock import local_today
from common.deps import CurrentPrincipal, SessionDep
from services.staffing.places import repository, service
from services.staffing.places.schemas import (
    BirthCohortRow,
    BirthCohortsPublic,
    CapacitiesPublic,
    CapacityRow,
    ClassSizeStandardPublic,
    GradeRow,
    GradesPublic,
    PlaceWarningsPage,
    ProjectionCreate,
    ProjectionPublic,
)
from services.staffing.units import repository as units
from services.staffing.units.service import ensure_visible

router = APIRouter(prefix="/v1", tags=["places"])


@router.get("/units/{unit_id}/capacity", response_model=CapacitiesPublic)
async def get_capacity(
    unit_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> CapacitiesPublic:
    """A school's places per stage: classes × pupils per class."""
    unit = ensure_visible(principal, await units.get(session, unit_id))
    rows = await repository.capacities(session, [unit.id])
    return CapacitiesPublic(unit_id=unit.id, data=[service.public(r) for r in rows])


@router.put("/units/{unit_id}/capacity", response_model=CapacitiesPublic)
async def put_capacity(
    unit_id: uuid.UUID, body: list[CapacityRow], session: SessionDep, principal: CurrentPrincipal
) -> CapacitiesPublic:
    """Record a school's classes per stage (and class size, else the standard's)."""
    rows = await service.set_capacity(session, principal, unit_id, body, local_today())
    return CapacitiesPublic(unit_id=unit_id, data=[service.public(r) for r in rows])


@router.get("/class-size-standards", response_model=list[ClassSizeStandardPublic])
async def list_class_sizes(
    session: SessionDep, principal: CurrentPrincipal
) -> list[ClassSizeStandardPublic]:
    """Pupils per class by stage, dated, with their sources (班额标准)."""
    return [
        ClassSizeStandardPublic.model_validate(r)
        for r in await repository.class_size_standards(session)
    ]


@router.get("/units/{unit_id}/grades", response_model=GradesPublic)
async def get_grades(
    unit_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> GradesPublic:
    """A school's pupils per grade and school year."""
    unit = ensure_visible(principal, await units.get(session, unit_id))
    rows = await repository.grades(session, unit.id)
    return GradesPublic(unit_id=unit.id, data=[GradeRow.model_validate(r) for r in rows])


@router.put("/units/{unit_id}/grades", response_model=GradesPublic)
async def put_grades(
    unit_id: uuid.UUID, body: list[GradeRow], session: SessionDep, principal: CurrentPrincipal
) -> GradesPublic:
    """Record or correct pupils per grade; rows not named stay as they are."""
    rows = await service.set_grades(session, principal, unit_id, body)
    return GradesPublic(unit_id=unit_id, data=[GradeRow.model_validate(r) for r in rows])


@router.get("/districts/{district_id}/birth-cohorts", response_model=BirthCohortsPublic)
async def get_births(
    district_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> BirthCohortsPublic:
    """A district's births per year: the intake of the cohort projection."""
    district = await service.district_for_hr(session, principal, district_id)
    rows = await repository.births(session, district.id)
    return BirthCohortsPublic(
        district_id=district.id, data=[BirthCohortRow.model_validate(r) for r in rows]
    )


@router.put("/districts/{district_id}/birth-cohorts", response_model=BirthCohortsPublic)
async def put_births(
    district_id: uuid.UUID,
    body: list[BirthCohortRow],
    session: SessionDep,
    principal: CurrentPrincipal,
) -> BirthCohortsPublic:
    """Record or correct a district's births per year; years not named stay as they are."""
    rows = await service.set_births(session, principal, district_id, body)
    return BirthCohortsPublic(
        district_id=district_id, data=[BirthCohortRow.model_validate(r) for r in rows]
    )


@router.post("/projections", status_code=status.HTTP_201_CREATED, response_model=ProjectionPublic)
async def project(
    body: ProjectionCreate, session: SessionDep, principal: CurrentPrincipal
) -> ProjectionPublic:
    """Project enrolment by cohort and store it as forecast enrolment (imported forecasts win)."""
    return await service.run_projection(session, principal, body.district_id, body.years)


@router.get("/place-warnings", response_model=PlaceWarningsPage)
async def place_warnings(
    session: SessionDep, principal: CurrentPrincipal, district_id: uuid.UUID | None = None
) -> PlaceWarningsPage:
    """Stages whose pupils exceed places now or by the forecast (学位预警), with the year."""
    return PlaceWarningsPage(data=await service.place_warnings(session, principal, district_id))
