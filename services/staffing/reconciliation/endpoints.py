"""HTTP: staffing's side of every hand-over, for `teacherpool reconcile` and city HR."""

from __future__ import annotations

from fastapi import APIRouter

from common.db import utcnow
from common.deps import CurrentPrincipal, SessionDep
from common.outbox import backlog
from contracts.reconciliation import StaffingSide
from services.staffing.models import messaging
from services.staffing.reconciliation import repository

router = APIRouter(prefix="/v1/internal/reconciliation", tags=["reconciliation"])


@router.get("", response_model=StaffingSide)
async def staffing_side(session: SessionDep, principal: CurrentPrincipal) -> StaffingSide:
    """The roster, the reservations and the outbox backlog (city HR and the auditor)."""
    principal.require_role("city_hr", "auditor")
    return StaffingSide(
        as_of=utcnow(),
        outbox=await backlog(session, messaging.outbox),
        staff=await repository.staff(session),
        reservations=await repository.reservations(session),
    )
