"""Pooled PostgreSQL connections: one that sat idle is checked before it is lent out, one handed
back moments ago is not (a check is three round trips on asyncpg); a pool under load opens its
connections once and keeps them, and lends them in the order they were asked for."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection
from sqlalchemy.util.concurrency import greenlet_spawn
from sqlalchemy.util.queue import Empty

from common.db import make_engine
from common.pool import FairPool, FairQueue
from tests.support import PG_ENV, PG_MISSING


@pytest.fixture
def postgres_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(PG_MISSING)
    return url


async def test_a_connection_cut_while_idle_is_replaced_before_a_request_meets_it(
    postgres_url: str,
):
    engine = make_engine(postgres_url, pool_size=1, ping_after_idle=0.2)
    killer = make_engine(postgres_url, pooled=False)
    try:
        async with engine.connect() as connection:
            first = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        async with killer.connect() as connection:
            await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        await asyncio.sleep(0.3)
        async with engine.connect() as connection:
            second = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        assert second != first
    finally:
        await engine.dispose()
        await killer.dispose()


async def test_a_connection_handed_back_moments_ago_is_lent_without_a_check(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
):
    pings = 0
    ping = AsyncAdapt_asyncpg_connection.ping

    def counted(self: AsyncAdapt_asyncpg_connection) -> None:
        nonlocal pings
        pings += 1
        ping(self)

    monkeypatch.setattr(AsyncAdapt_asyncpg_connection, "ping", counted)
    engine = make_engine(postgres_url, pool_size=1, ping_after_idle=0.2)
    try:
        for _ in range(5):
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        assert pings == 0
        await asyncio.sleep(0.3)
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        assert pings == 1
    finally:
        await engine.dispose()


async def test_a_pool_under_load_opens_each_connection_once(postgres_url: str):
    """Forty sessions at a time, in waves, through a pool of four: four connections are opened,
    none closed. (An overflow beyond the pool was closed whenever four sat idle, so under load
    connections were opened and closed again all the time, each a new PostgreSQL backend.)"""
    engine = make_engine(postgres_url, pool_size=4)
    opened = closed = 0

    def on_connect(*_: object) -> None:
        nonlocal opened
        opened += 1

    def on_close(*_: object) -> None:
        nonlocal closed
        closed += 1

    event.listen(engine.sync_engine, "connect", on_connect)
    event.listen(engine.sync_engine.pool, "close", on_close)

    async def query(n: int) -> None:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT pg_sleep(:s)"), {"s": 0.001 * (n % 5)})

    try:
        for _ in range(5):
            await asyncio.gather(*(query(n) for n in range(40)))
        assert (opened, closed) == (4, 0)
    finally:
        await engine.dispose()


class TestFairLending:
    """The pool's queue of idle connections (`common.pool.FairQueue`), driven as the pool drives
    it: from SQLAlchemy's greenlets."""

    async def test_a_connection_handed_back_goes_to_the_longest_waiter(self):
        queue: FairQueue = FairQueue(maxsize=1)
        lent: list[str] = []

        async def use(name: str) -> None:
            connection = await greenlet_spawn(queue.get, True, 5)
            lent.append(name)
            queue.put_nowait(connection)

        queue.put_nowait("the connection")
        held = await greenlet_spawn(queue.get, True, 5)
        waiting = [asyncio.create_task(use(name)) for name in ("first", "second", "third")]
        await asyncio.sleep(0.01)
        queue.put_nowait(held)
        # Asks in the same step, before the first waiter has run: it waits its turn.
        await use("late")
        await asyncio.gather(*waiting)
        assert lent == ["first", "second", "third", "late"]

    async def test_a_waiter_that_timed_out_or_was_cancelled_is_passed_over(self):
        queue: FairQueue = FairQueue(maxsize=1)
        with pytest.raises(Empty):
            await greenlet_spawn(queue.get, True, 0.02)
        gone = asyncio.create_task(greenlet_spawn(queue.get, True, 5))
        await asyncio.sleep(0.01)
        gone.cancel()
        with pytest.raises(asyncio.CancelledError):
            await gone
        queue.put_nowait("the connection")
        assert queue.qsize() == 1
        assert await greenlet_spawn(queue.get, False) == "the connection"

    async def test_engines_use_it(self, tmp_path: Path) -> None:
        engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'pool.db'}", pool_size=2)
        try:
            assert isinstance(engine.sync_engine.pool, FairPool)
        finally:
            await engine.dispose()
