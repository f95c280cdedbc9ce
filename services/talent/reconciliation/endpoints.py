"""HTTP: talent's side of every hand-over, for `teacherpool reconcile` and city HR."""

from __future__ import annotations

from fastapi import APIRouter

from common.db import utcnow
from common.deps import CurrentPrincipal, SessionDep
from common.outbox import backlog
from contracts.reconciliation import TalentSide
from services.talent.models import messaging
from services.talent.reconciliation import repository

router = APIRouter(prefix="/v1/internal/reconciliation", tags=["reconciliation"])


@router.get("", response_model=TalentSide)
async def talent_side(session: SessionDep, principal: CurrentPrincipal) -> TalentSide:
    """Postings that asked for posts, applications that reached a hire, the outbox backlog."""
    principal.require_role("city_hr", "auditor")
    return TalentSide(
        as_of=utcnow(),
        outbox=await backlog(session, messaging.outbox),
        postings=await repository.postings(session),
        applications=await repository.hires(session),
    )
