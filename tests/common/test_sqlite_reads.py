"""SQLite calls on the event loop's thread where they cannot wait, on the connection's thread
where they may wait for the write lock, and a loop that keeps serving while one does."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from common.db import Database


async def _with_thread_function(connection: AsyncConnection) -> None:
    """`thread_id()` in SQL: the thread the statement runs on."""
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    await driver.create_function("thread_id", 0, threading.get_ident)


async def test_reads_and_a_locked_transaction_run_on_the_loop_and_taking_the_lock_does_not(
    tmp_path: Path,
):
    # one connection, so every session below has the function
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'reads.db'}", pool_size=1)
    async with db.engine.begin() as connection:
        await _with_thread_function(connection)
        await connection.execute(text("CREATE TABLE seen (step TEXT, thread INTEGER)"))
    loop_thread = threading.get_ident()
    try:
        async with db.session(read_only=True) as session:
            read_on = (await session.execute(text("SELECT thread_id()"))).scalar_one()
            # a deferred transaction's first write takes the lock: the connection's thread
            await session.execute(text("INSERT INTO seen VALUES ('first', thread_id())"))
            # then it holds the lock, and nothing but COMMIT waits
            await session.execute(text("INSERT INTO seen VALUES ('second', thread_id())"))
        async with db.session() as session:
            # BEGIN IMMEDIATE took the lock on the connection's thread
            await session.execute(text("INSERT INTO seen VALUES ('writer', thread_id())"))
        async with db.session(read_only=True) as session:
            found = (await session.execute(text("SELECT step, thread FROM seen"))).all()
            rows: dict[str, int] = {step: thread for step, thread in found}
    finally:
        await db.engine.dispose()
    assert read_on == loop_thread
    assert rows["first"] != loop_thread
    assert rows["second"] == loop_thread
    assert rows["writer"] == loop_thread


async def test_a_writer_waits_for_the_lock_off_the_loop_and_readers_go_on(tmp_path: Path):
    path = tmp_path / "locked.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    async with db.engine.begin() as connection:
        await connection.execute(text("CREATE TABLE n (v INTEGER)"))
        await connection.execute(text("INSERT INTO n VALUES (1)"))
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO n VALUES (2)")

    async def write() -> None:
        async with db.session() as session:
            await session.execute(text("INSERT INTO n VALUES (4)"))

    try:
        writing = asyncio.create_task(write())
        await asyncio.sleep(0.2)
        assert not writing.done()  # it waits for the other connection's lock ...
        async with asyncio.timeout(5), db.session(read_only=True) as session:
            # ... and meanwhile the loop serves a read, which sees only what is committed
            assert (await session.execute(text("SELECT sum(v) FROM n"))).scalar_one() == 1
        other.execute("COMMIT")
        async with asyncio.timeout(30):
            await writing
        async with db.session(read_only=True) as session:
            assert (await session.execute(text("SELECT sum(v) FROM n"))).scalar_one() == 7
    finally:
        other.close()
        await db.engine.dispose()
