"""Sessions of one write (`Database.session(one_write=True)`): on PostgreSQL each statement
commits by itself, so such a session refuses a second write and a flush of the ORM's pending
changes before either reaches the database; elsewhere it is the usual unit of work. On
PostgreSQL `Database.execute_once` runs one such statement on the driver itself."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import Database, OneWriteOnly, sqlstate, table_of
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


_ADDING = (
    insert(UNITS)
    .values(
        id=bindparam("id"),
        kind="district",
        code=bindparam("code"),
        name=bindparam("name"),
        stages=bindparam("stages", type_=UNITS.c.stages.type),
        created_at=bindparam("at", type_=UNITS.c.created_at.type),
        updated_at=bindparam("at", type_=UNITS.c.updated_at.type),
    )
    .returning(UNITS.c.code)
)


def _district(code: str, at: datetime | None = None) -> dict[str, object]:
    when = at or datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    return {"id": uuid.uuid4(), "code": code, "name": f"区{code}", "stages": [], "at": when}


class TestExecuteOnce:
    """`Database.execute_once`: one statement on a pooled connection's driver, committed by
    itself, bound as SQLAlchemy binds it, its errors SQLAlchemy's."""

    async def test_it_commits_by_itself_and_answers_the_first_column(self, postgres_db: Database):
        db = postgres_db
        beijing = timezone(timedelta(hours=8))
        added = await db.execute_once(
            _ADDING, _district("D1", datetime(2026, 12, 1, 17, 30, tzinfo=beijing))
        )
        assert added == "D1"
        nothing = select(UNITS.c.code).where(UNITS.c.code == bindparam("code"))
        assert await db.execute_once(nothing, {"code": "D9"}) is None
        async with db.session(read_only=True) as session:
            row = (await session.execute(select(UNITS).where(UNITS.c.code == "D1"))).one()
        # The types' processors ran: the list as JSON, the time in UTC.
        assert (row.stages, row.created_at) == ([], datetime(2026, 12, 1, 9, 30, tzinfo=UTC))
        with pytest.raises(ValueError, match="naive"):
            await db.execute_once(_ADDING, _district("D2", datetime(2026, 12, 1, 9, 30)))
        assert db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]

    async def test_a_broken_constraint_is_an_integrity_error_and_the_connection_goes_on(
        self, postgres_db: Database
    ):
        db = postgres_db
        await db.execute_once(_ADDING, _district("D1"))
        with pytest.raises(IntegrityError) as raised:
            await db.execute_once(_ADDING, _district("D1"))
        assert sqlstate(raised.value) == "23505"
        assert await db.execute_once(_ADDING, _district("D2")) == "D2"
        assert db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
        assert await _units(db) == {"D1": "区D1", "D2": "区D2"}

    async def test_a_statement_cancelled_in_flight_leaves_the_pool_sound(
        self, postgres_db: Database
    ):
        db = postgres_db
        sleeping = asyncio.create_task(db.execute_once(select(func.pg_sleep(5)), {}))
        await asyncio.sleep(0.3)
        sleeping.cancel()
        with pytest.raises(asyncio.CancelledError):
            await sleeping
        assert db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
        assert await db.execute_once(_ADDING, _district("D1")) == "D1"

    async def test_sqlite_has_no_such_path(self, sqlite_db: Database):
        with pytest.raises(RuntimeError):
            await sqlite_db.execute_once(_ADDING, _district("D1"))
