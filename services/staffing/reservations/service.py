"""Rules for holding posts for talent postings: all or nothing, filled one hire at a time."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from common.db import utcnow
from common.errors import DomainError
from contracts.staffing import (
    HireRefusalCode,
    HireRefused,
    ReservationConfirmed,
    ReservationRejected,
    ReservationReleased,
)
from contracts.talent import CandidateHired, PostingClosed, PostingOpened
from services.staffing.ledger.service import Movement, move
from services.staffing.models import HireRefusal, Reservation, Staff, StaffColumns, outbox
from services.staffing.quotas import repository as quotas
from services.staffing.quotas.service import no_vacancy
from services.staffing.reservations import repository
from services.staffing.roster import repository as roster
from services.staffing.roster.service import hire_into_vacancy, hire_reserved
from services.staffing.units.repository import get as get_unit


async def reserve(session: AsyncSession, event: PostingOpened, actor: str) -> Reservation:
    """Hold `count` vacant posts for a posting, of any quota type (编制, 员额, 控制数), or none
    at all and say why. A reopened posting (a later attempt) asks again after a refusal."""
    existing = await repository.get(session, event.posting_id)
    if existing is not None and (
        existing.status != "rejected" or event.attempt <= existing.attempt
    ):
        return existing
    unit = await get_unit(session, event.unit_id)
    quota = await quotas.lock_quota(session, event.unit_id, event.quota_type) if unit else None
    if existing is not None:  # locked after the balance row, in the order fill and release use
        existing = await repository.lock(session, event.posting_id)
    reservation = existing or Reservation(
        posting_id=event.posting_id,
        unit_id=event.unit_id,
        quota_type=event.quota_type,
        requested=event.count,
        status="confirmed",
    )
    reservation.quota_type = event.quota_type
    reservation.requested = event.count
    reservation.status, reservation.reason = "confirmed", None
    reservation.attempt = event.attempt
    reservation.updated_at = utcnow()
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
        "attempt": reservation.attempt,
    }
    announcement: ReservationConfirmed | ReservationRejected
    if reservation.status == "rejected":
        announcement = ReservationRejected(
            **facts, count=event.count, reason=reservation.reason or ""
        )
    else:
        announcement = ReservationConfirmed(**facts, count=event.count)
    await outbox.add(session, announcement, subject=str(reservation.posting_id))
    return reservation


class HireNotRecorded(Exception):
    """A hire staffing cannot record, with a reason code for talent and words for people."""

    def __init__(
        self, code: HireRefusalCode, reason: str, reservation: Reservation | None = None
    ) -> None:
        super().__init__(reason)
        self.code, self.reason, self.reservation = code, reason, reservation


async def fill(
    session: AsyncSession, event: CandidateHired, actor: str
) -> StaffColumns | HireRefusal:
    """Put a hired candidate on the roster, or record and announce why not (the saga's reply).

    Either way talent hears back: `staffing.staff.hired` or `staffing.hire.refused`. Nothing
    of a refused hire is kept but the refusal itself.
    """
    already = await roster.by_talent_application(session, event.application_id)
    if already is not None:
        return already
    try:
        async with session.begin_nested():
            return await _fill(session, event, actor)
    except HireNotRecorded as refused:
        return await _refuse(session, event, refused.code, refused.reason, refused.reservation)
    except DomainError as error:
        return await _refuse(session, event, "invalid", error.detail, None)


async def _refuse(
    session: AsyncSession,
    event: CandidateHired,
    code: HireRefusalCode,
    reason: str,
    reservation: Reservation | None,
) -> HireRefusal:
    refusal = HireRefusal(
        application_id=event.application_id,
        posting_id=event.posting_id,
        code=code,
        reason=reason[:1000],
    )
    session.add(refusal)
    await session.flush()
    await outbox.add(
        session,
        HireRefused(
            application_id=event.application_id,
            posting_id=event.posting_id,
            candidate_id=event.candidate_id,
            unit_id=reservation.unit_id if reservation else None,
            quota_type=reservation.quota_type if reservation else None,
            code=code,
            reason=reason[:1000],
            attempt=event.attempt,
        ),
        subject=str(event.application_id),
    )
    return refusal


async def _fill(session: AsyncSession, event: CandidateHired, actor: str) -> StaffColumns:
    """Turn one post held for the posting into the hired candidate's staff record.

    Without a held post left (the posting was closed meanwhile) the hire takes a vacant post
    like any other, and is refused with the unit's figures when there is none.
    """
    found = await repository.get(session, event.posting_id)
    if found is None or found.status == "rejected":
        raise HireNotRecorded(
            "no_reservation",
            f"staffing holds no posts for posting {event.posting_id}"
            + (f": {found.reason}" if found is not None and found.reason else "")
            + "; reopen the posting once the unit has the posts",
            found,
        )
    unit = await get_unit(session, found.unit_id)
    if unit is None:
        raise HireNotRecorded("unit_unknown", f"no unit {found.unit_id} on record", found)
    if unit.status != "open":
        raise HireNotRecorded(
            "unit_closed", f"unit {unit.code} is {unit.status} and hires no one", found
        )
    quota = await quotas.lock_quota(session, found.unit_id, found.quota_type)
    reservation = await repository.lock(session, event.posting_id)
    assert reservation is not None
    if reservation.held < 1 and (quota is None or quota.vacant < 1):
        raise HireNotRecorded(
            "no_quota" if quota is None else "no_vacancy",
            no_vacancy(quota, unit.code, reservation.quota_type, 1).detail
            + "; the posting's held posts are all used or released",
            reservation,
        )
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
            attempt=reservation.attempt,
        ),
        subject=str(reservation.posting_id),
    )
    return reservation
