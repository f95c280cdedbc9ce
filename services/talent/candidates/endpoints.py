"""HTTP for candidates."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import JSONResponse

from common.deps import DEFAULT_LIMIT, CurrentPrincipal, Cursor, Limit, SessionDep
from common.pagination import paginate
from services.talent.candidates import repository, service
from services.talent.candidates.schemas import (
    CandidateCreate,
    CandidateErase,
    CandidateMerge,
    CandidatePage,
    CandidatePublic,
    CandidateWhole,
    Source,
)
from services.talent.clock import local_today
from services.talent.deps import CipherDep, SettingsDep
from services.talent.idempotency import IdempotencyDep, Outcome
from services.talent.models import Candidate

router = APIRouter(prefix="/v1/candidates", tags=["candidates"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=CandidatePublic,
    responses={200: {"model": CandidatePublic, "description": "the person was known already"}},
)
async def push_candidate(
    body: CandidateCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
    cipher: CipherDep,
    settings: SettingsDep,
    idempotency: IdempotencyDep,
) -> JSONResponse:
    """Add a person (201), or get the candidate already known by the same ID number (200)."""

    async def push() -> Outcome:
        pushed = await service.push_candidate(
            session,
            principal,
            cipher,
            body,
            today=local_today(),
            retention_days=settings.default_retention_days,
        )
        external_id = body.external_id if principal.kind == "partner" else None
        view = service.masked(cipher, pushed.candidate, external_id)
        return Outcome(201 if pushed.created else 200, view, pushed.candidate.id)

    return await idempotency.run(session, principal, push)


@router.get("", response_model=CandidatePage)
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
) -> CandidatePage:
    """Candidates you may see, personal fields masked."""
    if principal.kind == "partner":
        principal.require_scope("candidates:write")
    stmt = repository.visible(principal)
    if source:
        stmt = stmt.where(Candidate.source == source)
    if talent_tier:
        stmt = stmt.where(Candidate.talent_tier == talent_tier)
    if erased is not None:
        stmt = stmt.where(
            Candidate.erased_at.is_not(None) if erased else Candidate.erased_at.is_(None)  # type: ignore[union-attr]
        )
    if updated_after:
        stmt = stmt.where(Candidate.updated_at > updated_after)
    rows, next_cursor = await paginate(
        session,
        stmt,
        order_by=[Candidate.updated_at, Candidate.id],  # type: ignore[list-item]
        cursor=cursor,
        limit=limit,
    )
    external: dict[uuid.UUID, str | None] = {}
    if principal.kind == "partner":
        external = await repository.external_ids(session, principal.sub, [r.id for r in rows])
    return CandidatePage(
        data=[service.masked(cipher, r, external.get(r.id)) for r in rows],
        next_cursor=next_cursor,
    )


@router.post("/merge", response_model=CandidatePublic)
async def merge_candidates(
    body: CandidateMerge, session: SessionDep, principal: CurrentPrincipal, cipher: CipherDep
) -> CandidatePublic:
    """Fold a duplicate into the candidate to keep; the duplicate is erased."""
    return service.masked(cipher, await service.merge(session, principal, body))


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
        return await service.reveal(request.app.state.db, principal, cipher, candidate, purpose)
    external = None
    if principal.kind == "partner":
        external = (await repository.external_ids(session, principal.sub, [candidate.id])).get(
            candidate.id
        )
    return service.masked(cipher, candidate, external)


@router.post("/{candidate_id}/erase", response_model=CandidatePublic)
async def erase_candidate(
    candidate_id: uuid.UUID,
    session: SessionDep,
    principal: CurrentPrincipal,
    cipher: CipherDep,
    idempotency: IdempotencyDep,
    body: CandidateErase | None = None,
) -> JSONResponse:
    """Erase the person's personal fields on their request (PIPL); statistics stay."""

    async def erase() -> Outcome:
        candidate = await service.request_erasure(session, principal, candidate_id)
        return Outcome(200, service.masked(cipher, candidate))

    return await idempotency.run(session, principal, erase)
