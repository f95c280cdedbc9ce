"""The transactional outbox: events saved with the change, published by a relay after commit."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from common.bus import Bus
from common.db import Database, mark_outbox_written, utcnow
from common.observability import EVENTS_PUBLISHED, OUTBOX_PENDING_ERRORS, current_traceparent
from contracts.base import Envelope, Event
from contracts.reconciliation import OutboxBacklog

log = logging.getLogger(__name__)


#: Rows held for publishing straight after their commit, in batches, before a sweep is cheaper.
FRESH_BATCHES = 10

MAX_ERROR = 1000
"""Characters of a failed publish's error kept on the row."""


class OutboxRow(NamedTuple):
    """What the relay publishes of a row: its id (the `Nats-Msg-Id`), subject and envelope."""

    id: str
    type: str
    envelope: str


class Outbox:
    """Writes a service's events into its outbox table, inside the caller's transaction."""

    def __init__(self, table: Table, *, service: str) -> None:
        self.table = table
        self.service = service
        self.source = f"teacherpool/{service}"
        self._insert = insert(table)

    async def add(self, session: AsyncSession, event: Event, *, subject: str) -> Envelope:
        """Record `event` about `subject` (the entity id); it is published only if we commit."""
        envelope, values = self.row(event, subject=subject)
        await session.execute(self._insert, values)
        self.written(session, values)
        return envelope

    def row(self, event: Event, *, subject: str) -> tuple[Envelope, dict[str, Any]]:
        """`event` about `subject` in its envelope, and the outbox row's values, for a caller
        that writes the row within a statement of its own (then tells `written`)."""
        envelope = Envelope.wrap(
            event, source=self.source, subject=subject, traceparent=current_traceparent()
        )
        return envelope, {
            "id": str(envelope.id),
            "type": envelope.type,
            "subject": envelope.subject,
            "envelope": envelope.model_dump_json(),
            "created_at": envelope.time,
            "attempts": 0,
        }

    def written(self, session: AsyncSession, values: dict[str, Any]) -> None:
        """The row of `values` is in this transaction: the relay publishes it after the commit."""
        mark_outbox_written(session, OutboxRow(values["id"], values["type"], values["envelope"]))


class OutboxRelay:
    """Publishes outbox rows to JetStream with `Nats-Msg-Id` = event id, then marks them.

    Woken right after each commit that wrote events, with the rows it wrote: when nothing
    older waits, those are published at once, without reading them back, and marked after.
    Otherwise, and on a timer, it sweeps the table in order, which picks up rows left behind
    by a crash, by NATS being down or by another process. A row published twice (a crash
    between publish and mark, a sweep meeting a row published moments before, or two
    replicas) is dropped by the stream's duplicate window, and by the consumers' inboxes.
    """

    def __init__(
        self,
        db: Database,
        outbox: Outbox,
        bus: Bus,
        *,
        batch: int = 200,
        sweep_seconds: float = 2.0,
        publish_timeout: float = 3.0,
    ) -> None:
        self.db = db
        self.outbox = outbox
        self.bus = bus
        self.batch = batch
        self.sweep_seconds = sweep_seconds
        self.publish_timeout = publish_timeout
        table = outbox.table
        #: Marks the rows `ids` published at `now`; built once, bound at each pass.
        self._published = (
            update(table)
            .where(table.c.id.in_(bindparam("ids", expanding=True)))
            .values(
                published_at=bindparam("now", type_=table.c.published_at.type),
                attempts=table.c.attempts + 1,
                last_error=None,
            )
        )
        self._wake = asyncio.Event()
        self._stopping = False
        #: Rows committed since the last pass, in commit order, known from their sessions.
        self._fresh: list[OutboxRow] = []
        #: Whether the last sweep left nothing behind: only then may fresh rows go first.
        self._caught_up = False
        db.on_commit(self.wake)

    def wake(self, rows: Sequence[OutboxRow] | None = None) -> None:
        """Rows were committed: these, or (None) some not known here, which need a sweep."""
        if rows is None or len(self._fresh) + len(rows) > self.batch * FRESH_BATCHES:
            self._caught_up = False
            self._fresh.clear()
        else:
            self._fresh.extend(rows)
        self._wake.set()

    async def run(self) -> None:
        await self.bus.ready.wait()
        backoff = 0.1
        while not self._stopping:
            self._wake.clear()
            try:
                if self._fresh and self._caught_up:
                    published = await self.publish_fresh()
                else:
                    published = await self.publish_pending()
                backoff = 0.1
            except Exception as error:
                self._caught_up = False
                OUTBOX_PENDING_ERRORS.labels(self.outbox.service).inc()
                log.warning("outbox publish failed, will retry: %s", error)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if published >= self.batch or (self._fresh and self._caught_up):
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.sweep_seconds)

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def publish_fresh(self) -> int:
        """Publish rows just committed, as their sessions noted them, then mark them."""
        rows, self._fresh = self._fresh[: self.batch], self._fresh[self.batch :]
        published, failed = await self._publish(rows)
        if failed is not None:
            # What is left goes out with the next sweep, in order behind the failed row.
            self._caught_up = False
            self._fresh.clear()
        # Marking the published alone is one statement: on PostgreSQL committed by itself.
        async with self.db.session(one_write=failed is None) as session:
            await self._mark(session, published, failed)
        return len(published)

    async def publish_pending(self) -> int:
        """Publish one batch of unpublished rows; returns how many were published."""
        # Rows noted before now have committed: this sweep reads them from the table.
        self._fresh.clear()
        table = self.outbox.table
        pending = (
            select(table.c.id, table.c.type, table.c.envelope)
            .where(table.c.published_at.is_(None))
            .order_by(table.c.created_at, table.c.id)
            .limit(self.batch)
        )
        if self.db.is_sqlite:
            async with self.db.session(read_only=True) as session:
                rows = (await session.execute(pending)).all()
            published, failed = await self._publish(rows) if rows else ([], None)
            if published or failed:
                async with self.db.session() as session:
                    await self._mark(session, published, failed)
        else:
            # Replicas on PostgreSQL each claim different rows and hold them while publishing.
            async with self.db.session() as session:
                rows = (await session.execute(pending.with_for_update(skip_locked=True))).all()
                published, failed = await self._publish(rows) if rows else ([], None)
                await self._mark(session, published, failed)
        self._caught_up = failed is None and len(rows) < self.batch
        return len(published)

    async def _publish(
        self, rows: Sequence[Any]
    ) -> tuple[list[str], tuple[str, BaseException] | None]:
        """Publish rows in order; stop at the first failure so order is kept for the retry.

        Returns the ids published and the first row that failed, with its error."""
        js = self.bus.js
        tasks = [
            asyncio.ensure_future(
                js.publish(
                    row.type,
                    row.envelope.encode(),
                    timeout=self.publish_timeout,
                    headers={"Nats-Msg-Id": row.id},
                )
            )
            for row in rows
        ]
        results = await asyncio.gather(*tasks, return_exceptions=True)
        published: list[str] = []
        for row, result in zip(rows, results, strict=True):
            if isinstance(result, BaseException):
                log.warning("publish of %s %s failed: %r", row.type, row.id, result)
                return published, (row.id, result)
            published.append(row.id)
            EVENTS_PUBLISHED.labels(self.outbox.service, row.type).inc()
        return published, None

    async def _mark(
        self,
        session: AsyncSession,
        ids: list[str],
        failed: tuple[str, BaseException] | None = None,
    ) -> None:
        """Mark rows published; count a failed attempt on the row that failed, with its error,
        so a stuck row shows how often and why (it stays unpublished for the next pass)."""
        table = self.outbox.table
        if ids:
            await session.execute(self._published, {"ids": ids, "now": utcnow()})
        if failed is not None:
            row_id, error = failed
            await session.execute(
                update(table)
                .where(table.c.id == row_id)
                .values(
                    attempts=table.c.attempts + 1,
                    last_error=f"{type(error).__name__}: {error}"[:MAX_ERROR],
                )
            )


async def backlog(session: AsyncSession, table: Table) -> OutboxBacklog:
    """How many events wait for the relay, and since when (for `teacherpool reconcile`)."""
    row = (
        await session.execute(
            select(func.count(), func.min(table.c.created_at)).where(table.c.published_at.is_(None))
        )
    ).one()
    return OutboxBacklog(unpublished=int(row[0] or 0), oldest=row[1])
