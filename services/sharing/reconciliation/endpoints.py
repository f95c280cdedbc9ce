"""HTTP: sharing's side of every hand-over, for `teacherpool reconcile` and city HR."""

from __future__ import annotations

from fastapi import APIRouter

from common.db import utcnow
from common.deps import CurrentPrincipal, SessionDep
from common.outbox import backlog
from contracts.reconciliation import SharingSide
from services.sharing.models import messaging
from services.sharing.reconciliation import repository

router = APIRouter(prefix="/v1/internal/reconciliation", tags=["reconciliation"])


@router.get("", response_model=SharingSide)
async def sharing_side(session: SessionDep, principal: CurrentPrincipal) -> SharingSide:
    """The teacher profiles, the running assignments and the outbox backlog."""
    principal.require_role("city_hr", "auditor")
    return SharingSide(
        as_of=utcnow(),
        outbox=await backlog(session, messaging.outbox),
        teachers=await repository.teachers(session),
        assignments=await repository.running_assignments(session),
    )
