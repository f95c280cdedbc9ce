"""Rules for holding posts for talent postings: all or nothing, filled one hire at a time."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from common.db import utcnow
from contracts.staffing import ReservationConfirmed, ReservationRejected, ReservationReleased
from contracts.talent import CandidateHired, PostingClosed, PostingOpened
from services.staffing.errors import NoReservation
from services.staffing.ledger.service import Movement, move
from services.staffing.models import Reservation, Staff, outbox
from services.staffing.quotas import repository as quotas
from services.staffing.reservations import repository
from services.staffing.roster import repository as roster
from services.staffing.roster.service import hire_into_vacancy, hire_reserved
from services.staffing.units.repository import get as get_unit


async def reserve(session: AsyncSession, event: PostingOpened, actor: str) -> Reservation:
    """Hold `count` vacant posts for a posting, or none at all and say why."""
    existing = await repository.get(session, event.posting_id)
    if existing is not None:
        return existing
    unit = await get_unit(session, event.unit_id)
    quota = await quotas.lock_quota(session, event.unit_id, event.quota_type) if unit else None
    reservation = Reservation(
        posting_id=event.posting_id,
        unit_id=event.unit_id,
        quota_type=event.quota_type,
        requested=event.count,
        status="confirmed",
    )
    if unit is None:
        reservation.status, reservation.reason = "rejected", "no such unit"
    elif quota is None or quota.vacant < event.count:
        vacant = quota.vacant if quota else 0
        reservation.status = "rejected"
        reservation.reason = (
            f"unit {unit.code} has {vacant} vacant {event.quota_type} posts and the posting "
            f"needs {event.count}; apply to the pool for more"
        )
    else:
        move(session, quota, "reserved", event.count, Movement.of("reservation", actor))
        reservation.held = event.count
    session.add(reservation)
    await session.flush()
    facts = {
        "posting_id": reservation.posting_id,
        "unit_id": reservation.unit_id,
        "quota_type": reservation.quota_type,
    }
    if reservation.status == "rejected":
        announcement = ReservationRejected(
            **facts, count=event.count, reason=reservation.reason or ""
        )
    else:
        announcement = ReservationConfirmed(**facts, count=event.count)
    await outbox.add(session, announcement, subject=str(reservation.posting_id))
    return reservation


async def fill(session: AsyncSession, event: CandidateHired, actor: str) -> Staff:
    """Turn one post held for the posting into the hired candidate's staff record.

    Without a held post left (the posting was closed meanwhile) the hire takes a vacant post
    like any other, and fails with the reason when there is none.
    """
    already = await roster.by_talent_application(session, event.application_id)
    if already is not None:
        return already
    found = await repository.get(session, event.posting_id)
    if found is None:
        raise NoReservation(f"no reservation for posting {event.posting_id}")
    unit = await get_unit(session, found.unit_id)
    assert unit is not None
    quota = await quotas.lock_quota(session, found.unit_id, found.quota_type)
    reservation = await repository.lock(session, event.posting_id)
    assert reservation is not None
    staff = Staff(
        unit_id=unit.id,
        quota_type=reservation.quota_type,
        name=event.name,
        sex=event.sex,
        birth_date=event.birth_date,
        hire_date=event.hire_date,
        subject=event.subject,
        stage=event.stage,
        title=event.title,
        status="active",
        posting_id=event.posting_id,
        talent_application_id=event.application_id,
    )
    why = Movement.of("hire", actor)
    if reservation.held < 1:
        return await hire_into_vacancy(session, unit, staff, why)
    reservation.held -= 1
    reservation.filled += 1
    reservation.updated_at = utcnow()
    if reservation.held == 0:
        reservation.status = "filled"
    assert quota is not None
    return await hire_reserved(session, quota, unit, staff, why)


async def release(session: AsyncSession, event: PostingClosed, actor: str) -> Reservation | None:
    """Give back the posts a closed posting still holds."""
    found = await repository.get(session, event.posting_id)
    if found is None or found.held == 0:
        return found
    quota = await quotas.lock_quota(session, found.unit_id, found.quota_type)
    reservation = await repository.lock(session, event.posting_id)
    assert quota is not None and reservation is not None
    released = reservation.held
    move(session, quota, "reserved", -released, Movement.of("release", actor, reason=event.reason))
    reservation.held = 0
    reservation.status = "released"
    reservation.updated_at = utcnow()
    await session.flush()
    await outbox.add(
        session,
        ReservationReleased(
            posting_id=reservation.posting_id,
            unit_id=reservation.unit_id,
            quota_type=reservation.quota_type,
            count=released,
        ),
        subject=str(reservation.posting_id),
    )
    return reservation
