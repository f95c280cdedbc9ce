"""Readiness, trace context across HTTP and NATS, retries, and two relays on one outbox."""

from __future__ import annotations

import asyncio
import uuid

import nats
import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from common.bus import Bus
from common.db import Database, run_in_transaction
from common.observability import TRACEPARENT_RE
from common.outbox import OutboxRelay
from contracts.base import Envelope
from services.staffing.app import create_app as create_staffing
from services.staffing.models import outbox as staffing_outbox
from services.staffing.settings import StaffingSettings
from tests.common.test_events import Pipeline, _at_least, outbox_pending, unit_event
from tests.support import eventually, principal, running, service_settings

pytestmark = pytest.mark.nats


async def test_readyz_follows_nats(make_database, own_nats, identity):
    settings = service_settings(
        StaffingSettings, identity, await make_database("staffing"), own_nats.url
    )
    async with running(create_staffing(settings)) as client:
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/readyz")).status_code == 200
        own_nats.kill()

        async def not_ready() -> bool:
            return (await client.get("/readyz")).status_code == 503

        await eventually(not_ready, timeout=20)
        problem = (await client.get("/readyz")).json()
        assert problem["status"] == 503 and "NATS" in problem["detail"]
        assert (await client.get("/healthz")).status_code == 200
        own_nats.start()

        async def ready() -> bool:
            return (await client.get("/readyz")).status_code == 200

        await eventually(ready, timeout=20)
        assert "tp_http_requests_total" in (await client.get("/metrics")).text


async def test_traceparent_travels_from_request_into_the_event(
    make_database, nats_server, identity
):
    settings = service_settings(
        StaffingSettings, identity, await make_database("staffing"), nats_server.url
    )
    trace_id = uuid.uuid4().hex
    code = f"T{trace_id[:8]}"
    nc = await nats.connect(nats_server.url)
    try:
        async with running(create_staffing(settings)) as client:
            sub = await nc.jetstream().subscribe("staffing.unit.registered", ordered_consumer=True)
            response = await client.post(
                "/v1/units",
                json={"kind": "district", "code": code, "name": "测试区"},
                headers={
                    **identity.headers(principal("city_hr")),
                    "traceparent": f"00-{trace_id}-{'1' * 16}-01",
                    "X-Request-ID": "req-42",
                },
            )
            assert response.status_code == 201
            assert response.headers["x-request-id"] == "req-42"
            assert response.headers["traceparent"].split("-")[1] == trace_id
            envelope = None
            while envelope is None or envelope.data["code"] != code:
                msg = await sub.next_msg(timeout=10)
                envelope = Envelope.model_validate_json(msg.data)
        assert envelope.traceparent is not None
        assert TRACEPARENT_RE.match(envelope.traceparent)
        assert envelope.traceparent.split("-")[1] == trace_id
        assert msg.headers["Nats-Msg-Id"] == str(envelope.id)
    finally:
        await nc.close()


async def test_two_relays_on_one_outbox_publish_each_event_once(make_database, own_nats):
    async with Pipeline(
        await make_database("staffing"), await make_database("sharing"), own_nats.url
    ) as pipe:
        second_bus = Bus(own_nats.url, name="staffing-replica")
        await second_bus.connect()
        second = OutboxRelay(pipe.staffing_db, staffing_outbox, second_bus, sweep_seconds=0.05)
        task = asyncio.create_task(second.run())
        try:
            await asyncio.gather(
                pipe.emit(200, per_transaction=5), pipe.emit(200, start=200, per_transaction=5)
            )
            await eventually(lambda: _at_least(pipe.effects.count, 400), timeout=30)
            # Every row is marked only after its publish returned: none can still arrive.
            await eventually(lambda: _none_pending(pipe.staffing_db), timeout=30)
            await eventually(pipe.settled, timeout=30)
            info = await pipe.staffing_bus.js.stream_info("STAFFING")
            assert info.state.messages == 400, "each event is in the stream exactly once"
            assert await pipe.effects.count() == 400
            assert await outbox_pending(pipe.staffing_db) == 0
        finally:
            second.stop()
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await second_bus.close()


async def _none_pending(db: Database) -> bool:
    return await outbox_pending(db) == 0


class SerializationFailure(Exception):
    sqlstate = "40001"


async def test_transaction_is_retried_after_a_serialization_failure(tmp_path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'r.db'}")
    attempts = []

    async def work(session) -> str:
        attempts.append(1)
        if len(attempts) < 3:
            raise DBAPIError("UPDATE …", {}, SerializationFailure())
        return "done"

    try:
        assert await run_in_transaction(db, work) == "done"
        assert len(attempts) == 3
    finally:
        await db.dispose()


async def test_a_transaction_that_keeps_conflicting_gives_up(tmp_path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'r.db'}")

    async def work(session) -> None:
        raise DBAPIError("UPDATE …", {}, SerializationFailure())

    try:
        with pytest.raises(DBAPIError):
            await run_in_transaction(db, work, attempts=3)
    finally:
        await db.dispose()


async def test_outbox_rows_left_behind_are_swept_after_a_restart(make_database, nats_server):
    url = await make_database("staffing")
    db = Database(url)
    async with db.session() as session:
        for n in range(5):
            await staffing_outbox.add(session, unit_event(n), subject=f"u{n}")
    await db.dispose()
    # A relay that starts later (as after a crash) publishes what the earlier process left.
    db = Database(url)
    bus = Bus(nats_server.url, name="sweeper")
    await bus.connect()
    relay = OutboxRelay(db, staffing_outbox, bus, sweep_seconds=0.1)
    task = asyncio.create_task(relay.run())
    try:

        async def drained() -> bool:
            return await outbox_pending(db) == 0

        await eventually(drained)
    finally:
        relay.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await bus.close()
        await db.dispose()


async def test_a_failed_publish_counts_the_attempt_and_keeps_the_error(make_database, own_nats):
    """A row the relay could not publish shows how often and why, then publishes once it can."""
    db = Database(await make_database("staffing"))
    bus = Bus(own_nats.url, name="staffing-no-streams")
    await bus.connect()
    relay = OutboxRelay(db, staffing_outbox, bus, publish_timeout=1.0)
    table = staffing_outbox.table

    async def row() -> tuple[int, str | None, object]:
        async with db.session(read_only=True) as session:
            found = (
                await session.execute(
                    select(table.c.attempts, table.c.last_error, table.c.published_at)
                )
            ).one()
        return found.attempts, found.last_error, found.published_at

    try:
        async with db.session() as session:
            await staffing_outbox.add(session, unit_event(1), subject="u1")
        own_nats.kill()
        assert await relay.publish_pending() == 0
        assert await relay.publish_pending() == 0
        attempts, error, published_at = await row()
        assert (attempts, published_at) == (2, None)
        assert error
        own_nats.start()

        async def published() -> bool:
            return await relay.publish_pending() == 1

        await eventually(published, timeout=20)
        attempts, error, published_at = await row()
        assert attempts >= 3 and error is None and published_at is not None
    finally:
        await bus.close()
        await db.dispose()
