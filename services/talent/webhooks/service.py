"""Rules of webhooks: a partner's own endpoints, one delivery per event and endpoint, retries
with backoff, and an endpoint disabled (with the reason) when a delivery keeps failing."""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import AUDIT_ROLES, Principal
from common.db import utcnow
from common.errors import Forbidden, InvalidInput, NotFound
from contracts.base import Envelope
from contracts.talent import WebhookDisabled
from services.talent.errors import EndpointDisabled
from services.talent.models import WebhookDelivery, WebhookEndpoint, outbox
from services.talent.pii import PiiCipher
from services.talent.webhooks import repository
from services.talent.webhooks.schemas import WebhookCreate, WebhookUpdate
from services.talent.webhooks.targets import TargetRefused, check_target

SECRET_PREFIX = "whsec_"  # noqa: S105 the Standard Webhooks prefix, not a secret


def _owner(principal: Principal) -> str:
    if principal.kind != "partner":
        raise Forbidden("webhooks belong to partner clients")
    principal.require_scope("webhooks:manage")
    return principal.sub


async def _checked_url(url: str, allow_private: bool) -> str:
    try:
        await check_target(url, allow_private=allow_private)
    except TargetRefused as error:
        raise InvalidInput.field("body.url", str(error)) from error
    return url


async def register(
    session: AsyncSession,
    principal: Principal,
    cipher: PiiCipher,
    data: WebhookCreate,
    *,
    allow_private: bool,
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret (`whsec_…`, kept encrypted, shown once)."""
    partner_id = _owner(principal)
    url = await _checked_url(data.url, allow_private)
    secret = SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()
    endpoint_id = uuid.uuid4()
    sealed = cipher.encrypt(secret, row=endpoint_id, field="webhook.secret")
    assert sealed is not None
    endpoint = WebhookEndpoint(
        id=endpoint_id,
        partner_id=partner_id,
        url=url,
        event_types=sorted(set(data.event_types)),
        description=data.description,
        secret_enc=sealed,
    )
    session.add(endpoint)
    await session.flush()
    return endpoint, secret


def secret_of(cipher: PiiCipher, endpoint: WebhookEndpoint) -> str:
    secret = cipher.decrypt(endpoint.secret_enc, row=endpoint.id, field="webhook.secret")
    assert secret is not None
    return secret


async def own_endpoint(
    session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID
) -> WebhookEndpoint:
    partner_id = _owner(principal)
    endpoint = await repository.endpoint(session, endpoint_id)
    if endpoint is None or endpoint.partner_id != partner_id:
        raise NotFound("no such webhook endpoint of yours")
    return endpoint


async def readable_endpoint(
    session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID
) -> WebhookEndpoint:
    """An endpoint the caller may read: its own as a partner, any as city HR or auditor."""
    if principal.kind == "partner":
        return await own_endpoint(session, principal, endpoint_id)
    if principal.role not in AUDIT_ROLES:
        raise Forbidden("webhooks belong to partner clients")
    endpoint = await repository.endpoint(session, endpoint_id)
    if endpoint is None:
        raise NotFound("no such webhook endpoint")
    return endpoint


def endpoints_of(principal: Principal) -> Any:
    if principal.kind != "partner" and principal.role in AUDIT_ROLES:
        return repository.all_endpoints()
    return repository.endpoints_of(_owner(principal))


async def update(
    session: AsyncSession,
    principal: Principal,
    endpoint_id: uuid.UUID,
    data: WebhookUpdate,
    *,
    allow_private: bool,
) -> WebhookEndpoint:
    endpoint = await own_endpoint(session, principal, endpoint_id)
    if data.url is not None:
        endpoint.url = await _checked_url(data.url, allow_private)
    if data.event_types is not None:
        endpoint.event_types = sorted(set(data.event_types))
    if "description" in data.model_fields_set:
        endpoint.description = data.description
    if data.enabled is True:
        endpoint.disabled_at = endpoint.disabled_reason = None
    elif data.enabled is False and endpoint.disabled_at is None:
        endpoint.disabled_at, endpoint.disabled_reason = utcnow(), "disabled by the partner"
    await session.flush()
    return endpoint


async def remove(session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID) -> None:
    endpoint = await own_endpoint(session, principal, endpoint_id)
    await session.delete(endpoint)
    await session.flush()


async def redeliver(
    session: AsyncSession, principal: Principal, delivery_id: uuid.UUID
) -> WebhookDelivery:
    """Send a delivery again, with a fresh retry schedule (same `webhook-id`)."""
    delivery = await repository.delivery(session, delivery_id)
    if delivery is None:
        raise NotFound("no such delivery of yours")
    if principal.kind != "partner" and principal.role == "auditor":
        raise Forbidden("the auditor reads and never changes")
    endpoint = await readable_endpoint(session, principal, delivery.endpoint_id)
    if endpoint.disabled_at is not None:
        raise EndpointDisabled("the endpoint is disabled; enable it first (PATCH enabled=true)")
    delivery.status, delivery.attempts = "pending", 0
    delivery.next_attempt_at = utcnow()
    await session.flush()
    return delivery


async def fan_out(
    session: AsyncSession,
    envelope: Envelope,
    webhook_type: str,
    data: dict[str, Any],
    *,
    partner_ids: Sequence[str] | None,
    per_partner: dict[str, dict[str, Any]] | None = None,
) -> int:
    """Queue one delivery per subscribed endpoint, in the transaction that consumed the event."""
    endpoints = await repository.subscribed(session, webhook_type, partner_ids)
    now = utcnow()
    for endpoint in endpoints:
        payload = {
            "type": webhook_type,
            "timestamp": envelope.time.isoformat(),
            "data": {**data, **(per_partner or {}).get(endpoint.partner_id, {})},
        }
        session.add(
            WebhookDelivery(
                endpoint_id=endpoint.id,
                event_id=envelope.id,
                event_type=webhook_type,
                payload=json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
                status="pending",
                next_attempt_at=now,
            )
        )
    await session.flush()
    return len(endpoints)


def record_success(delivery: WebhookDelivery, status_code: int, at: datetime) -> None:
    delivery.status = "delivered"
    delivery.attempts += 1
    delivery.last_attempt_at = delivery.delivered_at = at
    delivery.last_status_code, delivery.last_error = status_code, None
    delivery.next_attempt_at = None


def record_failure(
    delivery: WebhookDelivery,
    endpoint: WebhookEndpoint,
    status_code: int | None,
    error: str,
    at: datetime,
    schedule: Sequence[float],
) -> bool:
    """Schedule the next try by `schedule`; after the last, fail and disable the endpoint (True)."""
    delivery.attempts += 1
    delivery.last_attempt_at = at
    delivery.last_status_code, delivery.last_error = status_code, error[:1000]
    if delivery.attempts <= len(schedule):
        delivery.next_attempt_at = at + timedelta(seconds=schedule[delivery.attempts - 1])
        return False
    delivery.status, delivery.next_attempt_at = "failed", None
    if endpoint.disabled_at is not None:
        return False
    endpoint.disabled_at = at
    endpoint.disabled_reason = (
        f"delivery {delivery.id} failed {delivery.attempts} times over "
        f"{_span(schedule)}; last error: {error[:300]}"
    )
    return True


async def announce_disabled(session: AsyncSession, endpoint: WebhookEndpoint) -> None:
    """Tell city HR, through the outbox, that an endpoint was disabled and why."""
    host = urlsplit(endpoint.url).hostname or "?"
    # The path and query may carry a partner's token: the event names the host alone.
    reason = (endpoint.disabled_reason or "").replace(endpoint.url, host)
    await outbox.add(
        session,
        WebhookDisabled(
            endpoint_id=endpoint.id,
            partner_id=endpoint.partner_id,
            host=host,
            reason=reason[:2000],
        ),
        subject=str(endpoint.id),
    )


def _span(schedule: Sequence[float]) -> str:
    hours = sum(schedule) / 3600
    return f"{hours:.1f} hours" if hours >= 1 else f"{sum(schedule):.0f} seconds"
