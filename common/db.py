"""Async database access: engines for SQLite and PostgreSQL, unit-of-work sessions, retries."""

from __future__ import annotations

import asyncio
import logging
import random
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

import aiosqlite
from sqlalchemy import DateTime, FromClause, Select, Table, bindparam, event, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.pool import NullPool
from sqlalchemy.sql.compiler import Compiled
from sqlalchemy.sql.expression import Executable
from sqlalchemy.types import TypeDecorator
from sqlalchemy.util import greenlet_spawn

from common import modeldefaults
from common.pool import FairPool

log = logging.getLogger(__name__)
modeldefaults.install()

T = TypeVar("T")

#: Serialization failures and deadlocks: the transaction may simply be run again.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})
SQLITE_BUSY_TIMEOUT_MS = 30_000
#: Set while this context holds a SQLite database's writer turn (see Database.session).
_writing: ContextVar[frozenset[int]] = ContextVar("sqlite_writing", default=frozenset())


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    @property
    def python_type(self) -> type[datetime]:
        return datetime

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; store UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _configure_sqlite(engine: AsyncEngine) -> None:
    """WAL, foreign keys, a busy timeout, and BEGIN IMMEDIATE for writers.

    SQLite upgrades a read lock to a write lock lazily, so two writers that both read first
    deadlock and one fails at once with "database is locked"; taking the write lock at BEGIN
    makes them queue behind the busy timeout instead.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get("read_only"):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


class LoopSideConnection(aiosqlite.Connection):
    """aiosqlite, with the calls that cannot wait run on the event loop's own thread.

    aiosqlite sends every call of a connection (open a cursor, execute, fetch, close, commit)
    to the connection's thread and wakes the event loop with the answer: a read of twenty rows
    takes a dozen such hand-overs, and a write transaction forty, each costing more than the
    call itself. Only two kinds of call may wait, for SQLite's lock or for the disk: taking
    the write lock (BEGIN IMMEDIATE, or the first write of a deferred transaction) and
    COMMIT (which may checkpoint the WAL); those, and anything not known to be safe (a PRAGMA,
    executemany, closing the connection), still go to the connection's thread. The rest runs
    here at once: in WAL mode a read never waits for a writer, and once a transaction holds
    the write lock nothing but its COMMIT waits. A long write transaction lets the loop run
    other tasks every YIELD_EVERY calls. One call at a time: SQLAlchemy awaits each before
    the next, so the two threads never use the connection at once (hence
    check_same_thread=False).
    """

    #: Whether the open transaction holds SQLite's write lock.
    _holds_lock = False
    _calls = 0

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        call = _call_kind(fn, args)
        if call == "end":
            if self._holds_lock and getattr(fn, "__name__", "") == "commit":
                self._holds_lock = False
                return await super()._execute(fn, *args, **kwargs)
            self._holds_lock = False
            return fn(*args, **kwargs)
        if call == "free" or (self._holds_lock and call == "write"):
            self._calls += 1
            if self._holds_lock and self._calls % YIELD_EVERY == 0:
                await asyncio.sleep(0)
            return fn(*args, **kwargs)
        result = await super()._execute(fn, *args, **kwargs)
        if call in ("lock", "write") and self._conn.in_transaction:
            self._holds_lock = True
        return result


#: Calls a transaction that holds the write lock makes between two turns of the event loop.
YIELD_EVERY = 50
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
_FREE_STATEMENTS = ("SELECT", "SAVEPOINT", "RELEASE", "ROLLBACK TO")


def _call_kind(fn: Callable[..., Any], args: tuple[Any, ...]) -> str:
    """What a call of a connection may wait for: "free" never waits; "lock" takes the write
    lock; "write" takes it unless the transaction holds it; "end" is COMMIT or ROLLBACK;
    "other" is anything else, which the connection's thread runs."""
    name, owner = getattr(fn, "__name__", ""), getattr(fn, "__self__", None)
    if name == "execute" and args and isinstance(args[0], str):
        head = args[0].lstrip()[:16].upper()
        if head.startswith(("BEGIN IMMEDIATE", "BEGIN EXCL")):
            return "lock"
        if head.startswith(_FREE_STATEMENTS) or head.startswith("BEGIN"):
            return "free"
        return "write" if head.startswith(_WRITES) else "other"
    if isinstance(owner, sqlite3.Cursor) and name in ("fetchone", "fetchmany", "fetchall", "close"):
        return "free"
    if isinstance(owner, sqlite3.Connection):
        if name == "cursor":
            return "free"
        if name in ("commit", "rollback"):
            return "end"
    return "other"


def _loop_side_connector(url: str) -> Callable[[], Awaitable[aiosqlite.Connection]]:
    database = make_url(url).database or ":memory:"

    async def connect() -> aiosqlite.Connection:
        connection = LoopSideConnection(
            partial(sqlite3.connect, database, check_same_thread=False), 64
        )
        connection._thread.daemon = True
        return await connection

    return connect


#: A pooled PostgreSQL connection idle longer than this is checked before it is lent out (a
#: default to be tuned: below the shortest idle timeout of anything between us and the server).
PING_AFTER_IDLE_SECONDS = 5.0


def _ping_when_idle(engine: AsyncEngine, idle_seconds: float) -> None:
    """Check a connection that sat in the pool for `idle_seconds` before lending it out.

    SQLAlchemy's `pool_pre_ping` checks every checkout, and on asyncpg a check is three round
    trips (BEGIN, an empty query, ROLLBACK): more than a short transaction's own. A connection
    handed back moments ago was working then; one that sat idle may have been cut by a server
    restart or a proxy, and is checked. A check that fails raises DisconnectionError, on which
    the pool drops the connection and lends a new one; a connection that breaks under load
    fails its statement, and the pool then drops every connection made before it.
    """

    @event.listens_for(engine.sync_engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")  # None: a connection made just now
        if idle_since is None or time.monotonic() - idle_since < idle_seconds:
            return
        try:
            dbapi_connection.ping()
        except Exception as error:
            raise DisconnectionError(
                f"a pooled connection idle since it was checked in is gone: {error}"
            ) from error


def make_engine(
    url: str,
    *,
    pool_size: int = 10,
    pooled: bool = True,
    ping_after_idle: float = PING_AFTER_IDLE_SECONDS,
) -> AsyncEngine:
    """An async engine for `url`, configured for this project's transaction discipline."""
    # No overflow: a connection once opened is kept. Overflow connections are closed whenever
    # the pool holds `pool_size` idle ones, which under load happened every 30-40 requests,
    # each time a new PostgreSQL backend to start and a connection to set up again.
    options: dict[str, Any] = (
        {"poolclass": FairPool, "pool_size": pool_size, "max_overflow": 0}
        if pooled
        else {"poolclass": NullPool}
    )
    if is_sqlite(url):
        engine = create_async_engine(url, async_creator=_loop_side_connector(url), **options)
        _configure_sqlite(engine)
        return engine
    engine = create_async_engine(url, **options)
    _ping_when_idle(engine, ping_after_idle)
    return engine


def insert_for(dialect: str) -> Callable[..., Any]:
    """The dialect's `insert`, with `ON CONFLICT` clauses (PostgreSQL and SQLite spell them
    alike)."""
    return pg_insert if dialect == "postgresql" else sqlite_insert


def table_of(model: type[Any]) -> Table:
    """The table of a table model, for statements that skip the ORM's unit of work."""
    table = getattr(model, "__table__", None)
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not a table model")
    return table


def column_values(row: Any, *, of: type[Any] | None = None) -> dict[str, Any]:
    """A table model instance's value for each column of its table, as an insert takes them;
    `of` names the table model when `row` is a plain model with its columns."""
    return {column.key: getattr(row, column.key) for column in table_of(of or type(row)).columns}


def values_from(
    source: FromClause | None, table: Table, prefix: str, names: Sequence[str], **given: Any
) -> Select[Any]:
    """One row of values for `table`'s columns `names` per row of `source` (or just one), for an
    `INSERT ... SELECT`: those in `given` as they are, the rest bound as `<prefix>_<column>` with
    the column's type, so one statement writing several tables keeps their parameters apart."""
    values = [
        given[name] if name in given else bindparam(f"{prefix}_{name}", type_=table.c[name].type)
        for name in names
    ]
    return select(*values) if source is None else select(*values).select_from(source)


def prefixed(prefix: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """`values` as the parameters `values_from` binds: each name as `<prefix>_<name>`."""
    return {f"{prefix}_{name}": value for name, value in values.items()}


_BY_PRIMARY_KEY: dict[type[Any], Select[Any]] = {}


async def get_by_id(session: AsyncSession, model: type[T], ident: Any) -> T | None:
    """The row of `model` whose (one-column) primary key is `ident`, or None.

    Like `Session.get`, but with a statement built once: `Session.get` builds its select and
    the select's cache key anew at each call, which costs more than the query. Unlike it, this
    always asks the database (and flushes first), even when the session holds the row."""
    stmt = _BY_PRIMARY_KEY.get(model)
    if stmt is None:
        (key,) = table_of(model).primary_key.columns
        stmt = _BY_PRIMARY_KEY[model] = select(model).where(key == bindparam("ident"))
    result = await session.execute(stmt, {"ident": ident})
    found: T | None = result.scalar_one_or_none()
    return found


def after_commit(session: AsyncSession, callback: Callable[[], None]) -> None:
    """Run `callback` once the session's transaction has committed (never on a rollback)."""
    event.listen(session.sync_session, "after_commit", lambda _s: callback(), once=True)


class Database:
    """One service's database: the engine and the sessions that commit at the boundary."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self.engine = make_engine(url, pool_size=pool_size)
        self.is_sqlite = is_sqlite(url)
        self._writer = async_sessionmaker(self.engine, expire_on_commit=False)
        self._reader = async_sessionmaker(
            self.engine.execution_options(read_only=True), expire_on_commit=False
        )
        # PostgreSQL commits each statement of these sessions on its own (see `session`).
        self._one_write = (
            None
            if self.is_sqlite
            else async_sessionmaker(
                self.engine.execution_options(isolation_level="AUTOCOMMIT"),
                expire_on_commit=False,
                sync_session_class=OneWriteSession,
            )
        )
        self._after_commit: list[Callable[[list[Any] | None], None]] = []
        self._writer_turn = asyncio.Lock()
        self._prepared: dict[int, _Prepared] = {}

    def on_commit(self, callback: Callable[[list[Any] | None], None]) -> None:
        """Call `callback` after every commit of a session that wrote outbox rows, with the rows
        it wrote (as `Outbox.add` noted them), or None when they are not known for sure."""
        self._after_commit.append(callback)

    @asynccontextmanager
    async def session(
        self, *, read_only: bool = False, one_write: bool = False
    ) -> AsyncIterator[AsyncSession]:
        """A unit of work: commits when the block ends normally, rolls back on any error.

        `one_write`: the block writes with one statement at most. On PostgreSQL each of its
        statements then commits on its own, which spares the BEGIN and COMMIT round trips; that
        one statement is still all or nothing, and a second write through the session (or a
        flush of the ORM's pending changes) is refused with OneWriteOnly before it reaches the
        database. What the one write wrote stays even if the block fails after it.

        On SQLite, writers of this process take turns here first: SQLite lets one writer in at a
        time, and one that finds the file locked sleeps in its busy handler (up to 100 ms a
        try), so under load the turn passed by that handler is mostly spent asleep. Waiting on
        an asyncio lock hands the turn on the moment the last writer ends. A writer nested in
        one that holds the turn does not wait for it (it meets SQLite's lock, as before), and
        other processes still queue on SQLite's busy timeout.
        """
        if self.is_sqlite and not read_only and id(self) not in _writing.get():
            async with self._writer_turn:
                holding = _writing.get()
                _writing.set(holding | {id(self)})
                try:
                    async with self._unit_of_work(read_only=False) as session:
                        yield session
                finally:
                    # Not reset(): a dependency may end in another context than it began.
                    _writing.set(holding)
            return
        async with self._unit_of_work(read_only=read_only, one_write=one_write) as session:
            yield session

    @asynccontextmanager
    async def _unit_of_work(
        self, *, read_only: bool, one_write: bool = False
    ) -> AsyncIterator[AsyncSession]:
        if one_write and self._one_write is not None:
            maker = self._one_write
        else:
            maker = self._reader if read_only else self._writer
        async with maker() as session:
            try:
                yield session
                # A "read-only" session that did write (an access log on a read) keeps it.
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
        if session.info.pop("outbox_written", False):
            rows = session.info.pop(OUTBOX_ROWS, None)
            for callback in self._after_commit:
                callback(rows)

    async def execute_once(self, statement: Executable, params: Mapping[str, Any]) -> Any:
        """PostgreSQL: `statement`, a Core statement that writes once at most, run by itself on
        a pooled connection's driver and committed on its own; the first column of its first
        row, or None when it returns no row.

        It is what a session of one write does with one statement, less SQLAlchemy's session
        and execution around the driver, which cost about ten times what asyncpg spends on a
        write of thirty parameters. The statement is compiled once, when first run (so build it
        once), and bound with its types' processors as SQLAlchemy binds it; defaults that
        SQLAlchemy would make in Python for columns left out are not made, so the statement
        names every value it writes. An error comes as SQLAlchemy's: IntegrityError for a
        broken constraint, DBAPIError otherwise, with the driver's error, and its SQLSTATE, as
        `orig`."""
        if self.is_sqlite:
            raise RuntimeError("execute_once runs on PostgreSQL")
        prepared = self._prepared.get(id(statement))
        if prepared is None or prepared.statement is not statement:
            prepared = self._prepared[id(statement)] = _Prepared.of(statement, self.engine)
        arguments = prepared.arguments(params)
        connection = await self.engine.raw_connection()
        driver: Any = connection.driver_connection
        try:
            return await driver.fetchval(prepared.sql, *arguments)
        except Exception as error:
            if driver.is_closed():
                await greenlet_spawn(connection.invalidate, error)
            code = str(getattr(error, "sqlstate", "") or "")
            failed = IntegrityError if code.startswith("23") else DBAPIError
            raise failed(prepared.sql, arguments, error) from error
        except BaseException:
            # Cancelled with the statement in flight: the connection's state is not known.
            await greenlet_spawn(connection.invalidate)
            raise
        finally:
            await greenlet_spawn(connection.close)

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A statement compiled for the driver (`Database.execute_once`): its SQL, and for each of
    its positional parameters the name it binds and the type's processor, if any."""

    statement: Executable
    compiled: Compiled
    sql: str
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]

    @classmethod
    def of(cls, statement: Executable, engine: AsyncEngine) -> _Prepared:
        dialect = engine.dialect
        compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
        names = tuple(compiled.positiontup or ())
        if getattr(compiled, "post_compile_params", None):
            raise TypeError("execute_once takes no expanding parameters (IN lists)")
        processors = tuple(
            compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            for name in names
        )
        return cls(statement, compiled, compiled.string, names, processors)

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        bound = self.compiled.construct_params(params) or {}
        values = [bound[name] for name in self.names]
        return [
            value if process is None else process(value)
            for value, process in zip(values, self.processors, strict=True)
        ]


class OneWriteOnly(RuntimeError):
    """A session whose statements commit one by one was asked to write a second time."""


class OneWriteSession(Session):
    """A session on a connection that commits each statement by itself (PostgreSQL's
    autocommit): it makes one write at most, so that what it writes is all or nothing."""


@event.listens_for(OneWriteSession, "do_orm_execute")
def _one_write(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    if state.session.info.get("written"):
        raise OneWriteOnly("a session of one write was asked for a second")
    state.session.info["written"] = True


@event.listens_for(OneWriteSession, "before_flush")
def _no_flush(session: Session, _context: Any, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        raise OneWriteOnly("a session of one write cannot flush the ORM's pending changes")


def sqlstate(error: BaseException) -> str | None:
    orig = getattr(error, "orig", None)
    for candidate in (orig, getattr(orig, "__cause__", None)):
        code = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if code:
            return str(code)
    return None


def is_retryable(error: BaseException) -> bool:
    if isinstance(error, DBAPIError) and sqlstate(error) in RETRYABLE_SQLSTATES:
        return True
    return isinstance(error, OperationalError) and "database is locked" in str(error)


async def run_in_transaction(
    db: Database,
    work: Callable[[AsyncSession], Awaitable[T]],
    *,
    attempts: int = 8,
) -> T:
    """Run `work` in its own transaction, again from the start on a serialization failure."""
    for attempt in range(1, attempts + 1):
        try:
            async with db.session() as session:
                return await work(session)
        except DBAPIError as error:
            if attempt == attempts or not is_retryable(error):
                raise
            delay = min(0.5, 0.005 * 2**attempt) * (0.5 + random.random())  # noqa: S311 jitter
            log.info(
                "retrying transaction after %s",
                sqlstate(error) or "lock",
                extra={"attempt": attempt},
            )
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")


#: Session info: the outbox rows the session wrote, in order, for publishing after commit;
#: None once a savepoint rolled back (a row noted may then be gone).
OUTBOX_ROWS = "outbox_rows"


def mark_outbox_written(session: Session | AsyncSession, row: Any) -> None:
    """Note that the session wrote an outbox row, and which."""
    session.info["outbox_written"] = True
    rows = session.info.setdefault(OUTBOX_ROWS, [])
    if rows is not None:
        rows.append(row)


@event.listens_for(Session, "after_rollback")
def _outbox_rows_unsure(session: Session) -> None:
    """A rollback (of a savepoint too) may have taken noted outbox rows with it."""
    if OUTBOX_ROWS in session.info:
        session.info[OUTBOX_ROWS] = None
