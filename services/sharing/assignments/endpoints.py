"""HTTP for assignments and a school's timetable of shared teachers."""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter
from sqlmodel import col

from common.clock import local_today
from common.deps import DEFAULT_LIMIT, CurrentPrincipal, Cursor, Limit, SessionDep
from common.errors import NotFound
from common.pagination import Page, paged
from services.sharing.access import acting_teacher_id
from services.sharing.assignments import repository, service
from services.sharing.assignments.schemas import AssignmentEnd, AssignmentPublic
from services.sharing.models import Assignment, Unit
from services.sharing.teachers.schemas import Timetable, TimetableCell
from services.sharing.timetable import slots_of

router = APIRouter(prefix="/v1", tags=["assignments"])


@router.get("/assignments", response_model=Page[AssignmentPublic])
async def list_assignments(
    session: SessionDep,
    principal: CurrentPrincipal,
    teacher_id: uuid.UUID | None = None,
    unit_id: uuid.UUID | None = None,
    status: str | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[AssignmentPublic]:
    """Assignments you host, send, or teach; filter by teacher, host school or status."""
    stmt = repository.visible(principal, await acting_teacher_id(session, principal))
    if teacher_id is not None:
        stmt = stmt.where(col(Assignment.teacher_id) == teacher_id)
    if unit_id is not None:
        stmt = stmt.where(col(Assignment.host_unit_id) == unit_id)
    if status is not None:
        stmt = stmt.where(col(Assignment.status) == status)
    return await paged(
        session,
        stmt,
        order_by=[col(Assignment.id)],
        cursor=cursor,
        limit=limit,
        shape=AssignmentPublic.of,
    )


@router.get("/assignments/{assignment_id}", response_model=AssignmentPublic)
async def get_assignment(
    assignment_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> AssignmentPublic:
    return AssignmentPublic.of(await service.visible_assignment(session, principal, assignment_id))


@router.post("/assignments/{assignment_id}/end", response_model=AssignmentPublic)
async def end_assignment(
    assignment_id: uuid.UUID, body: AssignmentEnd, session: SessionDep, principal: CurrentPrincipal
) -> AssignmentPublic:
    """End an assignment early with a reason; its request reopens."""
    assignment = await service.end_early(session, principal, assignment_id, body, local_today())
    return AssignmentPublic.of(assignment)


@router.get("/schools/{unit_id}/timetable", response_model=Timetable)
async def school_timetable(
    unit_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal, on: date | None = None
) -> Timetable:
    """The shared teachers a school hosts in the week of a date."""
    unit = await session.get(Unit, unit_id)
    if (
        unit is None
        or principal.role == "teacher"
        or not principal.can_see_unit(unit.id, unit.district_id)
    ):
        raise NotFound("no such school in your scope")
    day = on or local_today()
    cells = [
        TimetableCell(
            weekday=w,
            period=p,
            kind=a.mode,
            unit_id=a.host_unit_id,
            assignment_id=a.id,
            teacher_id=a.teacher_id,
            subject=a.subject,
        )
        for a in await repository.hosted_on(session, unit.id, day)
        for w, p in slots_of(a.slot_mask)
    ]
    return Timetable(on=day, cells=sorted(cells, key=lambda c: (c.weekday, c.period)))
