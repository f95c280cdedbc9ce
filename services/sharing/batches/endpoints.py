"""HTTP for semester batch matching: propose, review, turn into offers."""

from __future__ import annotations

import uuid
from datetime import timedelta

from fastapi import APIRouter
from fastapi import status as http

from common.clock import local_today
from common.db import utcnow
from common.deps import CurrentPrincipal, SessionDep
from services.sharing.batches import service
from services.sharing.batches.schemas import BatchCreate, BatchOffersPublic, BatchPublic
from services.sharing.deps import IndexDep, SchoolDayDep, SettingsDep

router = APIRouter(prefix="/v1", tags=["batch matching"])


@router.post("/batch-matches", status_code=http.HTTP_201_CREATED, response_model=BatchPublic)
async def propose(
    body: BatchCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
    index: IndexDep,
    settings: SettingsDep,
) -> BatchPublic:
    """Match all open requests of a term at once; the result is a proposal to review."""
    batch = await service.propose(
        session,
        principal,
        index,
        body,
        local_today(),
        time_limit=settings.batch_time_limit_seconds,
        keep=settings.batch_candidates_per_request,
    )
    return BatchPublic.model_validate(batch)


@router.get("/batch-matches/{batch_id}", response_model=BatchPublic)
async def get_batch(
    batch_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> BatchPublic:
    return BatchPublic.model_validate(await service.visible_batch(session, principal, batch_id))


@router.post("/batch-matches/{batch_id}/offers", response_model=BatchOffersPublic)
async def make_offers(
    batch_id: uuid.UUID,
    session: SessionDep,
    principal: CurrentPrincipal,
    day: SchoolDayDep,
    settings: SettingsDep,
) -> BatchOffersPublic:
    """Turn the whole proposal into offers in one step."""
    batch, made, skipped = await service.make_offers(
        session, principal, batch_id, day, utcnow(), timedelta(hours=settings.offer_ttl_hours)
    )
    return BatchOffersPublic(batch_id=batch.id, offer_ids=made, skipped=skipped)
