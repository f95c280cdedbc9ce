"""Rules of lessons: scheduled from the slots, given by the teacher, confirmed by the host."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.db import utcnow
from common.errors import Forbidden, IllegalTransition, InvalidInput, NotFound
from contracts.sharing import LessonConfirmed, LessonMoveAnswered, LessonMoveProposed
from services.sharing.access import acting_teacher_id, is_hr_for, is_school_of
from services.sharing.errors import (
    LessonNotYetDue,
    LessonSettled,
    MoveAlreadyProposed,
    TimetableClash,
)
from services.sharing.lessons import repository
from services.sharing.lessons.schemas import CoverCreate, LessonConfirm, MoveAnswer, MoveCreate
from services.sharing.models import Assignment, Lesson, LessonMove, Teacher, Unit, outbox
from services.sharing.places import places_of, teaching_place
from services.sharing.schoolcal import service as schoolcal
from services.sharing.timetable import PERIODS, Booking, SchoolDay, bit

Side = Literal["teacher", "host"]


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
        raise LessonNotYetDue(lesson.taught_on)
    if lesson.status != "scheduled":
        raise IllegalTransition(
            f"the lesson is {lesson.status}", state=lesson.status, state_of="lesson"
        )
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
            f"the lesson is {lesson.status}; the teacher marks it given first",
            state=lesson.status,
            state_of="lesson",
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
        raise IllegalTransition(
            f"the lesson is {lesson.status}", state=lesson.status, state_of="lesson"
        )
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


async def _side(session: AsyncSession, principal: Principal, lesson: Lesson) -> Side:
    """Which party to the lesson the caller is: its shared teacher, or its host school."""
    if principal.role == "teacher" and await acting_teacher_id(session, principal) == (
        lesson.teacher_id
    ):
        return "teacher"
    if is_school_of(principal, lesson.host_unit_id):
        return "host"
    raise Forbidden("only the shared teacher and the host school move a lesson")


def _movable(lesson: Lesson) -> None:
    if lesson.settlement_id is not None:
        raise LessonSettled("the lesson is settled; corrections go into a later settlement")
    if lesson.status != "scheduled":
        raise IllegalTransition(
            f"the lesson is {lesson.status}; only a scheduled lesson can be moved",
            state=lesson.status,
            state_of="lesson",
        )


async def ensure_free(
    session: AsyncSession,
    day: SchoolDay,
    lesson: Lesson,
    to_date: date,
    to_period: int,
    today: date,
) -> None:
    """Refuse a new day and period that is past, no school day, outside the assignment, or that
    clashes with the teacher's home timetable or other lessons that day (travel included)."""
    if to_date < today:
        raise InvalidInput.field("body.to_date", "a lesson cannot be moved into the past")
    if (to_date, to_period) == (lesson.taught_on, lesson.period):
        raise InvalidInput.field("body.to_date", "the lesson is already on that day and period")
    assignment = await session.get(Assignment, lesson.assignment_id)
    if assignment is None:
        raise NotFound("no such assignment")
    if not assignment.starts_on <= to_date <= assignment.ends_on:
        raise InvalidInput.field(
            "body.to_date",
            f"outside the assignment ({assignment.starts_on} to {assignment.ends_on})",
        )
    calendar = await schoolcal.calendar_for(session, assignment.host_district_id, to_date, to_date)
    weekday = calendar.timetable_weekday(to_date)
    if weekday is None:
        raise InvalidInput.field(
            "body.to_date", f"{to_date} is not a school day in the host district"
        )
    if await repository.at_slot(session, assignment.id, to_date, to_period) is not None:
        raise InvalidInput.field(
            "body.to_period", "this assignment already has a lesson then; choose another period"
        )
    teacher = await session.get(Teacher, lesson.teacher_id)
    others = await repository.teacher_day(session, lesson.teacher_id, to_date, besides=lesson.id)
    held = {assignment.id: assignment}
    for other in others:
        found = held.get(other.assignment_id) or await session.get(Assignment, other.assignment_id)
        if found is not None:
            held[found.id] = found
    places = await places_of(
        session, {lesson.home_unit_id, *(a.host_unit_id for a in held.values())}
    )
    home = places[lesson.home_unit_id]
    row = sum(bit(weekday, p) for p in range(1, PERIODS + 1))
    home_slots = (teacher.home_timetable if teacher else 0) & row
    bookings = [Booking("the home timetable", home_slots, home)]
    for other in others:
        a = held[other.assignment_id]
        place = teaching_place(a.mode, places[a.host_unit_id], home)
        bookings.append(Booking(f"assignment {a.id}", bit(weekday, other.period), place))
    place = teaching_place(assignment.mode, places[assignment.host_unit_id], home)
    clash = day.clash(bookings, bit(weekday, to_period), place)
    if clash is not None:
        raise TimetableClash(clash, field="body.to_period")


def _move_facts(move: LessonMove) -> dict[str, object]:
    return {
        "move_id": move.id,
        "lesson_id": move.lesson_id,
        "assignment_id": move.assignment_id,
        "teacher_id": move.teacher_id,
        "host_unit_id": move.host_unit_id,
        "proposed_by": move.proposed_by,
        "from_date": move.from_date,
        "from_period": move.from_period,
        "to_date": move.to_date,
        "to_period": move.to_period,
    }


async def propose_move(
    session: AsyncSession,
    principal: Principal,
    lesson_id: uuid.UUID,
    data: MoveCreate,
    day: SchoolDay,
    today: date,
) -> LessonMove:
    """The teacher or the host school proposes moving a scheduled lesson (调课); the other
    side answers. Checked now and again when accepted."""
    lesson = await _locked(session, principal, lesson_id)
    side = await _side(session, principal, lesson)
    _movable(lesson)
    if await repository.open_move(session, lesson.id) is not None:
        raise MoveAlreadyProposed("the lesson already has a move waiting for an answer")
    await ensure_free(session, day, lesson, data.to_date, data.to_period, today)
    move = LessonMove(
        lesson_id=lesson.id,
        assignment_id=lesson.assignment_id,
        teacher_id=lesson.teacher_id,
        host_unit_id=lesson.host_unit_id,
        home_unit_id=lesson.home_unit_id,
        from_date=lesson.taught_on,
        from_period=lesson.period,
        to_date=data.to_date,
        to_period=data.to_period,
        proposed_by=side,
        reason=data.reason,
        status="proposed",
        created_by=principal.sub,
    )
    session.add(move)
    await session.flush()
    await outbox.add(
        session, LessonMoveProposed(**_move_facts(move), reason=move.reason), subject=str(lesson.id)
    )
    return move


async def answer_move(
    session: AsyncSession,
    principal: Principal,
    move_id: uuid.UUID,
    data: MoveAnswer,
    day: SchoolDay,
    today: date,
) -> LessonMove:
    """The other side accepts (the lesson moves) or declines; the proposer may only withdraw."""
    move = await repository.lock_move(session, move_id)
    if move is None:
        raise NotFound("no such lesson move in your scope")
    lesson = await _locked(session, principal, move.lesson_id)
    side = await _side(session, principal, lesson)
    if move.status != "proposed":
        raise IllegalTransition(
            f"the move is {move.status}", state=move.status, state_of="lesson_move"
        )
    if side == move.proposed_by:
        if data.accept:
            raise Forbidden("the other side answers a proposed move; you may withdraw it")
        move.status = "withdrawn"
    elif data.accept:
        _movable(lesson)
        await ensure_free(session, day, lesson, move.to_date, move.to_period, today)
        if lesson.moved_from is None:
            lesson.moved_from, lesson.moved_from_period = lesson.taught_on, lesson.period
        lesson.taught_on, lesson.period = move.to_date, move.to_period
        lesson.note = move.reason
        lesson.updated_at = utcnow()
        move.status = "accepted"
    else:
        move.status = "declined"
    move.decided_by = principal.sub
    move.decided_at = utcnow()
    await outbox.add(
        session,
        LessonMoveAnswered(**_move_facts(move), status=move.status),
        subject=str(lesson.id),
    )
    return move
