"""HTTP for the ledger."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter
from sqlmodel import col

from common.deps import DEFAULT_LIMIT, CurrentPrincipal, Cursor, Limit, SessionDep
from common.pagination import Page, paged
from services.staffing.ledger import repository
from services.staffing.models import LedgerEntry
from services.staffing.quotas.schemas import LedgerEntryPublic

router = APIRouter(prefix="/v1/ledger", tags=["ledger"])


@router.get("", response_model=Page[LedgerEntryPublic])
async def list_entries(
    session: SessionDep,
    principal: CurrentPrincipal,
    unit_id: uuid.UUID | None = None,
    kind: str | None = None,
    quota_type: str | None = None,
    correlation_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[LedgerEntryPublic]:
    """Movements in your scope, oldest first, by unit, kind, quota type, saga and time."""
    stmt = repository.visible(
        principal,
        unit_id=unit_id,
        kind=kind,
        quota_type=quota_type,
        correlation_id=correlation_id,
        since=since,
        until=until,
    )
    return await paged(
        session,
        stmt,
        order_by=[col(LedgerEntry.id)],
        cursor=cursor,
        limit=limit,
        shape=LedgerEntryPublic.model_validate,
    )
