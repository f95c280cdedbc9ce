"""Rules of the sharing library (入库): a teacher applies, the home school consents, district
HR approves or returns it; then the profile is listed for matching until the teacher pauses or
leaves. Only a listed profile is offered anything.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.db import utcnow
from common.errors import (
    AlreadyTaken,
    Forbidden,
    IllegalTransition,
    InvalidInput,
    NotFound,
)
from contracts.sharing import (
    LibraryApplied,
    LibraryConsented,
    LibraryDecided,
    LibraryLeft,
    OfferDeclined,
)
from contracts.vocabulary import STAGE_NAMES_ZH, is_subject_in_stage, qualified
from services.sharing.access import acting_teacher_id, is_hr_for, is_school_of
from services.sharing.errors import ApplicationUnderReview, TeacherLeft
from services.sharing.library import repository
from services.sharing.library.schemas import (
    HONOURS,
    ApplicationCreate,
    HonourCreate,
    MembershipChange,
    Verdict,
)
from services.sharing.models import LibraryApplication, Teacher, Unit, outbox
from services.sharing.teachers import repository as teachers
from services.sharing.teachers.service import ensure_bookings_still_fit, visible_teacher
from services.sharing.timetable import TRAVELLING_MODES, SchoolDay

#: Which membership changes are allowed from which status, and where they lead.
MOVES: dict[str, dict[str, str]] = {
    "pause": {"listed": "paused"},
    "resume": {"paused": "listed"},
    "leave": {"listed": "left", "paused": "left"},
}


def certificate_pairs(teacher: Teacher) -> list[tuple[str, str]]:
    """The teacher's certificates as (level, subject), as the vocabulary reads them."""
    return teacher.certificate_pairs()


def check_offered(teacher: Teacher, data: ApplicationCreate) -> None:
    """Each subject must exist in its stage and be covered by a certificate (教师资格条例 §5)."""
    held = certificate_pairs(teacher)
    for i, pair in enumerate(data.offered):
        where = f"body.offered.{i}.subject"
        stage = STAGE_NAMES_ZH.get(pair.stage, pair.stage)
        if not is_subject_in_stage(pair.subject, pair.stage):
            raise InvalidInput.field(where, f"{pair.subject} is not taught in {stage}")
        if not qualified(held, pair.stage, pair.subject):
            raise InvalidInput.field(
                where, f"no teacher certificate on the roster covers {stage} {pair.subject}"
            )


async def check_areas(session: AsyncSession, data: ApplicationCreate) -> None:
    """Travelling modes need somewhere to travel to; each area must be a district."""
    if TRAVELLING_MODES & set(data.modes) and not data.areas:
        raise InvalidInput.field("body.areas", "走教 and 轮岗 need at least one district")
    for i, area in enumerate(data.areas):
        unit = await session.get(Unit, area)
        if unit is None or unit.kind != "district":
            raise InvalidInput.field(f"body.areas.{i}", "no such district")


async def apply(
    session: AsyncSession, principal: Principal, data: ApplicationCreate
) -> LibraryApplication:
    """A teacher on the roster applies from their own account."""
    own = await acting_teacher_id(session, principal)
    if own is None:
        raise Forbidden("only a teacher applies to the library, from their own account")
    teacher = await teachers.lock(session, own)
    if teacher is None or not teacher.active:
        raise TeacherLeft("only a teacher on the roster may apply to the library")
    if await repository.under_review(session, teacher.id) is not None:
        raise ApplicationUnderReview("an application of yours is already under review")
    check_offered(teacher, data)
    await check_areas(session, data)
    application = LibraryApplication(
        teacher_id=teacher.id,
        unit_id=teacher.unit_id,
        district_id=teacher.district_id,
        offered=[[p.subject, p.stage] for p in dict.fromkeys(data.offered)],
        modes=list(dict.fromkeys(data.modes)),
        weekly_cap=data.weekly_cap,
        areas=[str(a) for a in dict.fromkeys(data.areas)],
        statement=data.statement,
        status="applied",
    )
    session.add(application)
    await session.flush()
    await outbox.add(session, LibraryApplied(**facts(application)), subject=str(application.id))
    return application


def facts(application: LibraryApplication) -> dict[str, object]:
    return {
        "application_id": application.id,
        "teacher_id": application.teacher_id,
        "unit_id": application.unit_id,
        "district_id": application.district_id,
    }


async def visible_application(
    session: AsyncSession, principal: Principal, application_id: uuid.UUID
) -> LibraryApplication:
    application = await repository.lock(session, application_id)
    if application is None or not await can_see(session, principal, application):
        raise NotFound("no such application in your scope")
    return application


async def can_see(
    session: AsyncSession, principal: Principal, application: LibraryApplication
) -> bool:
    if principal.role == "teacher":
        return await acting_teacher_id(session, principal) == application.teacher_id
    return principal.can_see_unit(application.unit_id, application.district_id)


async def consent(
    session: AsyncSession, principal: Principal, application_id: uuid.UUID, data: Verdict
) -> LibraryApplication:
    """The home school agrees to share its teacher, or returns the application with a reason."""
    application = await visible_application(session, principal, application_id)
    if not is_school_of(principal, application.unit_id):
        raise Forbidden("only the teacher's own school consents")
    if application.status != "applied":
        raise IllegalTransition(
            f"the application is {application.status}",
            state=application.status,
            state_of="library_application",
        )
    application.status = "consented" if data.approve else "returned"
    application.return_reason = None if data.approve else data.reason
    application.consented_by = principal.sub
    application.updated_at = utcnow()
    await outbox.add(
        session,
        LibraryConsented(**facts(application), consented=data.approve, reason=data.reason),
        subject=str(application.id),
    )
    return application


async def decide(
    session: AsyncSession,
    principal: Principal,
    application_id: uuid.UUID,
    data: Verdict,
    day: SchoolDay,
    today: date,
) -> LibraryApplication:
    """District HR approves (the profile is listed as applied) or returns it with a reason."""
    application = await visible_application(session, principal, application_id)
    if not is_hr_for(principal, application.unit_id, application.district_id):
        raise Forbidden("only the teacher's district HR decides an application")
    if application.status != "consented":
        raise IllegalTransition(
            f"the application is {application.status}; the home school consents first",
            state=application.status,
            state_of="library_application",
        )
    if data.approve:
        teacher = await teachers.lock(session, application.teacher_id)
        if teacher is None or not teacher.active:
            raise TeacherLeft("the teacher is no longer on the roster")
        teacher.offered = [list(p) for p in application.offered]
        teacher.modes = list(application.modes)
        teacher.weekly_cap = application.weekly_cap
        teacher.areas = list(application.areas)
        teacher.library_status = "listed"
        teacher.updated_at = utcnow()
        await ensure_bookings_still_fit(session, teacher, day, today)
    application.status = "approved" if data.approve else "returned"
    application.return_reason = None if data.approve else data.reason
    application.decided_by = principal.sub
    application.updated_at = utcnow()
    await outbox.add(
        session,
        LibraryDecided(**facts(application), approved=data.approve, reason=data.reason),
        subject=str(application.id),
    )
    return application


async def withdraw(
    session: AsyncSession, principal: Principal, application_id: uuid.UUID
) -> LibraryApplication:
    """The teacher takes back an application still under review."""
    application = await visible_application(session, principal, application_id)
    if await acting_teacher_id(session, principal) != application.teacher_id:
        raise Forbidden("only the applicant withdraws an application")
    if application.status not in repository.UNDER_REVIEW:
        raise IllegalTransition(
            f"the application is {application.status}",
            state=application.status,
            state_of="library_application",
        )
    application.status = "withdrawn"
    application.updated_at = utcnow()
    return application


async def change_membership(
    session: AsyncSession, principal: Principal, teacher_id: uuid.UUID, data: MembershipChange
) -> Teacher:
    """Pause, resume or leave: future offers stop, confirmed assignments go on (HR ends those)."""
    teacher = await visible_teacher(session, principal, teacher_id, lock=True)
    own = await acting_teacher_id(session, principal) == teacher.id
    if not (own or is_hr_for(principal, teacher.unit_id, teacher.district_id)):
        raise Forbidden("a teacher changes their own membership; HR any in its scope")
    target = MOVES[data.action].get(teacher.library_status)
    if target is None:
        raise IllegalTransition(
            f"cannot {data.action}: the profile is {teacher.library_status}",
            state=teacher.library_status,
            state_of="library_membership",
        )
    teacher.library_status = target
    teacher.updated_at = utcnow()
    if target != "listed":
        reason = data.reason or (
            "paused library membership" if target == "paused" else "left the library"
        )
        for offer in await repository.live_offers(session, teacher.id):
            offer.status = "declined"
            offer.answered_by = principal.sub
            offer.updated_at = utcnow()
            await outbox.add(
                session,
                OfferDeclined(
                    offer_id=offer.id,
                    request_id=offer.request_id,
                    teacher_id=offer.teacher_id,
                    home_unit_id=offer.home_unit_id,
                    host_unit_id=offer.host_unit_id,
                    reason=reason,
                ),
                subject=str(offer.id),
            )
        await outbox.add(
            session,
            LibraryLeft(teacher_id=teacher.id, unit_id=teacher.unit_id, status=target),
            subject=str(teacher.id),
        )
    return teacher


async def add_honour(
    session: AsyncSession, principal: Principal, teacher_id: uuid.UUID, data: HonourCreate
) -> Teacher:
    """HR flags 骨干教师 / 学科带头人 / 名师 with the conferring document."""
    teacher = await visible_teacher(session, principal, teacher_id, lock=True)
    if not is_hr_for(principal, teacher.unit_id, teacher.district_id):
        raise Forbidden("only HR flags honours")
    honour = {
        "kind": data.kind,
        "name": HONOURS[data.kind],
        "document_no": data.document_no,
        "conferred_on": data.conferred_on.isoformat(),
        "conferred_by": data.conferred_by,
        "flagged_by": principal.sub,
    }
    if any(
        h["kind"] == data.kind and h["document_no"] == data.document_no for h in teacher.honours
    ):
        raise AlreadyTaken(
            "body.document_no", f"{HONOURS[data.kind]} by {data.document_no} is already recorded"
        )
    teacher.honours = [*teacher.honours, honour]
    teacher.updated_at = utcnow()
    return teacher
