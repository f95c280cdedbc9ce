"""HTTP for a unit's quotas and their adjustments (核增/核减)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status
from sqlmodel import col

from common.deps import DEFAULT_LIMIT, CurrentPrincipal, Cursor, Limit, SessionDep
from common.pagination import Page, paged
from services.staffing.ledger import repository as ledger
from services.staffing.models import LedgerEntry
from services.staffing.quotas import repository, service
from services.staffing.quotas.schemas import (
    AdjustmentCreate,
    LedgerEntryPublic,
    QuotaPublic,
)
from services.staffing.units import repository as units
from services.staffing.units.service import ensure_visible

router = APIRouter(prefix="/v1/units", tags=["quotas"])


@router.get("/{unit_id}/quotas", response_model=list[QuotaPublic])
async def list_quotas(
    unit_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> list[QuotaPublic]:
    """The unit's posts per quota type."""
    unit = ensure_visible(principal, await units.get(session, unit_id))
    return [QuotaPublic.model_validate(q) for q in await repository.of_unit(session, unit.id)]


@router.post(
    "/{unit_id}/adjustments", status_code=status.HTTP_201_CREATED, response_model=QuotaPublic
)
async def adjust(
    unit_id: uuid.UUID, body: AdjustmentCreate, session: SessionDep, principal: CurrentPrincipal
) -> QuotaPublic:
    """Raise or cut the unit's approved posts under a document number."""
    return QuotaPublic.model_validate(await service.adjust(session, principal, unit_id, body))


@router.get("/{unit_id}/adjustments", response_model=Page[LedgerEntryPublic])
async def list_adjustments(
    unit_id: uuid.UUID,
    session: SessionDep,
    principal: CurrentPrincipal,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[LedgerEntryPublic]:
    """The unit's adjustments, oldest first."""
    unit = ensure_visible(principal, await units.get(session, unit_id))
    stmt = ledger.visible(principal, unit_id=unit.id, kind="adjustment")
    return await paged(
        session,
        stmt,
        order_by=[col(LedgerEntry.id)],
        cursor=cursor,
        limit=limit,
        shape=LedgerEntryPublic.model_validate,
    )
