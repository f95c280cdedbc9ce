"""Records every state-changing request after its answer has gone out."""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import insert
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from common.db import Database, table_of, utcnow
from common.observability import request_id_var
from gateway.auth.throttle import source_of
from gateway.models import AuditEntry

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_TABLE = table_of(AuditEntry)


def outcome_of(status: int) -> str:
    if status < 400:
        return "ok"
    if status in (401, 403, 423, 429):
        return "refused"
    return "failed" if status >= 500 else "rejected"


@dataclass(frozen=True, slots=True)
class AuditRow:
    """One row of `audit_entries` as written: a plain record, not an ORM object, since rows
    are only ever added (one per state-changing request)."""

    at: datetime
    actor: str
    role: str
    action: str
    target: str
    status: int
    outcome: str
    request_id: str

    def values(self) -> dict[str, object]:
        """The row's column values, for an insert."""
        return {name: getattr(self, name) for name in _FIELDS}


_FIELDS = tuple(field.name for field in fields(AuditRow))


@dataclass(slots=True)
class _Window:
    first: AuditRow
    opened: float
    count: int = 1


class RefusalAggregator:
    """Refused anonymous requests (failed log-ins, bad tokens, rate-limited sources) summed per
    actor, action and source: the first is written at once, the rest as one row per window, so a
    password-guessing run is a handful of rows rather than one per guess."""

    def __init__(self, window_seconds: float) -> None:
        self.window = window_seconds
        self._open: dict[tuple[str, str, str], _Window] = {}

    def add(self, entry: AuditRow, source: str) -> AuditRow | None:
        """The row to write now (the window's first), or None when it was counted."""
        key = (entry.actor, entry.action, source)
        found = self._open.get(key)
        if found is not None and time.monotonic() - found.opened < self.window:
            found.count += 1
            return None
        self._open[key] = _Window(entry, time.monotonic())
        return entry

    def due(self, *, everything: bool = False) -> list[AuditRow]:
        """Summary rows of the windows that closed (or of every window), taken out."""
        now = time.monotonic()
        rows = []
        for key, window in list(self._open.items()):
            if everything or now - window.opened >= self.window:
                del self._open[key]
                if window.count > 1:
                    rows.append(self._summary(key[2], window))
        return rows

    @staticmethod
    def _summary(source: str, window: _Window) -> AuditRow:
        first = window.first
        since = first.at.strftime("%Y-%m-%dT%H:%M:%SZ")
        return AuditRow(
            at=utcnow(),
            actor=first.actor,
            role=first.role,
            action=f"{first.action} refused {window.count} times from {source} since {since}"[:240],
            target=first.target,
            status=first.status,
            outcome="refused",
            request_id=first.request_id,
        )

    async def flush(self, db: Database, *, everything: bool = False) -> None:
        rows = self.due(everything=everything)
        if rows:
            await _append(db, rows)

    async def run(self, db: Database) -> None:
        while True:
            await asyncio.sleep(min(self.window, 30.0))
            try:
                await self.flush(db)
            except Exception:
                log.exception("could not record the summed refusals")


def audit_entry(
    *, actor: str, role: str, method: str, template: str, target: str, status: int, request_id: str
) -> AuditRow:
    """One audit row, each field cut to its column."""
    return AuditRow(
        at=utcnow(),
        actor=actor[:120],
        role=role,
        action=f"{method} {template}"[:240],
        target=target[:500],
        status=status,
        outcome=outcome_of(status),
        request_id=request_id[:128],
    )


async def write_entry(db: Database, entry: AuditRow) -> None:
    """Append the row, committed when this returns; the answer has gone out, so a lost row is
    logged loudly, never raised."""
    writer = _writers.get(db)
    if writer is None:
        writer = _writers[db] = _GroupWriter(db)
    await writer.write(entry)


async def _append(db: Database, rows: list[AuditRow]) -> None:
    """Insert `rows` with one statement on a session's connection: on PostgreSQL it commits by
    itself (asyncpg runs the rows of one executemany all or none)."""
    async with db.session(one_write=True) as session:
        connection = await session.connection()
        await connection.execute(insert(_TABLE), [row.values() for row in rows])


class _GroupWriter:
    """Rows of requests that end together share one transaction (a group commit): a row waits
    for the transaction in flight, then goes in the next one with every row queued meanwhile.
    A request still returns only once its row is committed."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._queued: list[tuple[AuditRow, asyncio.Future[None]]] = []
        self._writing: asyncio.Task[None] | None = None

    async def write(self, entry: AuditRow) -> None:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._queued.append((entry, done))
        if self._writing is None or self._writing.done():
            self._writing = loop.create_task(self._drain(), name="gateway-audit")
        await asyncio.shield(done)

    async def _drain(self) -> None:
        while self._queued:
            group, self._queued = self._queued, []
            try:
                await _append(self.db, [entry for entry, _ in group])
            except Exception:
                log.exception(
                    "could not record %d audit entries: %s",
                    len(group),
                    "; ".join(f"{entry.action} {entry.target}" for entry, _ in group)[:2000],
                )
            for _, done in group:
                if not done.done():
                    done.set_result(None)


_writers: weakref.WeakKeyDictionary[Database, _GroupWriter] = weakref.WeakKeyDictionary()


class AuditMiddleware:
    """Append one audit row per POST/PUT/PATCH/DELETE under /api, whatever its outcome."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] in SAFE_METHODS
            or not scope["path"].startswith("/api/")
        ):
            await self.app(scope, receive, send)
            return
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            await self._record(scope, status)

    async def _record(self, scope: Scope, status: int) -> None:
        state = scope.get("state", {})
        principal = state.get("principal")
        actor = principal.sub if principal else state.get("audit_actor", "anonymous")
        role = principal.role if principal else "-"
        route = scope.get("route")
        template = state.get("audit_action") or getattr(route, "path", None) or scope["path"]
        entry = audit_entry(
            actor=actor,
            role=role,
            method=scope["method"],
            template=template,
            target=scope["path"],
            status=status,
            request_id=request_id_var.get() or state.get("request_id") or "-",
        )
        db: Database = scope["app"].state.db
        refusals: RefusalAggregator | None = getattr(scope["app"].state, "refusals", None)
        if refusals is not None and principal is None and entry.outcome == "refused":
            client = scope.get("client")
            written = refusals.add(entry, source_of(client[0] if client else None))
            if written is None:
                return
        await write_entry(db, entry)
