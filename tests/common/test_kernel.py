"""Migrations match the models; AsyncAPI matches the contracts; settings guard production."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from pydantic import ValidationError

from common.app import stop_tasks
from common.db import Database
from common.settings import CommonSettings
from contracts import REGISTRY, Envelope
from contracts.asyncapi import build
from gateway.models import GatewayBase
from services.sharing.models import SharingBase
from services.staffing.models import StaffingBase
from services.staffing.settings import StaffingSettings
from services.talent.models import TalentBase

# Past participles that do not end in -ed, and "overdue", a state a loan has come to.
IRREGULAR_PAST = {
    "sent",
    "left",
    "held",
    "repaid",
    "paid",
    "withdrawn",
    "given",
    "taken",
    "overdue",
}
METADATA = {
    "staffing": StaffingBase.metadata,
    "sharing": SharingBase.metadata,
    "talent": TalentBase.metadata,
    "gateway": GatewayBase.metadata,
}


@pytest.mark.parametrize("service", sorted(METADATA))
async def test_migrations_and_models_agree(make_database, service):
    db = Database(await make_database(service))
    try:
        async with db.engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), METADATA[service])
            )
    finally:
        await db.dispose()
    assert diff == [], f"models and migrations of {service} differ: {diff}"


def test_asyncapi_lists_every_event_with_its_schema():
    document = build()
    assert document["asyncapi"].startswith("3.")
    assert set(document["channels"]) == set(REGISTRY)
    for event_type, cls in REGISTRY.items():
        channel = document["channels"][event_type]
        assert channel["address"] == event_type
        (name,) = channel["messages"]
        schema = document["components"]["schemas"][name]
        assert set(schema["properties"]) == set(cls.model_fields)
        payload = document["components"]["messages"][name]["payload"]["allOf"]
        assert payload[1]["properties"]["type"]["const"] == event_type
    envelope = document["components"]["schemas"]["Envelope"]
    assert set(envelope["properties"]) == set(Envelope.model_fields)


def test_event_subjects_are_service_entity_verb_past():
    for event_type in REGISTRY:
        service, _entity, verb = event_type.split(".")
        assert service in {"staffing", "sharing", "talent", "gateway"}
        assert verb.endswith("ed") or verb in IRREGULAR_PAST, event_type


def test_production_refuses_sqlite_and_missing_keys(tmp_path):
    with pytest.raises(ValidationError, match="TP_AUTH_PUBLIC_KEY_FILE"):
        CommonSettings(env="production")
    common = CommonSettings(env="production", auth_public_key_file=tmp_path / "k.pub")
    with pytest.raises(ValueError, match="TP_NATS_URL must carry"):
        common.nats_url_for("staffing")
    with pytest.raises(ValidationError, match="PostgreSQL"):
        StaffingSettings(common=common)
    ok = StaffingSettings(common=common, database_url="postgresql+asyncpg://u@db/staffing")
    assert ok.port == 8001


def test_settings_come_from_prefixed_environment(monkeypatch):
    monkeypatch.setenv("TP_STAFFING_PORT", "9101")
    monkeypatch.setenv("TP_NATS_URL", "nats://10.0.0.9:4222")
    settings = StaffingSettings()
    assert settings.port == 9101
    assert settings.common.nats_url == "nats://10.0.0.9:4222"


def test_the_users_teacherpool_up_generated_are_used_for_its_own_server_only(tmp_path):
    from common.natsauth import write_users

    common = CommonSettings(var_dir=tmp_path, nats_url="nats://127.0.0.1:4223")
    assert common.nats_url_for("sharing") == "nats://127.0.0.1:4223"
    write_users(common.nats_users_dir, "nats://127.0.0.1:4223", {"sharing": "p/w"})
    assert common.nats_url_for("sharing") == "nats://sharing:p%2Fw@127.0.0.1:4223"
    elsewhere = CommonSettings(var_dir=tmp_path, nats_url="nats://127.0.0.1:5999")
    assert elsewhere.nats_url_for("sharing") == "nats://127.0.0.1:5999"
    given = CommonSettings(var_dir=tmp_path, nats_url="nats://talent:x@127.0.0.1:4223")
    assert given.nats_url_for("sharing") == "nats://talent:x@127.0.0.1:4223"


async def test_concurrent_sqlite_writers_queue_instead_of_failing(tmp_path):
    """BEGIN IMMEDIATE: writers that read before they write wait their turn, none fails."""
    from sqlalchemy import text

    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'w.db'}", pool_size=20)
    try:
        async with db.session() as session:
            await session.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
            await session.execute(text("INSERT INTO counter VALUES (0)"))

        async def increment() -> None:
            async with db.session() as session:
                n = (await session.execute(text("SELECT n FROM counter"))).scalar_one()
                await asyncio.sleep(0.001)
                await session.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})

        await asyncio.gather(*(increment() for _ in range(60)))
        async with db.session(read_only=True) as session:
            assert (await session.execute(text("SELECT n FROM counter"))).scalar_one() == 60
    finally:
        await db.dispose()


def test_envelope_rejects_naive_time_and_unknown_fields():
    base = {"source": "s", "type": "a.b.c", "subject": "x", "dataschema": "d", "data": {}}
    with pytest.raises(ValidationError):
        Envelope(**base, time="2026-01-01T00:00:00")
    with pytest.raises(ValidationError):
        Envelope(**base, id=uuid.uuid4(), unknown=1)


async def test_cursor_pages_through_timestamps_and_dates(tmp_path):
    """Keyset pages over a UTC timestamp and a date column, to the last row and no further."""
    from datetime import UTC, date, datetime, timedelta

    from sqlalchemy import Column, Date, select
    from sqlmodel import Field, SQLModel

    from common.db import UTCDateTime
    from common.models import new_registry
    from common.pagination import paginate

    class PagingBase(SQLModel, registry=new_registry()):
        pass

    class Row(PagingBase, table=True):
        __tablename__ = "rows"
        id: int = Field(primary_key=True)
        at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
        day: date = Field(sa_column=Column(Date, nullable=False))

    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'p.db'}")
    start = datetime(2026, 9, 1, tzinfo=UTC)
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(PagingBase.metadata.create_all)
        async with db.session() as session:
            session.add_all(
                Row(id=n, at=start + timedelta(hours=n), day=date(2026, 9, 1 + n % 20))
                for n in range(1, 26)
            )
        for order in ([Row.at, Row.id], [Row.day, Row.id]):
            seen, cursor = [], None
            async with db.session(read_only=True) as session:
                while True:
                    rows, cursor = await paginate(
                        session, select(Row), order_by=order, cursor=cursor, limit=7
                    )
                    seen += [r.id for r in rows]
                    if cursor is None:
                        break
            assert sorted(seen) == list(range(1, 26)), order
            assert len(seen) == 25
    finally:
        await db.dispose()


async def test_a_task_that_swallows_its_cancellation_is_stopped_all_the_same():
    """What Python 3.11's wait_for does to nats-py's first connect now and then."""
    cancellations = 0

    async def stubborn() -> None:
        nonlocal cancellations
        while True:
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                cancellations += 1
                if cancellations > 1:
                    raise

    tasks = [asyncio.create_task(stubborn()), asyncio.create_task(asyncio.sleep(10))]
    await asyncio.sleep(0)
    await asyncio.wait_for(stop_tasks(tasks), timeout=5)
    assert all(task.done() for task in tasks) and cancellations == 2
