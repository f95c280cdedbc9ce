"""HTTP for webhook endpoints, their delivery log and redelivery."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status
from sqlmodel import col

from common.deps import DEFAULT_LIMIT, CurrentPrincipal, Cursor, Limit, SessionDep
from common.pagination import Page, paged
from services.talent.deps import CipherDep, SettingsDep
from services.talent.idempotency import IdempotencyDep, Outcome
from services.talent.models import WebhookDelivery, WebhookEndpoint
from services.talent.webhooks import repository, service
from services.talent.webhooks.schemas import (
    DeliveryPublic,
    DeliveryStatus,
    WebhookCreate,
    WebhookCreated,
    WebhookPublic,
    WebhookUpdate,
)

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])
deliveries_router = APIRouter(prefix="/v1/deliveries", tags=["webhooks"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=WebhookCreated)
async def register_webhook(
    body: WebhookCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
    cipher: CipherDep,
    settings: SettingsDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Register an endpoint; the response carries its signing secret, shown this once."""

    async def register() -> Outcome:
        endpoint, secret = await service.register(
            session, principal, cipher, body, allow_private=settings.private_targets_allowed
        )
        public = WebhookPublic.model_validate(endpoint).model_dump(exclude={"enabled"})
        return Outcome(201, WebhookCreated(**public, secret=secret), endpoint.id)

    return await idempotency.run(session, principal, register)


@router.get("", response_model=Page[WebhookPublic])
async def list_webhooks(
    session: SessionDep,
    principal: CurrentPrincipal,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[WebhookPublic]:
    """Your endpoints (every partner's, for city HR and the auditor)."""
    return await paged(
        session,
        service.endpoints_of(principal),
        order_by=[col(WebhookEndpoint.created_at), col(WebhookEndpoint.id)],
        cursor=cursor,
        limit=limit,
        shape=WebhookPublic.model_validate,
    )


@router.get("/{endpoint_id}", response_model=WebhookPublic)
async def get_webhook(
    endpoint_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> WebhookEndpoint:
    """One of your endpoints; `disabled_reason` says why it stopped."""
    return await service.readable_endpoint(session, principal, endpoint_id)


@router.patch("/{endpoint_id}", response_model=WebhookPublic)
async def update_webhook(
    endpoint_id: uuid.UUID,
    body: WebhookUpdate,
    session: SessionDep,
    principal: CurrentPrincipal,
    settings: SettingsDep,
) -> WebhookEndpoint:
    """Change an endpoint, or enable it again (`enabled: true`)."""
    return await service.update(
        session, principal, endpoint_id, body, allow_private=settings.private_targets_allowed
    )


@router.delete("/{endpoint_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_webhook(
    endpoint_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> Response:
    """Remove an endpoint and its delivery log."""
    await service.remove(session, principal, endpoint_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{endpoint_id}/deliveries", response_model=Page[DeliveryPublic])
async def list_deliveries(
    endpoint_id: uuid.UUID,
    session: SessionDep,
    principal: CurrentPrincipal,
    status: DeliveryStatus | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[DeliveryPublic]:
    """The delivery log of one of your endpoints, oldest first."""
    endpoint = await service.readable_endpoint(session, principal, endpoint_id)
    stmt = repository.deliveries_of(endpoint.id)
    if status:
        stmt = stmt.where(col(WebhookDelivery.status) == status)
    return await paged(
        session,
        stmt,
        order_by=[col(WebhookDelivery.created_at), col(WebhookDelivery.id)],
        cursor=cursor,
        limit=limit,
        shape=DeliveryPublic.model_validate,
    )


@deliveries_router.post("/{delivery_id}/redeliver", response_model=DeliveryPublic)
async def redeliver(
    delivery_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> WebhookDelivery:
    """Send a delivery again now, with a fresh retry schedule."""
    return await service.redeliver(session, principal, delivery_id)
