"""Background jobs of the staffing service."""

from __future__ import annotations

import asyncio
import logging
from datetime import date

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from common.clock import local_today
from common.db import Database, run_in_transaction
from services.staffing.pool.service import announce_falling_due, announce_overdue
from services.staffing.reports.service import snapshot

log = logging.getLogger(__name__)


async def check_loans(db: Database, today: date, falling_due_days: int) -> tuple[int, int]:
    """Announce overdue loans and loans falling due within the window, once each."""

    async def announce(session: AsyncSession) -> tuple[int, int]:
        overdue = await announce_overdue(session, today)
        return overdue, await announce_falling_due(session, today, falling_due_days)

    return await run_in_transaction(db, announce)


async def loan_deadlines(app: FastAPI) -> None:
    """Check loans now and then (`staffing.loan.overdue`, `staffing.loan.due_approached`)."""
    db: Database = app.state.db
    settings = app.state.settings
    while True:
        try:
            overdue, falling_due = await check_loans(db, local_today(), settings.falling_due_days)
            if overdue or falling_due:
                log.info("announced %d overdue loans, %d falling due", overdue, falling_due)
        except Exception as error:
            log.warning("loan check failed, will retry: %r", error)
        await asyncio.sleep(settings.overdue_check_seconds)


async def monthly_snapshots(app: FastAPI) -> None:
    """Keep this month's report snapshot current; the last take of a month stays as its record."""
    db: Database = app.state.db
    settings = app.state.settings
    while True:
        try:
            await run_in_transaction(db, lambda session: snapshot(session, local_today()))
        except Exception as error:
            log.warning("monthly snapshot failed, will retry: %r", error)
        await asyncio.sleep(settings.report_snapshot_seconds)
