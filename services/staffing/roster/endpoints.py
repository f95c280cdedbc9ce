"""HTTP for the roster."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, status
from sqlmodel import col

from common.clock import local_today
from common.db import Database
from common.deps import (
    DEFAULT_LIMIT,
    CurrentPrincipal,
    Cursor,
    Limit,
    SessionDep,
)
from common.pagination import Page, paged
from services.staffing.models import Staff, StaffColumns, Unit
from services.staffing.roster import repository, service
from services.staffing.roster.schemas import (
    DepartureCreate,
    StaffCreate,
    StaffPublic,
    StaffUpdate,
    TitleCreate,
    TitlePublic,
    TransferCreate,
)

router = APIRouter(prefix="/v1/staff", tags=["roster"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=StaffPublic)
async def hire(body: StaffCreate, request: Request, principal: CurrentPrincipal) -> StaffColumns:
    """Hire a person into a vacant post; 409 with the unit's figures when there is none."""
    # On PostgreSQL a hire writes with one statement (service.hire_into_vacancy), committed
    # by itself; the session is opened here rather than by a dependency, whose generator
    # and exit stack cost more per request than the session.
    db: Database = request.app.state.db
    async with db.session(one_write=True) as session:
        return await service.hire(session, principal, body, local_today())


@router.get("", response_model=Page[StaffPublic])
async def list_staff(
    session: SessionDep,
    principal: CurrentPrincipal,
    unit_id: uuid.UUID | None = None,
    district_id: uuid.UUID | None = None,
    quota_type: str | None = None,
    active: bool | None = None,
    subject: str | None = None,
    stage: str | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[StaffPublic]:
    """People on the roster in your scope."""
    stmt = repository.visible(principal)
    if unit_id:
        stmt = stmt.where(col(Staff.unit_id) == unit_id)
    if district_id:
        stmt = stmt.where(col(Unit.district_id) == district_id)
    if quota_type:
        stmt = stmt.where(col(Staff.quota_type) == quota_type)
    if active is not None:
        stmt = stmt.where(
            (col(Staff.status) == "active") if active else (col(Staff.status) != "active")
        )
    if subject:
        stmt = stmt.where(col(Staff.subject) == subject)
    if stage:
        stmt = stmt.where(col(Staff.stage) == stage)
    return await paged(
        session,
        stmt,
        order_by=[col(Staff.created_at), col(Staff.id)],
        cursor=cursor,
        limit=limit,
        shape=StaffPublic.model_validate,
    )


@router.get("/{staff_id}", response_model=StaffPublic)
async def get_staff(staff_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal) -> Staff:
    """One person on the roster."""
    return await service.visible_staff(session, principal, staff_id)


@router.post("/{staff_id}/departure", response_model=StaffPublic)
async def depart(
    staff_id: uuid.UUID, body: DepartureCreate, session: SessionDep, principal: CurrentPrincipal
) -> Staff:
    """A person leaves; the post repays the unit's earliest loan first, else falls vacant."""
    return await service.depart(session, principal, staff_id, body, local_today())


@router.post("/{staff_id}/transfer", response_model=StaffPublic)
async def transfer(
    staff_id: uuid.UUID, body: TransferCreate, session: SessionDep, principal: CurrentPrincipal
) -> Staff:
    """Move a person to a vacant post at another unit in one step."""
    return await service.transfer(session, principal, staff_id, body, local_today())


@router.patch("/{staff_id}", response_model=StaffPublic)
async def update_staff(
    staff_id: uuid.UUID, body: StaffUpdate, session: SessionDep, principal: CurrentPrincipal
) -> Staff:
    """Change the subject or stage a person teaches; sharing's profile follows."""
    return await service.update_staff(session, principal, staff_id, body, local_today())


@router.get("/{staff_id}/titles", response_model=list[TitlePublic])
async def list_titles(
    staff_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> list[TitlePublic]:
    """A person's titles with the date each took effect, oldest first."""
    staff = await service.visible_staff(session, principal, staff_id)
    return [TitlePublic.model_validate(t) for t in await repository.titles(session, staff.id)]


@router.post("/{staff_id}/titles", status_code=status.HTTP_201_CREATED, response_model=StaffPublic)
async def record_title(
    staff_id: uuid.UUID, body: TitleCreate, session: SessionDep, principal: CurrentPrincipal
) -> Staff:
    """Record a title conferred from a date; settlement pays each lesson by the title then."""
    return await service.record_title(session, principal, staff_id, body, local_today())
