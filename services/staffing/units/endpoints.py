"""HTTP for units."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, status
from sqlmodel import col

from common.deps import DEFAULT_LIMIT, CurrentPrincipal, Cursor, Limit, SessionDep
from common.pagination import Page, paged
from common.readcache import cached_get
from services.staffing.models import Unit
from services.staffing.units import repository, service
from services.staffing.units.schemas import (
    EnrolmentPublic,
    EnrolmentRow,
    UnitCreate,
    UnitPublic,
    UnitUpdate,
)

router = APIRouter(prefix="/v1/units", tags=["units"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=UnitPublic)
async def create_unit(body: UnitCreate, session: SessionDep, principal: CurrentPrincipal) -> Unit:
    """Register a district or a school."""
    return await service.register_unit(session, principal, body)


@cached_get(router, "", response_model=Page[UnitPublic])
async def list_units(
    session: SessionDep,
    principal: CurrentPrincipal,
    kind: Literal["district", "school"] | None = None,
    district_id: uuid.UUID | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[UnitPublic]:
    """Units in your scope, by code."""
    stmt = repository.visible(principal)
    if kind:
        stmt = stmt.where(col(Unit.kind) == kind)
    if district_id:
        stmt = stmt.where(col(Unit.district_id) == district_id)
    return await paged(
        session,
        stmt,
        order_by=[col(Unit.code)],
        cursor=cursor,
        limit=limit,
        shape=UnitPublic.model_validate,
    )


@router.get("/{unit_id}", response_model=UnitPublic)
async def get_unit(unit_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal) -> Unit:
    """One unit in your scope."""
    return service.ensure_visible(principal, await repository.get(session, unit_id))


@router.patch("/{unit_id}", response_model=UnitPublic)
async def update_unit(
    unit_id: uuid.UUID, body: UnitUpdate, session: SessionDep, principal: CurrentPrincipal
) -> Unit:
    """Change a unit's name, stages or location."""
    return await service.update_unit(session, principal, unit_id, body)


@router.get("/{unit_id}/enrolment", response_model=EnrolmentPublic)
async def get_enrolment(
    unit_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> EnrolmentPublic:
    """Pupils per stage and school year, counted and forecast."""
    unit = service.ensure_visible(principal, await repository.get(session, unit_id))
    rows = await repository.enrolment(session, unit.id)
    return EnrolmentPublic(unit_id=unit.id, data=[EnrolmentRow.model_validate(r) for r in rows])


@router.put("/{unit_id}/enrolment", response_model=EnrolmentPublic)
async def put_enrolment(
    unit_id: uuid.UUID,
    body: list[EnrolmentRow],
    session: SessionDep,
    principal: CurrentPrincipal,
) -> EnrolmentPublic:
    """Record or correct enrolment rows; rows not named stay as they are."""
    rows = await service.set_enrolment(session, principal, unit_id, body)
    return EnrolmentPublic(unit_id=unit_id, data=[EnrolmentRow.model_validate(r) for r in rows])
