"""Sending webhooks: claim due deliveries, sign them (Standard Webhooks), send, record."""

from __future__ import annotations

import asyncio
import logging
import ssl
import uuid
from dataclasses import dataclass
from datetime import timedelta

import httpx
from standardwebhooks.webhooks import Webhook

from common.db import Database, run_in_transaction, utcnow
from services.talent.models import WebhookDelivery
from services.talent.pii import PiiCipher
from services.talent.settings import TalentSettings
from services.talent.webhooks import repository, service
from services.talent.webhooks.targets import (
    Resolver,
    TargetRefused,
    check_target,
    system_resolver,
)

log = logging.getLogger(__name__)

USER_AGENT = "teacherpool-webhooks/1"


@dataclass(frozen=True, slots=True)
class Claimed:
    delivery_id: uuid.UUID
    url: str
    secret: str
    payload: str


@dataclass(frozen=True, slots=True)
class Result:
    delivery_id: uuid.UUID
    status_code: int | None
    error: str | None


class Deliverer:
    """Sends due deliveries. Claiming pushes a delivery's next try past the send timeout, so
    replicas never send one delivery at once and a crash mid-send only delays a retry."""

    def __init__(
        self,
        db: Database,
        cipher: PiiCipher,
        settings: TalentSettings,
        client: httpx.AsyncClient,
        resolver: Resolver = system_resolver,
    ) -> None:
        self.db = db
        self.cipher = cipher
        self.settings = settings
        self.client = client
        self.resolver = resolver

    async def run_once(self) -> int:
        """Send one batch; how many deliveries were attempted."""
        claimed = await run_in_transaction(self.db, self._claim)
        if not claimed:
            return 0
        results = await asyncio.gather(*(self._send(c) for c in claimed))
        await run_in_transaction(self.db, lambda session: self._record(session, results))
        return len(claimed)

    async def _claim(self, session) -> list[Claimed]:
        now = utcnow()
        stmt = repository.due(now, self.settings.webhook_batch)
        if not self.db.is_sqlite:
            stmt = stmt.with_for_update(of=WebhookDelivery, skip_locked=True)
        rows = (await session.execute(stmt)).all()
        lease = now + timedelta(seconds=self.settings.webhook_timeout_seconds * 2 + 30)
        claimed = []
        for delivery, endpoint in rows:
            delivery.next_attempt_at = lease
            claimed.append(
                Claimed(
                    delivery.id,
                    endpoint.url,
                    service.secret_of(self.cipher, endpoint),
                    delivery.payload,
                )
            )
        return claimed

    async def _send(self, claimed: Claimed) -> Result:
        """Send to the address vetted just now; the partner is told only an error category,
        the detail goes to our log."""
        try:
            target = await check_target(
                claimed.url,
                allow_private=self.settings.private_targets_allowed,
                resolver=self.resolver,
            )
        except TargetRefused as error:
            log.info("webhook %s not sent: %s", claimed.delivery_id, error)
            return Result(claimed.delivery_id, None, "target_not_allowed")
        now = utcnow()
        headers = {
            "host": target.host_header,
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": str(claimed.delivery_id),
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(claimed.secret).sign(
                str(claimed.delivery_id), now, claimed.payload
            ),
        }
        try:
            response = await self.client.post(
                target.pinned_url,
                content=claimed.payload.encode(),
                headers=headers,
                # TLS names and checks the certificate of the host, not of the address.
                extensions={"sni_hostname": target.host},
            )
        except httpx.HTTPError as error:
            log.info("webhook %s to %s failed: %r", claimed.delivery_id, target.address, error)
            return Result(claimed.delivery_id, None, error_category(error))
        if 200 <= response.status_code < 300:
            return Result(claimed.delivery_id, response.status_code, None)
        return Result(claimed.delivery_id, response.status_code, f"http_{response.status_code}")

    async def _record(self, session, results: list[Result]) -> None:
        now = utcnow()
        by_id = {r.delivery_id: r for r in results}
        deliveries = await repository.lock_deliveries(session, list(by_id))
        # Locked, so that of two replicas failing one endpoint's last retries only one disables
        # it and announces that.
        endpoints = await repository.lock_endpoints(
            session, sorted({d.endpoint_id for d in deliveries if by_id[d.id].error is not None})
        )
        for delivery in deliveries:
            result = by_id[delivery.id]
            if result.error is None:
                service.record_success(delivery, result.status_code or 200, now)
                continue
            endpoint = endpoints.get(delivery.endpoint_id)
            if endpoint is None:
                continue
            disabled = service.record_failure(
                delivery,
                endpoint,
                result.status_code,
                result.error,
                now,
                self.settings.webhook_retry_seconds,
            )
            if disabled:
                log.warning(
                    "webhook endpoint %s disabled: %s", endpoint.id, endpoint.disabled_reason
                )
                await service.announce_disabled(session, endpoint)


def error_category(error: httpx.HTTPError) -> str:
    """What a partner may know of a failed delivery: timeout, refused, tls or network."""
    if isinstance(error, httpx.TimeoutException):
        return "timeout"
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, ssl.SSLError | ssl.CertificateError):
            return "tls"
        if isinstance(cause, ConnectionRefusedError):
            return "refused"
        cause = cause.__cause__ or cause.__context__
    if isinstance(error, httpx.ConnectError):
        return "refused" if "refused" in str(error).lower() else "network"
    return "network"
