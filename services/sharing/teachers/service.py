"""Rules of teacher profiles: the roster projection, and what teachers and HR may change."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.db import utcnow
from common.errors import Forbidden, NotFound
from contracts.base import Envelope
from contracts.staffing import StaffFacts, StaffHired, StaffLeft, StaffTransferred, StaffUpdated
from services.sharing.access import acting_teacher_id, is_hr_for
from services.sharing.assignments import service as assignments
from services.sharing.errors import OverWeeklyCap, TimetableClash
from services.sharing.models import Teacher
from services.sharing.teachers import repository
from services.sharing.teachers.schemas import TeacherUpdate
from services.sharing.timetable import SchoolDay, mask_of

#: Until a teacher says otherwise, a new profile offers nothing to share.
DEFAULT_CAP = 4

#: What a teacher may change on their own profile. Title, certificates, subjects and stages decide
#: pay and eligibility, so they come from the roster (实名制) and HR, never from the teacher.
TEACHER_EDITABLE = frozenset({"modes", "home_timetable", "weekly_cap"})


async def visible_teacher(
    session: AsyncSession, principal: Principal, teacher_id: uuid.UUID, *, lock: bool = False
) -> Teacher:
    teacher = await (repository.lock if lock else repository.get)(session, teacher_id)
    if teacher is None or not await can_see(session, principal, teacher):
        raise NotFound("no such teacher in your scope")
    return teacher


async def can_see(session: AsyncSession, principal: Principal, teacher: Teacher) -> bool:
    """HR and the home school in scope, the teacher themself, and a school the teacher teaches
    or taught at as a shared teacher, which must know whom it confirms lessons of and evaluates."""
    if principal.role == "teacher":
        return await acting_teacher_id(session, principal) == teacher.id
    if principal.can_see_unit(teacher.unit_id, teacher.district_id):
        return True
    return (
        principal.role == "school_admin"
        and principal.unit_id is not None
        and await repository.hosted_at(session, teacher.id, principal.unit_id)
    )


async def update_profile(
    session: AsyncSession,
    principal: Principal,
    teacher_id: uuid.UUID,
    data: TeacherUpdate,
    day: SchoolDay,
    today: date,
) -> Teacher:
    """A teacher edits their own profile, HR any in scope; bookings already made must still fit."""
    teacher = await visible_teacher(session, principal, teacher_id, lock=True)
    own = await acting_teacher_id(session, principal) == teacher.id
    hr = is_hr_for(principal, teacher.unit_id, teacher.district_id)
    if not (own or hr):
        raise Forbidden("teachers edit their own profile; HR edits any in its scope")
    if not hr:
        refused = sorted(data.model_fields_set - TEACHER_EDITABLE)
        if refused:
            raise Forbidden(
                "a teacher edits only modes, home timetable and weekly cap; "
                "title, certificates, subjects and stages come from the roster and HR",
                errors=[
                    {"field": f"body.{name}", "message": "set by the roster or HR"}
                    for name in refused
                ],
            )
    changes = data.changes()
    if "certificates" in changes:
        changes["certificates"] = [dict(c) for c in changes["certificates"]]
    if "home_timetable" in changes:
        changes["home_timetable"] = mask_of(changes["home_timetable"])
    for name, value in changes.items():
        setattr(teacher, name, value)
    teacher.updated_at = utcnow()
    await ensure_bookings_still_fit(session, teacher, day, today)
    return teacher


async def ensure_bookings_still_fit(
    session: AsyncSession, teacher: Teacher, day: SchoolDay, today: date
) -> None:
    """Running assignments must fit the new home timetable and cap, travel included."""
    far = date(today.year + 2, today.month, 1)
    bookings, load = await assignments.bookings_of(session, teacher, today, far)
    home, shared = bookings[0], bookings[1:]
    for booking in shared:
        clash = day.clash([home], booking.mask, booking.place)
        if clash is not None:
            raise TimetableClash(clash)
    if load > teacher.weekly_cap:
        raise OverWeeklyCap(load, 0, teacher.weekly_cap)


async def apply_staff_facts(
    session: AsyncSession, facts: StaffFacts, envelope: Envelope
) -> Teacher | None:
    """Create or update the profile from a roster event; an older event changes nothing."""
    teacher = await repository.lock(session, facts.staff_id)
    if teacher is not None and teacher.as_of > envelope.time:
        return None
    if teacher is None:
        teacher = Teacher(
            id=facts.staff_id,
            unit_id=facts.unit_id,
            name=facts.name,
            weekly_cap=DEFAULT_CAP,
            modes=["in_person", "online"],
            as_of=envelope.time,
        )
        session.add(teacher)
    teacher.unit_id = facts.unit_id
    teacher.district_id = facts.district_id
    teacher.name = facts.name
    teacher.quota_type = facts.quota_type
    # Title and its history are the roster's (实名制): what it says replaces what sharing had.
    teacher.title = facts.title or teacher.title
    if facts.title_history:
        teacher.title_history = [
            {"title": t.title, "effective_from": t.effective_from.isoformat()}
            for t in facts.title_history
        ]
    if isinstance(facts, StaffUpdated):
        # The roster moved the person off a subject or stage: they no longer teach it here.
        if "subject" in facts.changed and facts.previous_subject != facts.subject:
            teacher.subjects = [s for s in teacher.subjects if s != facts.previous_subject]
        if "stage" in facts.changed and facts.previous_stage != facts.stage:
            teacher.stages = [s for s in teacher.stages if s != facts.previous_stage]
    # A post is held with a certificate for its subject and stage (持证上岗).
    if facts.subject and facts.subject not in teacher.subjects:
        teacher.subjects = [*teacher.subjects, facts.subject]
    if facts.stage and facts.stage not in teacher.stages:
        teacher.stages = [*teacher.stages, facts.stage]
    if facts.subject and facts.stage:
        certificate = {"level": facts.stage, "subject": facts.subject}
        if certificate not in teacher.certificates:
            teacher.certificates = [*teacher.certificates, certificate]
    if isinstance(facts, StaffHired | StaffTransferred):
        teacher.active = True
        teacher.left_on = None
    teacher.as_of = envelope.time
    teacher.updated_at = utcnow()
    await session.flush()
    return teacher


async def depart(session: AsyncSession, facts: StaffLeft, envelope: Envelope) -> int:
    """A teacher left the roster: the profile goes inactive, running assignments end."""
    teacher = await apply_staff_facts(session, facts, envelope)
    if teacher is None:
        return 0
    teacher.active = False
    teacher.left_on = facts.left_on
    return await assignments.end_for_departure(session, teacher, facts.left_on, facts.reason)
