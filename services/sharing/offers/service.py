"""Rules of offers: HR offers, the home school consents, the teacher accepts or declines.

Acceptance is the one place a booking is made. It locks the teacher's row first (then the
request, then the offer: the same order everywhere, so two transactions never wait on each
other in a circle), and only then checks clashes and the cap against what is committed.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.db import utcnow
from common.errors import Forbidden, IllegalTransition, InvalidInput, NotFound
from contracts.sharing import (
    OfferAccepted,
    OfferConsented,
    OfferDeclined,
    OfferExpired,
    OfferSent,
    RequestFilled,
)
from contracts.vocabulary import qualified
from services.sharing.access import acting_teacher_id, is_hr_for, is_school_of
from services.sharing.assignments import service as assignments
from services.sharing.errors import ExpiredOffer, LiveOfferExists, TeacherLeft
from services.sharing.models import Assignment, Offer, ShareRequest, Teacher, outbox
from services.sharing.offers import repository
from services.sharing.offers.schemas import ConsentCreate, DeclineCreate, OfferCreate, OfferPublic
from services.sharing.requests import repository as requests
from services.sharing.requests.service import request_facts, visible_request
from services.sharing.teachers import repository as teachers
from services.sharing.timetable import TRAVELLING_MODES, SchoolDay

EXPIRY_BATCH = 500


def offer_facts(offer: Offer) -> dict[str, object]:
    return {
        "offer_id": offer.id,
        "request_id": offer.request_id,
        "teacher_id": offer.teacher_id,
        "home_unit_id": offer.home_unit_id,
        "host_unit_id": offer.host_unit_id,
    }


def check_eligible(teacher: Teacher | None, request: ShareRequest) -> Teacher:
    """The teacher may be offered this request: listed in the library for its subject and
    stage, still qualified by certificate, sharing in its mode and district, not the host's own.
    """
    if teacher is None:
        raise InvalidInput.field("body.teacher_id", "no such teacher")
    if not teacher.active:
        raise InvalidInput.field("body.teacher_id", "the teacher has left")
    if teacher.library_status != "listed":
        raise InvalidInput.field(
            "body.teacher_id",
            f"the teacher is not listed in the library ({teacher.library_status})",
        )
    if teacher.unit_id == request.unit_id:
        raise InvalidInput.field("body.teacher_id", "the teacher belongs to the requesting school")
    if [request.subject, request.stage] not in teacher.offered or not qualified(
        teacher.certificate_pairs(), request.stage, request.subject
    ):
        raise InvalidInput.field(
            "body.teacher_id", f"not listed or certified for {request.stage} {request.subject}"
        )
    if request.mode not in teacher.modes:
        raise InvalidInput.field("body.teacher_id", f"the teacher does not share {request.mode}")
    if (
        request.mode in TRAVELLING_MODES
        and request.district_id is not None
        and str(request.district_id) not in teacher.areas
    ):
        raise InvalidInput.field("body.teacher_id", "the teacher does not travel to that district")
    return teacher


async def send(
    session: AsyncSession,
    principal: Principal,
    request_id: uuid.UUID,
    data: OfferCreate,
    day: SchoolDay,
    now: datetime,
    ttl: timedelta,
    *,
    batch_id: uuid.UUID | None = None,
) -> Offer:
    """HR offers an open request to an eligible teacher who is free today."""
    request = await visible_request(session, principal, request_id)
    if not is_hr_for(principal, request.unit_id, request.district_id):
        raise Forbidden("only HR offers requests to teachers")
    if request.status != "open":
        raise IllegalTransition(
            f"the request is {request.status}", state=request.status, state_of="request"
        )
    teacher = check_eligible(await teachers.get(session, data.teacher_id), request)
    if await repository.live_for(session, request.id, teacher.id) is not None:
        raise LiveOfferExists("this teacher already has a live offer for this request")
    await assignments.ensure_fits(
        session, day, teacher, request, max(request.term_start, now.date())
    )
    offer = Offer(
        request_id=request.id,
        teacher_id=teacher.id,
        home_unit_id=teacher.unit_id,
        home_district_id=teacher.district_id,
        host_unit_id=request.unit_id,
        host_district_id=request.district_id,
        status="sent",
        expires_at=now + ttl,
        note=data.note,
        batch_id=batch_id,
        created_by=principal.sub,
    )
    session.add(offer)
    await session.flush()
    await outbox.add(
        session,
        OfferSent(**offer_facts(offer), expires_at=offer.expires_at.isoformat()),
        subject=str(offer.id),
    )
    return offer


def of_request(principal: Principal, request_id: uuid.UUID) -> Select[Any]:
    """The offers made for a request that the caller may see, to page through."""
    return repository.of_request(principal, request_id)


async def visible_offer(session: AsyncSession, principal: Principal, offer_id: uuid.UUID) -> Offer:
    offer = await repository.get(session, offer_id)
    if offer is None or not await can_see(session, principal, offer):
        raise NotFound("no such offer in your scope")
    return offer


async def can_see(session: AsyncSession, principal: Principal, offer: Offer) -> bool:
    if principal.role == "teacher":
        return await acting_teacher_id(session, principal) == offer.teacher_id
    return principal.can_see_unit(
        offer.host_unit_id, offer.host_district_id
    ) or principal.can_see_unit(offer.home_unit_id, offer.home_district_id)


def ensure_live(offer: Offer, now: datetime, *expected: str) -> None:
    if offer.status not in expected:
        raise IllegalTransition(
            f"the offer is {offer.status}", state=offer.status, state_of="offer"
        )
    if offer.expires_at <= now:
        raise ExpiredOffer("the offer has expired")


async def consent(
    session: AsyncSession,
    principal: Principal,
    offer_id: uuid.UUID,
    data: ConsentCreate,
    now: datetime,
) -> Offer:
    """The home school lets its teacher go (派出学校同意), or refuses with a reason."""
    await visible_offer(session, principal, offer_id)
    offer = await repository.lock(session, offer_id)
    assert offer is not None
    if not (
        is_school_of(principal, offer.home_unit_id)
        or is_hr_for(principal, offer.home_unit_id, offer.home_district_id)
    ):
        raise Forbidden("only the teacher's home school consents")
    ensure_live(offer, now, "sent")
    offer.status = "consented" if data.consent else "refused"
    offer.consented_by = principal.sub
    offer.updated_at = utcnow()
    await outbox.add(
        session,
        OfferConsented(**offer_facts(offer), consented=data.consent, reason=data.reason),
        subject=str(offer.id),
    )
    return offer


async def accept(
    session: AsyncSession,
    principal: Principal,
    offer_id: uuid.UUID,
    day: SchoolDay,
    now: datetime,
    today: date,
) -> tuple[Offer, Assignment]:
    """The teacher accepts; clashes and the cap are checked under the lock on their row."""
    seen = await visible_offer(session, principal, offer_id)
    if await acting_teacher_id(session, principal) != seen.teacher_id:
        raise Forbidden("only the teacher accepts their offer")
    teacher = await teachers.lock(session, seen.teacher_id)
    request = await requests.lock(session, seen.request_id)
    offer = await repository.lock(session, offer_id)
    assert teacher is not None and request is not None and offer is not None
    ensure_live(offer, now, "consented")
    if not teacher.active:
        raise TeacherLeft("the teacher has left")
    if request.status != "open":
        raise IllegalTransition(
            f"the request is {request.status}", state=request.status, state_of="request"
        )
    await assignments.ensure_fits(session, day, teacher, request, max(request.term_start, today))
    assignment = await assignments.start(session, offer, request, teacher, today)
    offer.status = "accepted"
    offer.answered_by = principal.sub
    offer.updated_at = utcnow()
    request.status = "filled"
    request.updated_at = utcnow()
    await outbox.add(
        session,
        OfferAccepted(**offer_facts(offer), assignment_id=assignment.id),
        subject=str(offer.id),
    )
    await outbox.add(
        session,
        RequestFilled(**request_facts(request), teacher_id=teacher.id, assignment_id=assignment.id),
        subject=str(request.id),
    )
    return offer, assignment


async def decline(
    session: AsyncSession,
    principal: Principal,
    offer_id: uuid.UUID,
    data: DeclineCreate,
    now: datetime,
) -> Offer:
    """The teacher says no."""
    seen = await visible_offer(session, principal, offer_id)
    if await acting_teacher_id(session, principal) != seen.teacher_id:
        raise Forbidden("only the teacher declines their offer")
    offer = await repository.lock(session, offer_id)
    assert offer is not None
    ensure_live(offer, now, "sent", "consented")
    offer.status = "declined"
    offer.answered_by = principal.sub
    offer.updated_at = utcnow()
    await outbox.add(
        session, OfferDeclined(**offer_facts(offer), reason=data.reason), subject=str(offer.id)
    )
    return offer


async def expire_due(session: AsyncSession, now: datetime) -> int:
    """Offers nobody answered in time expire, each with its event."""
    due = await repository.due_to_expire(session, now, EXPIRY_BATCH)
    for offer in due:
        offer.status = "expired"
        offer.updated_at = utcnow()
        await outbox.add(session, OfferExpired(**offer_facts(offer)), subject=str(offer.id))
    return len(due)


async def name_hosts(session: AsyncSession, offers: list[OfferPublic]) -> None:
    """Each offer's host school by name, from sharing's own copy of the units."""
    names = await repository.unit_names(session, {o.host_unit_id for o in offers})
    for offer in offers:
        offer.host_unit_name = names.get(offer.host_unit_id)
