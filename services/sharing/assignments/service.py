"""Rules of assignments: the booking check, starting, ending early, and a teacher's departure."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.db import utcnow
from common.errors import Forbidden, InvalidInput, NotFound
from contracts.sharing import AssignmentEnded, AssignmentStarted, RequestReopened
from services.sharing.access import acting_teacher_id, is_hr_for, is_school_of
from services.sharing.assignments import repository
from services.sharing.assignments.schemas import AssignmentEnd
from services.sharing.errors import OverWeeklyCap, TimetableClash
from services.sharing.lessons import service as lessons
from services.sharing.models import Assignment, Offer, ShareRequest, Teacher, outbox
from services.sharing.places import place_of, places_of, teaching_place
from services.sharing.requests import repository as requests
from services.sharing.requests.service import request_facts
from services.sharing.teachers import repository as teachers
from services.sharing.timetable import Booking, SchoolDay


async def bookings_of(
    session: AsyncSession, teacher: Teacher, starts_on: date, ends_on: date
) -> tuple[list[Booking], int]:
    """What already holds the teacher over those dates, and the shared periods booked."""
    held = await repository.active_overlapping(session, teacher.id, starts_on, ends_on)
    places = await places_of(session, {teacher.unit_id, *(a.host_unit_id for a in held)})
    home = places[teacher.unit_id]
    bookings = [Booking("the home timetable", teacher.home_timetable, home)]
    for a in held:
        place = teaching_place(a.mode, places[a.host_unit_id], home)
        bookings.append(Booking(f"assignment {a.id}", a.slot_mask, place))
    return bookings, sum(a.periods for a in held)


async def ensure_fits(
    session: AsyncSession,
    day: SchoolDay,
    teacher: Teacher,
    request: ShareRequest,
    starts_on: date,
) -> None:
    """Refuse a booking that clashes (travel included) or goes over the weekly cap.

    The cap counts every active assignment overlapping the term, whether or not those overlap
    each other: a safe bound on any single week's load.
    """
    bookings, load = await bookings_of(session, teacher, starts_on, request.term_end)
    home = bookings[0].place
    place = teaching_place(request.mode, await place_of(session, request.unit_id), home)
    clash = day.clash(bookings, request.slot_mask, place)
    if clash is not None:
        raise TimetableClash(clash)
    if load + request.periods > teacher.weekly_cap:
        raise OverWeeklyCap(load, request.periods, teacher.weekly_cap)


async def start(
    session: AsyncSession, offer: Offer, request: ShareRequest, teacher: Teacher, today: date
) -> Assignment:
    """Book the teacher from today (or the term's start) to the term's end, with its lessons."""
    assignment = Assignment(
        offer_id=offer.id,
        request_id=request.id,
        teacher_id=teacher.id,
        home_unit_id=teacher.unit_id,
        host_unit_id=request.unit_id,
        host_district_id=request.district_id,
        subject=request.subject,
        stage=request.stage,
        mode=request.mode,
        class_name=request.class_name,
        slot_mask=request.slot_mask,
        periods=request.periods,
        starts_on=max(request.term_start, today),
        ends_on=request.term_end,
        status="active",
    )
    session.add(assignment)
    await session.flush()
    await lessons.schedule(session, assignment)
    await outbox.add(
        session,
        AssignmentStarted(**assignment_facts(assignment), mode=assignment.mode),
        subject=str(assignment.id),
    )
    return assignment


def assignment_facts(a: Assignment) -> dict[str, object]:
    return {
        "assignment_id": a.id,
        "request_id": a.request_id,
        "teacher_id": a.teacher_id,
        "home_unit_id": a.home_unit_id,
        "host_unit_id": a.host_unit_id,
        "starts_on": a.starts_on,
        "ends_on": a.ends_on,
        "periods_per_week": a.periods,
    }


async def end(
    session: AsyncSession,
    assignment: Assignment,
    last_day: date,
    reason: str,
    cause: Literal["by_hand", "teacher_left"] = "by_hand",
) -> None:
    """End an assignment after `last_day`: later lessons are cancelled, the request reopens."""
    assignment.status = "ended"
    assignment.end_reason = reason
    assignment.ends_on = max(assignment.starts_on, min(assignment.ends_on, last_day))
    assignment.updated_at = utcnow()
    await lessons.cancel_after(session, assignment.id, last_day)
    await outbox.add(
        session,
        AssignmentEnded(**assignment_facts(assignment), reason=reason, cause=cause),
        subject=str(assignment.id),
    )
    request = await requests.lock(session, assignment.request_id)
    if request is not None and request.status == "filled":
        request.status = "open"
        request.updated_at = utcnow()
        await outbox.add(
            session,
            RequestReopened(**request_facts(request), reason=reason),
            subject=str(request.id),
        )


async def end_early(
    session: AsyncSession,
    principal: Principal,
    assignment_id: uuid.UUID,
    data: AssignmentEnd,
    today: date,
) -> Assignment:
    """HR or the host school ends an assignment before its term, with a reason."""
    assignment = await visible_assignment(session, principal, assignment_id)
    if not (
        is_hr_for(principal, assignment.host_unit_id, assignment.host_district_id)
        or is_school_of(principal, assignment.host_unit_id)
    ):
        raise Forbidden("only HR or the host school may end an assignment")
    if assignment.status != "active":
        raise InvalidInput.field("path.assignment_id", "the assignment has already ended")
    last_day = data.last_day or today
    if last_day < today - timedelta(days=31):
        raise InvalidInput.field("body.last_day", "cannot end more than a month in the past")
    await teachers.lock(session, assignment.teacher_id)
    await end(session, assignment, last_day, data.reason)
    return assignment


async def end_for_departure(
    session: AsyncSession, teacher: Teacher, left_on: date, reason: str
) -> int:
    """A teacher left (staffing.staff.left): running assignments end, their requests reopen."""
    running = await repository.active_until_after(session, teacher.id, left_on)
    for assignment in running:
        await end(
            session,
            assignment,
            left_on - timedelta(days=1),
            f"teacher left: {reason}",
            cause="teacher_left",
        )
    return len(running)


async def visible_assignment(
    session: AsyncSession, principal: Principal, assignment_id: uuid.UUID
) -> Assignment:
    assignment = await repository.get(session, assignment_id)
    if assignment is None or not await can_see(session, principal, assignment):
        raise NotFound("no such assignment in your scope")
    return assignment


async def can_see(session: AsyncSession, principal: Principal, a: Assignment) -> bool:
    if principal.role == "teacher":
        return await acting_teacher_id(session, principal) == a.teacher_id
    if is_hr_for(principal, a.host_unit_id, a.host_district_id) or principal.is_city_wide:
        return True
    if principal.role == "district_hr":
        teacher = await session.get(Teacher, a.teacher_id)
        return teacher is not None and teacher.district_id == principal.district_id
    return principal.role == "school_admin" and principal.unit_id in (
        a.host_unit_id,
        a.home_unit_id,
    )
