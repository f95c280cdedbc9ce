"""HTTP for summaries, standards and warnings."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from common.clock import local_today
from common.deps import DEFAULT_LIMIT, CurrentPrincipal, Cursor, Limit, SessionDep
from services.staffing.summaries import repository, service
from services.staffing.summaries.schemas import (
    DataProblem,
    StandardPublic,
    StandardsPublic,
    Summary,
    UnitSummary,
    WarningsPage,
)

router = APIRouter(prefix="/v1", tags=["summaries"])


@router.get("/units/{unit_id}/summary", response_model=UnitSummary)
async def unit_summary(
    unit_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> UnitSummary:
    """A school's posts held and needed, or a district's over its schools."""
    return await service.unit_summary(session, principal, unit_id, local_today())


@router.get("/summary", response_model=Summary)
async def area_summary(
    session: SessionDep, principal: CurrentPrincipal, district_id: uuid.UUID | None = None
) -> Summary:
    """The city's posts held and needed, or one district's with `district_id`."""
    return await service.area_summary(session, principal, district_id, local_today())


@router.get("/standards", response_model=StandardsPublic)
async def list_standards(session: SessionDep, principal: CurrentPrincipal) -> StandardsPublic:
    """The dated staffing standards, and those in force today."""
    rows = await service.standards(session)
    return StandardsPublic(
        data=[StandardPublic.model_validate(r) for r in rows],
        in_force=await repository.standards_in_force(session, local_today()),
    )


@router.post("/standards", status_code=status.HTTP_201_CREATED, response_model=StandardPublic)
async def set_standard(
    body: StandardPublic, session: SessionDep, principal: CurrentPrincipal
) -> StandardPublic:
    """Add a dated standard for a stage (or correct the one of that date)."""
    return StandardPublic.model_validate(await service.set_standard(session, principal, body))


@router.get("/warnings", response_model=WarningsPage)
async def list_warnings(
    session: SessionDep,
    principal: CurrentPrincipal,
    district_id: uuid.UUID | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> WarningsPage:
    """Schools short of posts now or by their enrolment forecast (学位预警), by code."""
    problems: list[DataProblem] = []
    found = await service.warnings(session, principal, district_id, local_today(), problems)
    if cursor:
        found = [w for w in found if w.code > cursor]
    page = found[:limit]
    return WarningsPage(
        data=page, next_cursor=page[-1].code if len(found) > limit else None, problems=problems
    )
