"""Answers of pure list reads kept per caller, served again while the database is unchanged.

District HR reads the same lists all day, and a list read spends nearly all of its time in the
framework, the ORM and validation rather than in the database. A route declared with
`route_class_override=CachedRead` keeps its 200 answers per (path, query, caller) together with
the database's *data version* read before the answer was made; a later request of the same
caller and URL gets the kept bytes while the version is still the same. Every commit to the
database changes the version, whoever makes it (this process, a replica or a migration), so a
kept answer is never older than what the caller could have read: a write the caller saw
answered has committed, and its commit has moved the version on.

The data version:

- SQLite: `PRAGMA data_version` on a connection of its own that never writes, which changes
  whenever any other connection, of this process or another, commits to the file
  (https://www.sqlite.org/pragma.html#pragma_data_version); a few microseconds on the loop.
- PostgreSQL: the current snapshot (`pg_current_snapshot()`): its xmin, xmax and in-progress
  list change whenever any transaction that wrote anything ends, so an unchanged snapshot means
  nothing was committed since (https://www.postgresql.org/docs/current/functions-info.html).
  It is the cluster's, not only this database's: a write elsewhere in the cluster only costs a
  miss. Requests arriving together share one read of it, started after the last of them
  arrived, so it is one round trip per turn of the loop rather than one per request.

Only a read whose answer is a function of the URL, the caller and the rows may be cached: not
one that writes (an access log), depends on the date or the clock, or on anything outside its
database.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy.engine import make_url

from common.db import Database
from common.deps import get_principal
from common.observability import READ_CACHE

#: Kept answers per process; the oldest goes first. A default to be tuned with real use.
MAX_ENTRIES = 2048
#: An answer larger than this is not kept (a large export is read rarely and weighs much).
MAX_BODY_BYTES = 256 * 1024


@dataclass(frozen=True, slots=True)
class Kept:
    version: object
    body: bytes
    media_type: str | None


class DataVersion:
    """Reads the database's data version (see the module's docstring); None when it cannot."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._sqlite: sqlite3.Connection | None = None
        self._next: asyncio.Future[object] | None = None
        self._reading: asyncio.Task[None] | None = None
        url = make_url(db.url)
        self.sqlite_path = (
            url.database if db.is_sqlite and url.database not in (None, "", ":memory:") else None
        )

    async def read(self) -> object:
        """The version as of now: read after this call began, never before."""
        if self.db.is_sqlite:
            return self._sqlite_version()
        if self._next is None:
            self._next = asyncio.get_running_loop().create_future()
            if self._reading is None or self._reading.done():
                self._reading = asyncio.create_task(self._read_for_waiters())
        return await asyncio.shield(self._next)

    async def _read_for_waiters(self) -> None:
        """One snapshot read at a time, each for every caller that arrived before it began."""
        while (waiting := self._next) is not None:
            self._next = None
            try:
                waiting.set_result(await self._postgresql_version())
            except Exception as error:  # each waiter gets the failure as its own
                waiting.set_exception(error)

    async def _postgresql_version(self) -> object:
        async with self.db.engine.connect() as conn:
            raw = await conn.get_raw_connection()
            # The driver's own call: no BEGIN/ROLLBACK around one read of the snapshot.
            return await raw.driver_connection.fetchval(  # type: ignore[union-attr]
                "SELECT pg_current_snapshot()::text"
            )

    def _sqlite_version(self) -> object:
        if self.sqlite_path is None:
            return None
        if self._sqlite is None:
            self._sqlite = sqlite3.connect(
                self.sqlite_path, check_same_thread=False, isolation_level=None
            )
        row = self._sqlite.execute("PRAGMA data_version").fetchone()
        return None if row is None else row[0]

    def close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
            self._sqlite = None


class ReadCache:
    """Kept answers by (path, query, caller), each with the data version it was made at."""

    def __init__(self, db: Database, *, service: str, max_entries: int = MAX_ENTRIES) -> None:
        self.version = DataVersion(db)
        self.max_entries = max_entries
        self._kept: dict[tuple[Any, ...], Kept] = {}
        self.hits = 0
        self.misses = 0
        self._hit = READ_CACHE.labels(service, "hit")
        self._miss = READ_CACHE.labels(service, "miss")

    def get(self, key: tuple[Any, ...], version: object) -> Kept | None:
        kept = self._kept.get(key)
        if kept is None or kept.version != version:
            self.misses += 1
            self._miss.inc()
            return None
        self.hits += 1
        self._hit.inc()
        return kept

    def put(self, key: tuple[Any, ...], kept: Kept) -> None:
        self._kept.pop(key, None)
        while len(self._kept) >= self.max_entries:
            del self._kept[next(iter(self._kept))]
        self._kept[key] = kept

    def close(self) -> None:
        self.version.close()


class CachedRead(APIRoute):
    """A GET route whose 200 answers `ReadCache` keeps (see the module's docstring).

    The caller is verified on every request, hit or miss, before anything is looked up; the
    key holds the whole verified principal, so two callers never share an answer."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def cached(request: Request) -> Response:
            cache: ReadCache | None = getattr(request.app.state, "read_cache", None)
            if cache is None or request.method != "GET":
                return await handle(request)
            principal = await get_principal(request)
            key = (request.scope["path"], request.scope["query_string"], principal)
            version = await cache.version.read()
            if version is not None and (kept := cache.get(key, version)) is not None:
                return Response(kept.body, media_type=kept.media_type)
            response = await handle(request)
            body = getattr(response, "body", None)
            if (
                version is not None
                and response.status_code == 200
                and response.background is None
                and isinstance(body, bytes)
                and len(body) <= MAX_BODY_BYTES
            ):
                cache.put(key, Kept(version, body, response.media_type))
            return response

        return cached


def cached_get(
    router: APIRouter, path: str, **options: Any
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`@router.get(path, **options)` for a pure read whose answers `ReadCache` keeps."""

    def register(endpoint: Callable[..., Any]) -> Callable[..., Any]:
        router.add_api_route(
            path, endpoint, methods=["GET"], route_class_override=CachedRead, **options
        )
        return endpoint

    return register
