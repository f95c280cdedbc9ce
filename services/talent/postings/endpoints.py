"""HTTP for postings."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, status
from sqlmodel import col

from common.deps import DEFAULT_LIMIT, CurrentPrincipal, Cursor, Limit, SessionDep
from common.pagination import Page, paged
from services.talent.models import Posting
from services.talent.postings import repository, service
from services.talent.postings.schemas import (
    PostingClose,
    PostingCreate,
    PostingPublic,
    PostingStatus,
    PostingUpdate,
)

router = APIRouter(prefix="/v1/postings", tags=["postings"])


@router.get("", response_model=Page[PostingPublic])
async def list_postings(
    session: SessionDep,
    principal: CurrentPrincipal,
    status: PostingStatus | None = None,
    unit_id: uuid.UUID | None = None,
    district_id: uuid.UUID | None = None,
    subject: str | None = None,
    stage: str | None = None,
    quota_type: str | None = None,
    updated_after: datetime | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[PostingPublic]:
    """Postings you may see, oldest change first; `updated_after` for incremental sync."""
    principal.require_scope("postings:read")
    stmt = repository.visible(principal)
    if status:
        stmt = stmt.where(col(Posting.status) == status)
    if unit_id:
        stmt = stmt.where(col(Posting.unit_id) == unit_id)
    if district_id:
        stmt = stmt.where(col(Posting.district_id) == district_id)
    if subject:
        stmt = stmt.where(col(Posting.subject) == subject)
    if stage:
        stmt = stmt.where(col(Posting.stage) == stage)
    if quota_type:
        stmt = stmt.where(col(Posting.quota_type) == quota_type)
    if updated_after:
        stmt = stmt.where(col(Posting.updated_at) > updated_after)
    return await paged(
        session,
        stmt,
        order_by=[col(Posting.updated_at), col(Posting.id)],
        cursor=cursor,
        limit=limit,
        shape=PostingPublic.model_validate,
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=PostingPublic)
async def create_posting(
    body: PostingCreate, session: SessionDep, principal: CurrentPrincipal
) -> Posting:
    """A draft posting at a unit in your scope."""
    return await service.create_posting(session, principal, body)


@router.get("/{posting_id}", response_model=PostingPublic)
async def get_posting(
    posting_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> Posting:
    """One posting."""
    return await service.visible_posting(session, principal, posting_id)


@router.patch("/{posting_id}", response_model=PostingPublic)
async def update_posting(
    posting_id: uuid.UUID, body: PostingUpdate, session: SessionDep, principal: CurrentPrincipal
) -> Posting:
    """Change a draft."""
    return await service.update_posting(session, principal, posting_id, body)


@router.post("/{posting_id}/open", response_model=PostingPublic)
async def open_posting(
    posting_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> Posting:
    """Open a draft: staffing holds its posts first (pending_quota), then it is open or blocked."""
    return await service.open_posting(session, principal, posting_id)


@router.post("/{posting_id}/reopen", response_model=PostingPublic)
async def reopen_posting(
    posting_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> Posting:
    """Ask staffing again for a blocked posting's posts, once a loan or adjustment made them."""
    return await service.reopen_posting(session, principal, posting_id)


@router.post("/{posting_id}/close", response_model=PostingPublic)
async def close_posting(
    posting_id: uuid.UUID,
    session: SessionDep,
    principal: CurrentPrincipal,
    body: PostingClose | None = None,
) -> Posting:
    """Close a posting; the posts it still holds go back to the unit."""
    return await service.close_posting(session, principal, posting_id, body or PostingClose())
