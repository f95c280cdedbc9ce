"""Rules of the application pipeline: one step at a time, and a hire only into held posts.

A hire is a saga: HR's move to `hired` makes the application `hiring` and asks staffing to put
the person on the roster; it is `hired` only when staffing confirms (staffing.staff.hired), or
`hire_failed` with staffing's reason (staffing.hire.refused), from which HR may try again.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Final

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from common.auth import PERSONNEL_ROLES, Principal
from common.db import utcnow
from common.errors import Forbidden, InvalidInput, NotFound
from contracts.staffing import HireRefused, StaffHired
from contracts.talent import ApplicationStatus, ApplicationStatusChanged, CandidateHired, HireFailed
from contracts.vocabulary import listed_terms
from services.talent.applications import repository
from services.talent.applications.schemas import ApplicationCreate, TransitionCreate
from services.talent.candidates import repository as candidates
from services.talent.candidates.service import personal, visible_candidate
from services.talent.errors import (
    AlreadyApplied,
    ErasedCandidate,
    NoHeldPosts,
    PostingFilled,
    PostingNotAccepting,
)
from services.talent.models import Application, Candidate, Posting, Transition, outbox
from services.talent.pii import PiiCipher
from services.talent.postings import repository as postings

PIPELINE = ("applied", "screened", "exam", "interview", "assessment", "offered", "hired")
EXITS = ("rejected", "withdrawn")
CLOSED = frozenset({"hired", *EXITS})
#: Waiting for staffing's answer: nobody moves it until staffing has spoken.
HIRING: Final = "hiring"
HIRE_FAILED: Final = "hire_failed"
#: What the recruitment site may decide itself; offers and hires are the bureau's.
PARTNER_MOVES = frozenset({"screened", "exam", "interview", "rejected", "withdrawn"})
#: A posting whose quota is still pending may take applications from HR and screen them;
#: hiring waits for the posts.
ACCEPTING = {"partner": ("open",), "user": ("open", "pending_quota")}
#: `not_needed`: a control posting opened before staffing held control numbers. Its hires
#: still go to staffing, which refuses them with the reason (reopen the posting) instead of
#: talent deciding on staffing's behalf.
HIREABLE_RESERVATIONS = frozenset({"confirmed", "not_needed"})


def allowed_moves(status: str) -> tuple[str, ...]:
    """The statuses an application in `status` may move to next."""
    if status in CLOSED or status == HIRING:
        return ()
    if status == HIRE_FAILED:
        return ("hired", *EXITS)  # try again once the cause is fixed
    return (PIPELINE[PIPELINE.index(status) + 1], *EXITS)


async def apply(
    session: AsyncSession, principal: Principal, data: ApplicationCreate, today: date
) -> Application:
    """A candidate applies for an open posting; a second application for it → 409."""
    if principal.kind == "partner":
        principal.require_scope("applications:write")
    else:
        principal.require_role(*PERSONNEL_ROLES)
    candidate = await visible_candidate(session, principal, data.candidate_id)
    if candidate.erased_at is not None:
        raise ErasedCandidate("the candidate was erased")
    posting = await postings.get(session, data.posting_id)
    if posting is None or not postings.can_see(principal, posting):
        raise InvalidInput.field("body.posting_id", "no such posting in your scope")
    if posting.status not in ACCEPTING[principal.kind]:
        raise PostingNotAccepting(f"the posting is {posting.status} and takes no applications")
    if posting.apply_from and today < posting.apply_from:
        raise PostingNotAccepting(f"applications open on {posting.apply_from.isoformat()}")
    if posting.apply_until and today > posting.apply_until:
        raise PostingNotAccepting(f"applications closed on {posting.apply_until.isoformat()}")
    existing = await repository.of_candidate_and_posting(session, candidate.id, posting.id)
    if existing is not None:
        raise _duplicate(existing)
    application = Application(
        candidate_id=candidate.id,
        posting_id=posting.id,
        partner_id=principal.sub if principal.kind == "partner" else None,
        status="applied",
        created_by=principal.sub,
    )
    try:
        # The same application pushed concurrently under another key: the first one stands.
        async with session.begin_nested():
            session.add(application)
            await session.flush()
    except IntegrityError:
        existing = await repository.of_candidate_and_posting(session, candidate.id, posting.id)
        if existing is None:
            raise
        raise _duplicate(existing) from None
    await _record(session, application, None, principal.sub, data.note)
    return application


def _duplicate(existing: Application) -> AlreadyApplied:
    return AlreadyApplied(
        "the candidate has applied for this posting already",
        extra={"existing_id": str(existing.id)},
    )


async def visible_application(
    session: AsyncSession, principal: Principal, application_id: uuid.UUID
) -> Application:
    if principal.kind == "partner":
        principal.require_scope("applications:read")
    stmt = repository.visible(principal).where(col(Application.id) == application_id)
    application = (await session.execute(stmt)).scalar_one_or_none()
    if application is None:
        raise NotFound("no such application in your scope")
    return application


async def move(
    session: AsyncSession,
    principal: Principal,
    cipher: PiiCipher,
    application_id: uuid.UUID,
    data: TransitionCreate,
    today: date,
) -> Application:
    """Move an application one legal step; `hired` takes one of the posting's held posts."""
    if principal.kind == "partner":
        principal.require_scope("applications:write")
        if data.to not in PARTNER_MOVES:
            raise Forbidden(f"a partner may not move an application to {data.to}")
    else:
        principal.require_role(*PERSONNEL_ROLES)
    await visible_application(session, principal, application_id)
    application = await repository.lock(session, application_id)
    assert application is not None
    allowed = allowed_moves(application.status)
    if data.to not in allowed:
        raise InvalidInput.field(
            "body.to",
            f"an application that is {application.status} can move to "
            f"{', '.join(allowed) or 'nothing'}, not {data.to}",
        )
    previous = application.status
    if data.to == "hired":
        await _hire(session, cipher, application, today, principal.sub)
        application.status = HIRING
    else:
        application.status = data.to
    application.updated_at = utcnow()
    await _record(session, application, previous, principal.sub, data.note)
    return application


async def _hire(
    session: AsyncSession,
    cipher: PiiCipher,
    application: Application,
    today: date,
    actor: str,
) -> None:
    """Take one of the posting's places and ask staffing to put the person on the roster."""
    posting = await postings.lock(session, application.posting_id)
    assert posting is not None
    _require_held_post(posting)
    candidate = await candidates.get(session, application.candidate_id)
    assert candidate is not None
    if candidate.erased_at is not None:
        raise ErasedCandidate("the candidate was erased and cannot be hired")
    posting.hired += 1
    posting.updated_at = utcnow()
    application.hire_attempts += 1
    application.hire_requested_by = actor
    application.hire_failure_code = application.hire_failure_reason = None
    await session.flush()
    await outbox.add(
        session,
        _hired_event(cipher, posting, candidate, application, today),
        subject=str(application.id),
    )


def _require_held_post(posting: Posting) -> None:
    if posting.status == "blocked":
        raise NoHeldPosts(
            f"the posting is blocked, staffing holds no posts for it: {posting.blocked_reason}"
        )
    if posting.status != "open" or posting.reservation not in HIREABLE_RESERVATIONS:
        raise NoHeldPosts(
            f"the posting is {posting.status} (reservation {posting.reservation}); "
            "a hire needs the posts held for it"
        )
    if posting.hired >= posting.count:
        raise PostingFilled(posting.count)


def _hired_event(
    cipher: PiiCipher,
    posting: Posting,
    candidate: Candidate,
    application: Application,
    today: date,
) -> CandidateHired:
    clear = personal(cipher, candidate)
    assert clear["name"] and clear["birth_date"]
    return CandidateHired(
        posting_id=posting.id,
        application_id=application.id,
        candidate_id=candidate.id,
        name=clear["name"],
        sex=candidate.sex,
        birth_date=date.fromisoformat(clear["birth_date"]),
        hire_date=today,
        **listed_terms(subject=posting.subject, stage=posting.stage, title=candidate.title),
        attempt=application.hire_attempts,
    )


async def _record(
    session: AsyncSession,
    application: Application,
    previous: ApplicationStatus | None,
    actor: str,
    note: str | None,
) -> None:
    session.add(
        Transition(
            application_id=application.id,
            from_status=previous,
            to_status=application.status,
            actor=actor,
            note=note,
        )
    )
    await session.flush()
    await outbox.add(
        session,
        ApplicationStatusChanged(
            application_id=application.id,
            posting_id=application.posting_id,
            candidate_id=application.candidate_id,
            partner_id=application.partner_id,
            from_status=previous,
            to_status=application.status,
            actor=actor,
            note=note,
        ),
        subject=str(application.id),
    )


async def onboarded(session: AsyncSession, event: StaffHired, actor: str) -> None:
    """Staffing put the hired candidate on the roster (staffing.staff.hired): now it is hired."""
    if event.application_id is None:
        return
    application = await repository.lock(session, event.application_id)
    if application is None or application.onboarded_at is not None:
        return
    application.staff_id = event.staff_id
    application.onboarded_at = application.updated_at = utcnow()
    application.hire_failure_code = application.hire_failure_reason = None
    if application.status in (HIRING, HIRE_FAILED):
        previous = application.status
        if previous == HIRE_FAILED:  # a late confirmation of an attempt thought refused
            await _take_place(session, application.posting_id, 1)
        application.status = "hired"
        await _record(session, application, previous, actor, "staffing confirmed the staff record")


async def hire_refused(session: AsyncSession, event: HireRefused, actor: str) -> None:
    """Staffing could not record the hire (staffing.hire.refused): `hire_failed`, with the
    reason, the posting's place given back, and HR told; HR may retry once it is fixed."""
    application = await repository.lock(session, event.application_id)
    if (
        application is None
        or application.status != HIRING
        or event.attempt != application.hire_attempts
    ):
        return
    posting = await _take_place(session, application.posting_id, -1)
    application.status = HIRE_FAILED
    application.hire_failure_code = event.code
    application.hire_failure_reason = event.reason
    application.updated_at = utcnow()
    await _record(session, application, HIRING, actor, f"{event.code}: {event.reason}"[:2000])
    await outbox.add(
        session,
        HireFailed(
            application_id=application.id,
            posting_id=application.posting_id,
            unit_id=posting.unit_id,
            quota_type=posting.quota_type,
            code=event.code,
            reason=event.reason,
            requested_by=application.hire_requested_by,
            attempt=event.attempt,
        ),
        subject=str(application.id),
    )


async def _take_place(session: AsyncSession, posting_id: uuid.UUID, delta: int) -> Posting:
    posting = await postings.lock(session, posting_id)
    assert posting is not None
    posting.hired = max(0, posting.hired + delta)
    posting.updated_at = utcnow()
    return posting
