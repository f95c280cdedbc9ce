"""SQLite reads on the event loop's thread, writes on the connection's thread, and a read that
never waits for a writer holding the lock."""

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


async def test_a_read_runs_on_the_loop_and_a_write_on_the_connections_thread(tmp_path: Path):
    # one connection, so every session below has the function
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'reads.db'}", pool_size=1)
    async with db.engine.begin() as connection:
        await _with_thread_function(connection)
        await connection.execute(text("CREATE TABLE seen (thread INTEGER)"))
    loop_thread = threading.get_ident()
    try:
        async with db.session(read_only=True) as session:
            read_on = (await session.execute(text("SELECT thread_id()"))).scalar_one()
        async with db.session() as session:
            await session.execute(text("INSERT INTO seen VALUES (thread_id())"))
            # and the rest of the write transaction stays on the connection's thread
            after_write = (await session.execute(text("SELECT thread_id()"))).scalar_one()
        async with db.session(read_only=True) as session:
            written_on = (await session.execute(text("SELECT thread FROM seen"))).scalar_one()
            read_again = (await session.execute(text("SELECT thread_id()"))).scalar_one()
    finally:
        await db.engine.dispose()
    assert read_on == loop_thread
    assert written_on != loop_thread
    assert after_write == written_on
    # a read after a committed write is back on the loop
    assert read_again == loop_thread


async def test_a_read_does_not_wait_for_a_writer_that_holds_the_lock(tmp_path: Path):
    path = tmp_path / "locked.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    async with db.engine.begin() as connection:
        await connection.execute(text("CREATE TABLE n (v INTEGER)"))
        await connection.execute(text("INSERT INTO n VALUES (1)"))
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO n VALUES (2)")
    try:
        async with asyncio.timeout(5), db.session(read_only=True) as session:
            seen = (await session.execute(text("SELECT sum(v) FROM n"))).scalar_one()
        assert seen == 1  # the other writer's row is not committed yet
        writer.execute("COMMIT")
        async with db.session(read_only=True) as session:
            assert (await session.execute(text("SELECT sum(v) FROM n"))).scalar_one() == 3
    finally:
        writer.close()
        await db.engine.dispose()
