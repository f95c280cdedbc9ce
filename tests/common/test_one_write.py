"""Sessions of one write (`Database.session(one_write=True)`): on PostgreSQL each statement
commits by itself, so such a session refuses a second write and a flush of the ORM's pending
changes before either reaches the database; elsewhere it is the usual unit of work."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import Database, OneWriteOnly, table_of
from services.staffing.models import Unit
from tests.support import PG_ENV, PG_MISSING, Databases

UNITS = table_of(Unit)


async def _database(databases: Databases, backend: str) -> AsyncIterator[Database]:
    database = Database(await databases.create("staffing", backend))
    yield database
    await database.dispose()
    await databases.drop_created()


@pytest.fixture
async def postgres_db(databases: Databases) -> AsyncIterator[Database]:
    if not os.environ.get(PG_ENV):
        pytest.skip(PG_MISSING)
    async for database in _database(databases, "postgresql"):
        yield database


@pytest.fixture
async def sqlite_db(databases: Databases) -> AsyncIterator[Database]:
    async for database in _database(databases, "sqlite"):
        yield database


def _two_districts(session: AsyncSession) -> None:
    session.add(Unit(kind="district", code="D1", name="一区"))
    session.add(Unit(kind="district", code="D2", name="二区"))


async def _units(db: Database) -> dict[str, str]:
    async with db.session(read_only=True) as session:
        rows = await session.execute(select(UNITS.c.code, UNITS.c.name))
        return {code: name for code, name in rows}


async def test_a_second_write_is_refused_and_the_first_stands_alone(postgres_db: Database):
    db = postgres_db
    async with db.session() as session:
        _two_districts(session)
    rename = update(UNITS).where(UNITS.c.code == "D1").values(name="改名")
    with pytest.raises(OneWriteOnly):
        async with db.session(one_write=True) as session:
            await session.execute(rename)
            await session.execute(update(UNITS).values(name="全改"))
    # The first write committed by itself; the second never reached the database.
    assert await _units(db) == {"D1": "改名", "D2": "二区"}


async def test_pending_orm_changes_are_refused_before_they_are_written(postgres_db: Database):
    db = postgres_db
    with pytest.raises(OneWriteOnly):
        async with db.session(one_write=True) as session:
            _two_districts(session)
            await session.flush()
    assert await _units(db) == {}


async def test_on_sqlite_it_is_the_usual_unit_of_work(sqlite_db: Database):
    db = sqlite_db
    with pytest.raises(RuntimeError, match="after both"):
        async with db.session(one_write=True) as session:
            _two_districts(session)
            await session.flush()
            raise RuntimeError("after both")
    assert await _units(db) == {}
