"""HTTP for the audit trail (`/api/audit/v1`), for city HR and auditors."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import select
from sqlmodel import col

from common.deps import DEFAULT_LIMIT, Cursor, Limit, SessionDep
from common.pagination import paginate
from gateway.deps import AuditReader
from gateway.models import AuditEntry, EventRecord

router = APIRouter(prefix="/api/audit/v1", tags=["audit"])


class AuditEntryPublic(BaseModel):
    id: int
    at: datetime
    actor: str
    role: str
    action: str
    target: str
    status: int
    outcome: str
    request_id: str


class AuditEntriesPublic(BaseModel):
    data: list[AuditEntryPublic]
    next_cursor: str | None = None


class HistoryItem(BaseModel):
    event_id: str
    type: str
    source: str
    time: datetime
    data: dict[str, Any]


class EntityHistory(BaseModel):
    entity_type: str
    entity_id: str
    data: list[HistoryItem]
    next_cursor: str | None = None


@router.get("/entries", response_model=AuditEntriesPublic)
async def list_entries(
    _: AuditReader,
    session: SessionDep,
    actor: str | None = Query(default=None, max_length=120),
    outcome: str | None = Query(default=None, max_length=20),
    since: datetime | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> AuditEntriesPublic:
    """State-changing requests in the order they happened, optionally by actor, outcome, time."""
    stmt = select(AuditEntry)
    if actor:
        stmt = stmt.where(col(AuditEntry.actor) == actor)
    if outcome:
        stmt = stmt.where(col(AuditEntry.outcome) == outcome)
    if since:
        stmt = stmt.where(col(AuditEntry.at) >= since)
    rows, next_cursor = await paginate(
        session,
        stmt,
        order_by=[col(AuditEntry.id)],
        cursor=cursor,
        limit=limit,
    )
    return AuditEntriesPublic(
        data=[AuditEntryPublic.model_validate(r, from_attributes=True) for r in rows],
        next_cursor=next_cursor,
    )


@router.get("/entities/{entity_type}/{entity_id}/history", response_model=EntityHistory)
async def entity_history(
    entity_type: str,
    entity_id: str,
    _: AuditReader,
    session: SessionDep,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> EntityHistory:
    """Everything that happened to one entity, from the domain events, oldest first."""
    stmt = select(EventRecord).where(
        col(EventRecord.entity_type) == entity_type, col(EventRecord.entity_id) == entity_id
    )
    rows, next_cursor = await paginate(
        session,
        stmt,
        order_by=[col(EventRecord.seq)],
        cursor=cursor,
        limit=limit,
    )
    return EntityHistory(
        entity_type=entity_type,
        entity_id=entity_id,
        data=[HistoryItem.model_validate(r, from_attributes=True) for r in rows],
        next_cursor=next_cursor,
    )
