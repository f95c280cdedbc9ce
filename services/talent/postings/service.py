"""Rules of postings: a posting opens only once staffing holds its posts, for every quota type
(编制, 员额 and a 两自一包 school's control number alike)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import PERSONNEL_ROLES, Principal
from common.db import utcnow
from common.errors import Forbidden, IllegalTransition, InvalidInput, NotFound
from contracts.staffing import ReservationConfirmed, ReservationRejected, ReservationReleased
from contracts.talent import PostingBlocked, PostingClosed, PostingOpened, PostingPublished
from contracts.vocabulary import is_subject_in_stage, listed_terms
from services.talent.models import Posting, outbox
from services.talent.postings import repository
from services.talent.postings.schemas import PostingClose, PostingCreate, PostingUpdate


async def visible_posting(
    session: AsyncSession, principal: Principal, posting_id: uuid.UUID
) -> Posting:
    principal.require_scope("postings:read")
    posting = await repository.get(session, posting_id)
    if posting is None or not repository.can_see(principal, posting):
        raise NotFound("no such posting in your scope")
    return posting


async def create_posting(
    session: AsyncSession, principal: Principal, data: PostingCreate
) -> Posting:
    """A draft posting at a unit in the caller's scope."""
    principal.require_role(*PERSONNEL_ROLES)
    unit = await repository.get_unit(session, data.unit_id)
    if unit is None:
        raise InvalidInput.field("body.unit_id", "no such unit (staffing has not announced it)")
    if not principal.can_see_unit(unit.id, unit.district_id):
        raise Forbidden("the unit is not in your scope")
    posting = Posting(
        **data.model_dump(exclude={"requirements"}),
        requirements=data.requirements.model_dump(exclude_none=True),
        district_id=unit.district_id if unit.kind == "school" else unit.id,
        status="draft",
        reservation="none",
        created_by=principal.sub,
    )
    session.add(posting)
    await session.flush()
    return posting


async def update_posting(
    session: AsyncSession, principal: Principal, posting_id: uuid.UUID, data: PostingUpdate
) -> Posting:
    posting = await _managed(session, principal, posting_id)
    if posting.status != "draft":
        raise IllegalTransition(
            f"only a draft can be changed; this posting is {posting.status}",
            state=posting.status,
            state_of="posting",
        )
    changes = data.changes()
    if "requirements" in changes:
        requirements = data.requirements
        changes["requirements"] = requirements.model_dump(exclude_none=True) if requirements else {}
    for field, value in changes.items():
        setattr(posting, field, value)
    if (
        posting.subject
        and posting.stage
        and not is_subject_in_stage(posting.subject, posting.stage)
    ):
        raise InvalidInput.field(
            "body.subject",
            f"{posting.subject} is not taught in the posting's stage {posting.stage}",
        )
    if posting.apply_from and posting.apply_until and posting.apply_until < posting.apply_from:
        raise InvalidInput.field("body.apply_until", "apply_until must not come before apply_from")
    posting.updated_at = utcnow()
    await session.flush()
    return posting


async def open_posting(
    session: AsyncSession, principal: Principal, posting_id: uuid.UUID
) -> Posting:
    """Ask staffing to hold the posts (pending_quota); the posting opens when it confirms."""
    posting = await _managed(session, principal, posting_id)
    if posting.status != "draft":
        raise IllegalTransition(
            f"only a draft can be opened; this posting is {posting.status}",
            state=posting.status,
            state_of="posting",
        )
    await _ask_for_posts(session, posting)
    return posting


async def reopen_posting(
    session: AsyncSession, principal: Principal, posting_id: uuid.UUID
) -> Posting:
    """Ask staffing again for a posting it refused, once posts exist (a loan, an adjustment).

    A control-number posting opened before staffing held control numbers (reservation
    `not_needed`) is reopened the same way, so its hires have posts behind them.
    """
    posting = await _managed(session, principal, posting_id)
    legacy = posting.status == "open" and posting.reservation == "not_needed"
    if posting.status != "blocked" and not legacy:
        raise IllegalTransition(
            f"only a blocked posting can be reopened; this posting is {posting.status}",
            state=posting.status,
            state_of="posting",
        )
    posting.reservation_attempt += 1
    posting.blocked_reason = None
    await _ask_for_posts(session, posting)
    return posting


async def _ask_for_posts(session: AsyncSession, posting: Posting) -> None:
    posting.updated_at = utcnow()
    posting.status, posting.reservation = "pending_quota", "pending"
    await session.flush()
    await outbox.add(
        session,
        PostingOpened(
            posting_id=posting.id,
            unit_id=posting.unit_id,
            quota_type=posting.quota_type,
            count=posting.count,
            **listed_terms(subject=posting.subject, stage=posting.stage),
            title=posting.title,
            attempt=posting.reservation_attempt,
        ),
        subject=str(posting.id),
    )


async def close_posting(
    session: AsyncSession, principal: Principal, posting_id: uuid.UUID, data: PostingClose
) -> Posting:
    """Close a posting; staffing releases the posts it still holds."""
    posting = await _managed(session, principal, posting_id)
    if posting.status == "closed":
        raise IllegalTransition("the posting is closed already", state="closed", state_of="posting")
    was_draft = posting.status == "draft"
    posting.status = "closed"
    posting.closed_at = posting.updated_at = utcnow()
    await session.flush()
    if not was_draft:
        await outbox.add(
            session,
            PostingClosed(posting_id=posting.id, reason=data.reason),
            subject=str(posting.id),
        )
    return posting


async def reservation_confirmed(session: AsyncSession, event: ReservationConfirmed) -> None:
    """Staffing holds the posts: the posting opens to applicants."""
    posting = await repository.lock(session, event.posting_id)
    if not _awaiting(posting, event):
        return
    assert posting is not None
    posting.reservation = "confirmed"
    await _publish(session, posting)


async def reservation_rejected(session: AsyncSession, event: ReservationRejected) -> None:
    """Staffing could not hold the posts: the posting is blocked with its reason."""
    posting = await repository.lock(session, event.posting_id)
    if not _awaiting(posting, event):
        return
    assert posting is not None
    posting.status, posting.reservation = "blocked", "rejected"
    posting.blocked_reason = event.reason
    posting.updated_at = utcnow()
    await session.flush()
    await outbox.add(
        session,
        PostingBlocked(
            posting_id=posting.id,
            unit_id=posting.unit_id,
            quota_type=posting.quota_type,
            reason=event.reason[:1000],
        ),
        subject=str(posting.id),
    )


def _awaiting(posting: Posting | None, event: ReservationConfirmed | ReservationRejected) -> bool:
    """The posting waits for this answer (not one to an earlier opening)."""
    return (
        posting is not None
        and posting.status == "pending_quota"
        and event.attempt == posting.reservation_attempt
    )


async def reservation_released(session: AsyncSession, event: ReservationReleased) -> None:
    posting = await repository.lock(session, event.posting_id)
    if posting is not None:
        posting.reservation = "released"
        posting.updated_at = utcnow()


async def _publish(session: AsyncSession, posting: Posting) -> None:
    posting.status = "open"
    posting.opened_at = posting.updated_at = utcnow()
    await session.flush()
    await outbox.add(
        session,
        PostingPublished(
            posting_id=posting.id,
            unit_id=posting.unit_id,
            quota_type=posting.quota_type,
            count=posting.count,
        ),
        subject=str(posting.id),
    )


async def _managed(session: AsyncSession, principal: Principal, posting_id: uuid.UUID) -> Posting:
    principal.require_role(*PERSONNEL_ROLES)
    posting = await repository.lock(session, posting_id)
    if posting is None or not principal.can_see_unit(posting.unit_id, posting.district_id):
        raise NotFound("no such posting in your scope")
    return posting
