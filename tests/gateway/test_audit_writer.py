"""The audit trail's group commit: rows of requests that end together go in one statement, each
row once, and a group is written whole or not at all (logged when not)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from common.db import Database
from gateway.audit.recorder import AuditRow, audit_entry, write_entry
from gateway.models import AuditEntry


def _entry(n: int, **changes: Any) -> AuditRow:
    entry = audit_entry(
        actor=f"user:{n}",
        role="district_hr",
        method="POST",
        template="/api/staffing/v1/staff",
        target="/api/staffing/v1/staff",
        status=201,
        request_id=f"req-{n}",
    )
    for name, value in changes.items():
        object.__setattr__(entry, name, value)
    return entry


async def _request_ids(db: Database) -> list[str]:
    async with db.session(read_only=True) as session:
        rows = await session.execute(select(col(AuditEntry.request_id)))
        return sorted(rows.scalars())


async def test_rows_written_together_are_each_recorded_once(
    make_database: Callable[[str], Awaitable[str]],
):
    db = Database(await make_database("gateway"))
    try:
        await asyncio.gather(*(write_entry(db, _entry(n)) for n in range(60)))
        await asyncio.gather(*(write_entry(db, _entry(n)) for n in range(60, 65)))
        assert await _request_ids(db) == sorted(f"req-{n}" for n in range(65))
    finally:
        await db.dispose()


async def test_a_group_with_a_row_the_database_refuses_is_logged_and_not_half_written(
    make_database: Callable[[str], Awaitable[str]], caplog: pytest.LogCaptureFixture
):
    db = Database(await make_database("gateway"))
    try:
        refused = _entry(1, request_id=None)  # the column is NOT NULL
        with caplog.at_level(logging.ERROR, logger="gateway.audit.recorder"):
            await asyncio.gather(
                write_entry(db, _entry(0)), write_entry(db, refused), write_entry(db, _entry(2))
            )
        assert "could not record 3 audit entries" in caplog.text
        async with db.session(read_only=True) as session:
            count = (await session.execute(select(func.count()).select_from(AuditEntry))).scalar()
        assert count == 0
        await write_entry(db, _entry(3))  # the writer goes on with the next group
        assert await _request_ids(db) == ["req-3"]
    finally:
        await db.dispose()
