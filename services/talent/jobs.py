"""Background jobs of the talent service: webhook delivery and erasure at retention's end."""

from __future__ import annotations

import asyncio
import logging

import httpx
from fastapi import FastAPI

from common.clock import local_today
from common.db import Database, run_in_transaction
from services.talent.candidates.service import erase_expired
from services.talent.settings import TalentSettings
from services.talent.webhooks.delivery import Deliverer

log = logging.getLogger(__name__)


async def deliver_webhooks(app: FastAPI) -> None:
    """Send due webhook deliveries; sleep only when there was nothing to send."""
    settings: TalentSettings = app.state.settings
    timeout = httpx.Timeout(settings.webhook_timeout_seconds, connect=5.0)
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
        deliverer = Deliverer(app.state.db, app.state.pii, settings, client)
        while True:
            try:
                sent = await deliverer.run_once()
            except Exception as error:
                log.warning("webhook delivery round failed, will retry: %r", error)
                sent = 0
            if not sent:
                await asyncio.sleep(settings.webhook_poll_seconds)


async def erase_at_retention_end(app: FastAPI) -> None:
    """Anonymise candidates whose retention date passed (PIPL), a batch at a time."""
    db: Database = app.state.db
    settings: TalentSettings = app.state.settings
    while True:
        try:
            erased = await run_in_transaction(
                db, lambda session: erase_expired(session, local_today())
            )
            if erased:
                log.info("erased %d candidates at the end of retention", erased)
                continue
        except Exception as error:
            log.warning("retention erasure failed, will retry: %r", error)
        await asyncio.sleep(settings.retention_check_seconds)
