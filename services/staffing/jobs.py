"""Background jobs of the staffing service."""

from __future__ import annotations

import asyncio
import logging

from fastapi import FastAPI

from common.db import Database, run_in_transaction
from services.staffing.calendar import local_today
from services.staffing.pool.service import announce_overdue

log = logging.getLogger(__name__)


async def overdue_loans(app: FastAPI) -> None:
    """Flag and announce overdue loans now and then (`staffing.loan.overdue`)."""
    db: Database = app.state.db
    interval = app.state.settings.overdue_check_seconds
    while True:
        try:
            flagged = await run_in_transaction(
                db, lambda session: announce_overdue(session, local_today())
            )
            if flagged:
                log.info("announced %d overdue loans", flagged)
        except Exception as error:
            log.warning("overdue check failed, will retry: %r", error)
        await asyncio.sleep(interval)
