"""HTTP for candidates."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import Response
from sqlmodel import col

from common.clock import local_today
from common.db import Database, utcnow
from common.deps import DEFAULT_LIMIT, CurrentPrincipal, Cursor, Limit, SessionDep
from common.pagination import Page, paginate
from services.talent.candidates import repository, service
from services.talent.candidates.schemas import (
    CandidateCreate,
    CandidateErase,
    CandidateMerge,
    CandidatePublic,
    CandidateWhole,
    Source,
)
from services.talent.deps import CipherDep, SettingsDep
from services.talent.idempotency import IdempotencyDep, Outcome
from services.talent.models import Candidate

router = APIRouter(prefix="/v1/candidates", tags=["candidates"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=CandidatePublic,
    responses={
        200: {"model": CandidatePublic, "description": "to HR: the person was known already"}
    },
)
async def push_candidate(
    request: Request,
    body: CandidateCreate,
    principal: CurrentPrincipal,
    cipher: CipherDep,
    settings: SettingsDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Add a person (201). A partner always gets 201 and its own submission back, known person
    or not (we merge on our side); HR gets 200 and the record when the person was known."""
    db: Database = request.app.state.db
    today, retention_days = local_today(), settings.default_retention_days
    if principal.kind == "partner":
        # On PostgreSQL a new person under a new key takes one statement, with no transaction.
        answered = await idempotency.at_once(
            db,
            principal,
            lambda: service.guess_new_person(
                principal, cipher, body, today=today, retention_days=retention_days
            ),
        )
        if answered is not None:
            return answered

    async with db.session() as session:

        async def push() -> Outcome:
            pushed = await service.push_candidate(
                session, principal, cipher, body, today=today, retention_days=retention_days
            )
            if pushed.sent is not None and pushed.linked_at is not None:
                erased_at = pushed.candidate.erased_at if pushed.candidate else None
                view = service.submission_view(
                    pushed.candidate_id,
                    erased_at,
                    pushed.external_id,
                    pushed.linked_at,
                    pushed.sent,
                )
                return Outcome(201, view, pushed.candidate_id)
            assert pushed.candidate is not None
            view = service.masked(cipher, pushed.candidate)
            return Outcome(201 if pushed.created else 200, view, pushed.candidate_id)

        return await idempotency.run(session, principal, push)


@router.get("", response_model=Page[CandidatePublic])
async def list_candidates(
    session: SessionDep,
    principal: CurrentPrincipal,
    cipher: CipherDep,
    source: Source | None = None,
    talent_tier: str | None = None,
    erased: bool | None = None,
    updated_after: datetime | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[CandidatePublic]:
    """Candidates you may see, personal fields masked."""
    if principal.kind == "partner":
        principal.require_scope("candidates:write")
    stmt = repository.visible(principal)
    if source:
        stmt = stmt.where(col(Candidate.source) == source)
    if talent_tier:
        stmt = stmt.where(col(Candidate.talent_tier) == talent_tier)
    if erased is not None:
        stmt = stmt.where(
            col(Candidate.erased_at).is_not(None) if erased else col(Candidate.erased_at).is_(None)
        )
    if updated_after:
        stmt = stmt.where(col(Candidate.updated_at) > updated_after)
    rows, next_cursor = await paginate(
        session,
        stmt,
        order_by=[col(Candidate.updated_at), col(Candidate.id)],
        cursor=cursor,
        limit=limit,
    )
    if principal.kind == "partner":
        links = await repository.links_for(session, principal.sub, [r.id for r in rows])
        data = [service.partner_view(cipher, r, links.get(r.id)) for r in rows]
    else:
        data = [service.masked(cipher, r) for r in rows]
    return Page[CandidatePublic](data=data, next_cursor=next_cursor)


@router.post("/merge", response_model=CandidatePublic)
async def merge_candidates(
    body: CandidateMerge, session: SessionDep, principal: CurrentPrincipal, cipher: CipherDep
) -> CandidatePublic:
    """Fold a duplicate into the candidate to keep; the duplicate is erased."""
    return service.masked(cipher, await service.merge(session, principal, cipher, body))


@router.get("/{candidate_id}", response_model=CandidateWhole | CandidatePublic)
async def get_candidate(
    candidate_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    cipher: CipherDep,
    reveal: bool = Query(False, description="personal fields whole; the view is recorded"),
    purpose: str | None = Query(None, max_length=200),
) -> CandidateWhole | CandidatePublic:
    """One candidate, masked; `reveal=true` shows personal fields whole to roles allowed."""
    candidate = await service.visible_candidate(session, principal, candidate_id)
    if reveal:
        # The read's connection goes back to the pool before the view is recorded in a session
        # of its own: holding it meanwhile, requests enough to take every connection would each
        # wait for another one.
        await session.commit()
        return await service.reveal(request.app.state.db, principal, cipher, candidate, purpose)
    if principal.kind == "partner":
        links = await repository.links_for(session, principal.sub, [candidate.id])
        return service.partner_view(cipher, candidate, links.get(candidate.id))
    return service.masked(cipher, candidate)


@router.post("/{candidate_id}/erase", response_model=CandidatePublic)
async def erase_candidate(
    candidate_id: uuid.UUID,
    session: SessionDep,
    principal: CurrentPrincipal,
    cipher: CipherDep,
    idempotency: IdempotencyDep,
    body: CandidateErase | None = None,
) -> Response:
    """Erase on the person's request (PIPL): HR erases the person; a partner its own submission
    (and the person too when no other source holds them). Statistics stay."""

    async def erase() -> Outcome:
        erased = await service.request_erasure(session, principal, candidate_id)
        if erased.submission is not None:
            view = service.partner_view(
                cipher, erased.candidate, erased.submission, erased_at=utcnow()
            )
        else:
            view = service.masked(cipher, erased.candidate)
        return Outcome(200, view)

    return await idempotency.run(session, principal, erase)
