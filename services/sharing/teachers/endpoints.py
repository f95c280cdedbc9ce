"""HTTP for teacher profiles and their weekly timetables."""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter
from sqlmodel import col

from common.clock import local_today
from common.deps import DEFAULT_LIMIT, CurrentPrincipal, Cursor, Limit, SessionDep
from common.pagination import Page, paged
from services.sharing.access import acting_teacher_id
from services.sharing.assignments import service as assignments
from services.sharing.deps import SchoolDayDep
from services.sharing.models import Teacher
from services.sharing.teachers import repository, service
from services.sharing.teachers.schemas import (
    TeacherPublic,
    TeacherUpdate,
    Timetable,
    TimetableCell,
)
from services.sharing.timetable import slots_of

router = APIRouter(prefix="/v1", tags=["teachers"])


def teacher_public(teacher: Teacher) -> TeacherPublic:
    fields = {n: getattr(teacher, n) for n in TeacherPublic.model_fields if n != "home_timetable"}
    return TeacherPublic(**fields, home_timetable=slots_of(teacher.home_timetable))


@router.get("/teachers", response_model=Page[TeacherPublic])
async def list_teachers(
    session: SessionDep,
    principal: CurrentPrincipal,
    unit_id: uuid.UUID | None = None,
    district_id: uuid.UUID | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[TeacherPublic]:
    """Sharing profiles of the teachers in your scope (yours, if you are a teacher), of one
    school or one district when asked."""
    stmt = repository.visible(principal, await acting_teacher_id(session, principal))
    if unit_id is not None:
        stmt = stmt.where(col(Teacher.unit_id) == unit_id)
    if district_id is not None:
        stmt = stmt.where(col(Teacher.district_id) == district_id)
    return await paged(
        session,
        stmt,
        order_by=[col(Teacher.id)],
        cursor=cursor,
        limit=limit,
        shape=teacher_public,
    )


@router.get("/teachers/{teacher_id}", response_model=TeacherPublic)
async def get_teacher(
    teacher_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> TeacherPublic:
    """One profile in your scope."""
    return teacher_public(await service.visible_teacher(session, principal, teacher_id))


@router.patch("/teachers/{teacher_id}", response_model=TeacherPublic)
async def update_teacher(
    teacher_id: uuid.UUID,
    body: TeacherUpdate,
    session: SessionDep,
    principal: CurrentPrincipal,
    day: SchoolDayDep,
) -> TeacherPublic:
    """Change the home timetable, weekly cap or modes (HR: certificates and title too).

    Joining or leaving the library goes through /library/applications and /membership.
    """
    teacher = await service.update_profile(session, principal, teacher_id, body, day, local_today())
    return teacher_public(teacher)


@router.get("/teachers/{teacher_id}/timetable", response_model=Timetable)
async def teacher_timetable(
    teacher_id: uuid.UUID,
    session: SessionDep,
    principal: CurrentPrincipal,
    on: date | None = None,
) -> Timetable:
    """The teacher's week on a date: home periods and shared assignments."""
    teacher = await service.visible_teacher(session, principal, teacher_id)
    day = on or local_today()
    cells = [
        TimetableCell(weekday=w, period=p, kind="home", unit_id=teacher.unit_id)
        for w, p in slots_of(teacher.home_timetable)
    ]
    for a in await assignments.repository.active_on(session, teacher.id, day):
        cells += [
            TimetableCell(
                weekday=w,
                period=p,
                kind=a.mode,
                unit_id=a.host_unit_id,
                assignment_id=a.id,
                teacher_id=a.teacher_id,
                subject=a.subject,
            )
            for w, p in slots_of(a.slot_mask)
        ]
    return Timetable(on=day, cells=sorted(cells, key=lambda c: (c.weekday, c.period)))
