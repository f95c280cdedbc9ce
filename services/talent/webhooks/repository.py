"""Every query on webhook endpoints and deliveries."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.talent.models import CandidateLink, WebhookDelivery, WebhookEndpoint


async def endpoint(session: AsyncSession, endpoint_id: uuid.UUID) -> WebhookEndpoint | None:
    return await session.get(WebhookEndpoint, endpoint_id)


async def delivery(session: AsyncSession, delivery_id: uuid.UUID) -> WebhookDelivery | None:
    return await session.get(WebhookDelivery, delivery_id)


def all_endpoints() -> Select[Any]:
    return select(WebhookEndpoint)


def endpoints_of(partner_id: str) -> Select[Any]:
    return select(WebhookEndpoint).where(col(WebhookEndpoint.partner_id) == partner_id)


def deliveries_of(endpoint_id: uuid.UUID) -> Select[Any]:
    return select(WebhookDelivery).where(col(WebhookDelivery.endpoint_id) == endpoint_id)


async def subscribed(
    session: AsyncSession, webhook_type: str, partner_ids: Sequence[str] | None
) -> list[WebhookEndpoint]:
    """Enabled endpoints that chose `webhook_type`, of the given partners (None: of all)."""
    stmt = select(WebhookEndpoint).where(col(WebhookEndpoint.disabled_at).is_(None))
    if partner_ids is not None:
        if not partner_ids:
            return []
        stmt = stmt.where(col(WebhookEndpoint.partner_id).in_(partner_ids))
    # JSON containment differs between SQLite and PostgreSQL; the lists hold four items at most.
    return [e for e in (await session.execute(stmt)).scalars() if webhook_type in e.event_types]


async def partners_of_candidate(session: AsyncSession, candidate_id: uuid.UUID) -> list[str]:
    stmt = select(col(CandidateLink.partner_id)).where(
        col(CandidateLink.candidate_id) == candidate_id
    )
    return list((await session.execute(stmt)).scalars())


async def external_id(
    session: AsyncSession, partner_id: str, candidate_id: uuid.UUID
) -> str | None:
    found = await session.get(CandidateLink, (partner_id, candidate_id))
    return found.external_id if found else None


def due(now: datetime, limit: int) -> Select[WebhookDelivery, WebhookEndpoint]:
    """Pending deliveries whose time has come, to enabled endpoints."""
    return (
        select(WebhookDelivery, WebhookEndpoint)
        .join(WebhookEndpoint, col(WebhookEndpoint.id) == col(WebhookDelivery.endpoint_id))
        .where(
            col(WebhookDelivery.status) == "pending",
            col(WebhookDelivery.next_attempt_at) <= now,
            col(WebhookEndpoint.disabled_at).is_(None),
        )
        .order_by(col(WebhookDelivery.next_attempt_at), col(WebhookDelivery.id))
        .limit(limit)
    )


async def lock_deliveries(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> Sequence[WebhookDelivery]:
    stmt = (
        select(WebhookDelivery)
        .where(col(WebhookDelivery.id).in_(ids))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalars().all()


async def lock_endpoints(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, WebhookEndpoint]:
    """Lock endpoints in id order, so that replicas recording failures never deadlock."""
    if not ids:
        return {}
    stmt = (
        select(WebhookEndpoint)
        .where(col(WebhookEndpoint.id).in_(ids))
        .order_by(col(WebhookEndpoint.id))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {e.id: e for e in (await session.execute(stmt)).scalars()}
