"""Rules of lessons: scheduled from the slots, given by the teacher, confirmed by the host."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.db import utcnow
from common.errors import Forbidden, IllegalTransition, NotFound
from contracts.sharing import LessonConfirmed
from services.sharing.access import acting_teacher_id, is_hr_for, is_school_of
from services.sharing.errors import LessonNotYetDue, LessonSettled
from services.sharing.lessons import repository
from services.sharing.lessons.schemas import CoverCreate, LessonConfirm
from services.sharing.models import Assignment, Lesson, Unit, outbox
from services.sharing.schoolcal import service as schoolcal


async def schedule(session: AsyncSession, assignment: Assignment) -> int:
    """Create a lesson for every slot on every school day of the assignment's dates (the host
    district's calendar: holidays skipped, a 调休 working day following its weekday)."""
    calendar = await schoolcal.calendar_for(
        session, assignment.host_district_id, assignment.starts_on, assignment.ends_on
    )
    before = assignment.starts_on - timedelta(days=1)
    planned = sorted(schoolcal.planned(assignment, calendar, before))
    session.add_all(schoolcal.new_lesson(assignment, day, period) for day, period in planned)
    await session.flush()
    return len(planned)


async def cancel_after(session: AsyncSession, assignment_id: uuid.UUID, day: date) -> None:
    await repository.cancel_after(session, assignment_id, day)


async def _locked(session: AsyncSession, principal: Principal, lesson_id: uuid.UUID) -> Lesson:
    lesson = await repository.lock(session, lesson_id)
    if lesson is None or not await can_see(session, principal, lesson):
        raise NotFound("no such lesson in your scope")
    return lesson


async def mark_given(
    session: AsyncSession, principal: Principal, lesson_id: uuid.UUID, today: date
) -> Lesson:
    """The teacher logs that they gave a lesson (not before its day)."""
    lesson = await _locked(session, principal, lesson_id)
    if await acting_teacher_id(session, principal) != lesson.teacher_id:
        raise Forbidden("only the teacher marks their lesson given")
    if lesson.taught_on > today:
        raise LessonNotYetDue(f"the lesson is on {lesson.taught_on}, it cannot be given yet")
    if lesson.status != "scheduled":
        raise IllegalTransition(f"the lesson is {lesson.status}", state=lesson.status)
    lesson.status = "given"
    lesson.updated_at = utcnow()
    return lesson


async def confirm(
    session: AsyncSession, principal: Principal, lesson_id: uuid.UUID, data: LessonConfirm
) -> Lesson:
    """The host school confirms a given lesson, or disputes it with a reason."""
    lesson = await _locked(session, principal, lesson_id)
    host = await session.get(Unit, lesson.host_unit_id)
    if not (
        is_school_of(principal, lesson.host_unit_id)
        or is_hr_for(principal, lesson.host_unit_id, host.district_id if host else None)
    ):
        raise Forbidden("only the host school confirms a lesson")
    if lesson.settlement_id is not None:
        raise LessonSettled("the lesson is settled; corrections go into a later settlement")
    if lesson.status not in ("given", "disputed", "confirmed"):
        raise IllegalTransition(
            f"the lesson is {lesson.status}; the teacher marks it given first", state=lesson.status
        )
    lesson.status = "confirmed" if data.confirmed else "disputed"
    lesson.dispute_reason = None if data.confirmed else data.reason
    lesson.confirmed_by = principal.sub
    lesson.updated_at = utcnow()
    await outbox.add(
        session,
        LessonConfirmed(
            lesson_id=lesson.id,
            assignment_id=lesson.assignment_id,
            teacher_id=lesson.teacher_id,
            host_unit_id=lesson.host_unit_id,
            taught_on=lesson.taught_on,
            period=lesson.period,
            confirmed=data.confirmed,
        ),
        subject=str(lesson.id),
    )
    return lesson


def week_of(day: date) -> tuple[date, date]:
    """Monday to Sunday of the week holding `day`."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


async def mark_week_given(
    session: AsyncSession, principal: Principal, day: date, today: date
) -> list[Lesson]:
    """The teacher marks every scheduled lesson of a week given (those due by today), one by one."""
    own = await acting_teacher_id(session, principal)
    if own is None:
        raise Forbidden("only a teacher marks their own lessons given")
    first, last = week_of(day)
    ids = await repository.week_ids(session, first, min(last, today), "scheduled", teacher_id=own)
    return [await mark_given(session, principal, i, today) for i in ids]


async def confirm_week(session: AsyncSession, principal: Principal, day: date) -> list[Lesson]:
    """The host school confirms every lesson of a week marked given, each recorded on its own."""
    if principal.role != "school_admin" or principal.unit_id is None:
        raise Forbidden("only the host school confirms its week")
    first, last = week_of(day)
    ids = await repository.week_ids(session, first, last, "given", host_unit_id=principal.unit_id)
    return [await confirm(session, principal, i, LessonConfirm(confirmed=True)) for i in ids]


async def cover(
    session: AsyncSession, principal: Principal, lesson_id: uuid.UUID, data: CoverCreate
) -> Lesson:
    """The host school records a cover (代课): the lesson is not paid to the absent teacher."""
    lesson = await _locked(session, principal, lesson_id)
    if not is_school_of(principal, lesson.host_unit_id):
        raise Forbidden("only the host school records a cover")
    if lesson.settlement_id is not None:
        raise LessonSettled("the lesson is settled; corrections go into a later settlement")
    if lesson.status not in ("scheduled", "given", "disputed"):
        raise IllegalTransition(f"the lesson is {lesson.status}", state=lesson.status)
    lesson.status = "covered"
    lesson.covered_by = data.covered_by
    lesson.note = data.note
    lesson.confirmed_by = principal.sub
    lesson.updated_at = utcnow()
    return lesson


async def can_see(session: AsyncSession, principal: Principal, lesson: Lesson) -> bool:
    if principal.role == "teacher":
        return await acting_teacher_id(session, principal) == lesson.teacher_id
    if principal.role == "school_admin":
        return principal.unit_id in (lesson.host_unit_id, lesson.home_unit_id)
    if principal.is_city_wide or principal.role == "city_hr":
        return True
    units = [await session.get(Unit, u) for u in (lesson.host_unit_id, lesson.home_unit_id)]
    return any(u is not None and principal.can_see_unit(u.id, u.district_id) for u in units)
