"""HTTP for the acts on a school's life: open, merge, close, and the record of them."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, status
from sqlmodel import col

from common.clock import local_today
from common.deps import DEFAULT_LIMIT, CurrentPrincipal, Cursor, Limit, SessionDep
from common.pagination import Page, paginate
from services.staffing.lifecycle import repository, service
from services.staffing.lifecycle.schemas import (
    ActResult,
    ClosureCreate,
    MergerCreate,
    OpeningCreate,
    UnitActPublic,
)
from services.staffing.models import UnitAct
from services.staffing.units.schemas import UnitPublic

router = APIRouter(prefix="/v1", tags=["lifecycle"])


def result(act: UnitAct, unit: object) -> ActResult:
    return ActResult(act=UnitActPublic.model_validate(act), unit=UnitPublic.model_validate(unit))


@router.post("/schools/openings", status_code=status.HTTP_201_CREATED, response_model=ActResult)
async def open_school(
    body: OpeningCreate, session: SessionDep, principal: CurrentPrincipal
) -> ActResult:
    """Open a school with its staffing plan (新开校), under a document number."""
    act, unit = await service.open_school(session, principal, body, local_today())
    return result(act, unit)


@router.post(
    "/schools/{unit_id}/merger", status_code=status.HTTP_201_CREATED, response_model=ActResult
)
async def merge(
    unit_id: uuid.UUID, body: MergerCreate, session: SessionDep, principal: CurrentPrincipal
) -> ActResult:
    """Merge this school into another in one step: posts, staff and loans move (合并)."""
    act, unit = await service.merge(session, principal, unit_id, body, local_today())
    return result(act, unit)


@router.post(
    "/schools/{unit_id}/closure", status_code=status.HTTP_201_CREATED, response_model=ActResult
)
async def close(
    unit_id: uuid.UUID, body: ClosureCreate, session: SessionDep, principal: CurrentPrincipal
) -> ActResult:
    """Close this school: staff move by the list, posts go back to the pool (撤销)."""
    act, unit = await service.close(session, principal, unit_id, body, local_today())
    return result(act, unit)


@router.get("/unit-acts", response_model=Page[UnitActPublic])
async def list_acts(
    session: SessionDep,
    principal: CurrentPrincipal,
    unit_id: uuid.UUID | None = None,
    kind: Literal["opened", "merged", "closed"] | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[UnitActPublic]:
    """Acts on schools in your scope, oldest first."""
    stmt = repository.visible_acts(principal)
    if unit_id is not None:
        stmt = stmt.where(
            (col(UnitAct.unit_id) == unit_id) | (col(UnitAct.other_unit_id) == unit_id)
        )
    if kind is not None:
        stmt = stmt.where(col(UnitAct.kind) == kind)
    rows, next_cursor = await paginate(
        session,
        stmt,
        order_by=[col(UnitAct.at), col(UnitAct.id)],
        cursor=cursor,
        limit=limit,
    )
    return Page[UnitActPublic](
        data=[UnitActPublic.model_validate(r) for r in rows], next_cursor=next_cursor
    )
