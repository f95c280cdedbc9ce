"""Background jobs of the sharing service."""

from __future__ import annotations

import asyncio
import logging

from fastapi import FastAPI

from common.db import Database, run_in_transaction, utcnow
from services.sharing.offers.service import expire_due

log = logging.getLogger(__name__)


async def expire_offers(app: FastAPI) -> None:
    """Expire unanswered offers now and then (`sharing.offer.expired`)."""
    db: Database = app.state.db
    interval = app.state.settings.offer_expiry_check_seconds
    while True:
        try:
            expired = await run_in_transaction(db, lambda session: expire_due(session, utcnow()))
            if expired:
                log.info("expired %d offers", expired)
        except Exception as error:
            log.warning("offer expiry failed, will retry: %r", error)
        await asyncio.sleep(interval)


async def warm_index(app: FastAPI) -> None:
    """Load the matching index once at start, so the first ranking is not the slow one."""
    db: Database = app.state.db
    try:
        async with db.session(read_only=True) as session:
            await app.state.index.refresh(session)
    except Exception as error:
        log.warning("matching index not loaded at start, will load on first use: %r", error)
