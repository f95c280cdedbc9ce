"""No lost or doubled events: outbox, relay, JetStream, inbox, dead letters — over a real NATS."""

from __future__ import annotations

import asyncio
import json
import uuid

import nats
import pytest
from nats.aio.msg import Msg
from sqlalchemy import event, func, select, text

from common.bus import Bus, dlq_subject
from common.db import Database
from common.inbox import Consumer
from common.outbox import OutboxRelay
from contracts.base import Envelope, Event
from contracts.staffing import UnitRegistered
from services.sharing.models import messaging as sharing_messaging
from services.staffing.models import outbox as staffing_outbox
from tests.support import NatsServer, eventually

pytestmark = pytest.mark.nats


def unit_event(n: int) -> UnitRegistered:
    return UnitRegistered(unit_id=uuid.uuid4(), kind="district", code=f"D{n:05d}", name=f"区{n}")


class EffectCounter:
    """A handler whose effect is NOT idempotent: one row per call, so doubling would show."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def prepare(self) -> None:
        async with self.db.session() as session:
            await session.execute(text("CREATE TABLE effects (event_id VARCHAR(36) NOT NULL)"))

    async def __call__(self, session, event: Event, envelope: Envelope) -> None:
        await session.execute(
            text("INSERT INTO effects (event_id) VALUES (:id)"), {"id": str(envelope.id)}
        )

    async def count(self) -> int:
        async with self.db.session(read_only=True) as session:
            return int((await session.execute(text("SELECT count(*) FROM effects"))).scalar_one())

    async def distinct(self) -> int:
        async with self.db.session(read_only=True) as session:
            return int(
                (
                    await session.execute(text("SELECT count(DISTINCT event_id) FROM effects"))
                ).scalar_one()
            )


async def outbox_pending(db: Database) -> int:
    table = staffing_outbox.table
    async with db.session(read_only=True) as session:
        return int(
            (
                await session.execute(
                    select(func.count()).select_from(table).where(table.c.published_at.is_(None))
                )
            ).scalar_one()
        )


class Pipeline:
    """staffing's outbox and relay → JetStream → a sharing consumer, all in this process."""

    def __init__(
        self,
        staffing_url: str,
        sharing_url: str,
        nats_url: str,
        *,
        sweep_seconds: float = 0.3,
        **consumer_options,
    ):
        self.staffing_db = Database(staffing_url)
        self.sharing_db = Database(sharing_url)
        self.staffing_bus = Bus(nats_url, name="staffing-test")
        self.sharing_bus = Bus(nats_url, name="sharing-test")
        self.relay = OutboxRelay(
            self.staffing_db,
            staffing_outbox,
            self.staffing_bus,
            sweep_seconds=sweep_seconds,
            publish_timeout=1.0,
        )
        self.effects = EffectCounter(self.sharing_db)
        self.consumer = Consumer(
            service="sharing",
            publisher="staffing",
            db=self.sharing_db,
            bus=self.sharing_bus,
            inbox=sharing_messaging.inbox,
            handlers={"staffing.unit.registered": self.effects},
            **consumer_options,
        )
        self.tasks: list[asyncio.Task[None]] = []

    async def __aenter__(self) -> Pipeline:
        await self.effects.prepare()
        await self.staffing_bus.connect()
        await self.sharing_bus.connect()
        self.tasks = [
            asyncio.create_task(self.relay.run()),
            asyncio.create_task(self.consumer.run()),
        ]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.relay.stop()
        self.consumer.stop()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        for bus in (self.staffing_bus, self.sharing_bus):
            await bus.close()
        await self.staffing_db.dispose()
        await self.sharing_db.dispose()

    async def settled(self) -> bool:
        """The consumer has acknowledged every message in the stream, and none waits for
        redelivery: whatever a duplicate would have done, it has done by now."""
        js = self.sharing_bus.js
        stream = await js.stream_info(self.consumer.stream)
        info = await js.consumer_info(self.consumer.stream, self.consumer.durable)
        return (
            info.ack_floor.stream_seq >= stream.state.last_seq
            and not info.num_pending
            and not info.num_ack_pending
        )

    async def emit(self, count: int, start: int = 0, per_transaction: int = 20) -> None:
        for first in range(start, start + count, per_transaction):
            async with self.staffing_db.session() as session:
                for n in range(first, min(first + per_transaction, start + count)):
                    await staffing_outbox.add(session, unit_event(n), subject=f"unit-{n}")


@pytest.mark.slow
async def test_thousand_events_survive_nats_sigkill_exactly_once(
    make_database, own_nats: NatsServer
):
    async with Pipeline(
        await make_database("staffing"),
        await make_database("sharing"),
        own_nats.url,
        backoff=(0.05, 0.1, 0.2),
        max_attempts=50,
    ) as pipe:
        writer = asyncio.create_task(pipe.emit(1000))
        await eventually(lambda: _at_least(pipe.effects.count, 250), timeout=30)
        own_nats.kill()
        await asyncio.sleep(1.5)  # writes go on into the outbox while NATS is down
        own_nats.start()
        await writer
        await eventually(lambda: _at_least(pipe.effects.count, 1000), timeout=60)
        await eventually(pipe.settled, timeout=30)
        assert await pipe.effects.count() == 1000
        assert await pipe.effects.distinct() == 1000
        assert await outbox_pending(pipe.staffing_db) == 0


async def _at_least(count, n: int) -> bool:
    return await count() >= n


async def _stream_codes(pipe: Pipeline) -> list[str]:
    """The unit codes of every event in the stream, in the stream's order."""
    js = pipe.staffing_bus.js
    state = (await js.stream_info(pipe.consumer.stream)).state
    codes = []
    for seq in range(state.first_seq, state.last_seq + 1):
        msg = await js.get_msg(pipe.consumer.stream, seq)
        assert msg.data is not None
        codes.append(json.loads(msg.data)["data"]["code"])
    return codes


async def test_committed_events_go_out_in_commit_order_without_being_read_back(
    make_database, own_nats: NatsServer
):
    """Once the relay has nothing older to send, a commit's events are published from what its
    session wrote: no read of the outbox (the timed sweep is far off), in commit order."""
    async with Pipeline(
        await make_database("staffing"),
        await make_database("sharing"),
        own_nats.url,
        sweep_seconds=60,
    ) as pipe:
        await pipe.emit(1)
        await eventually(lambda: _at_least(pipe.effects.count, 1))
        reads: list[str] = []
        outbox_name = staffing_outbox.table.name

        @event.listens_for(pipe.staffing_db.engine.sync_engine, "before_cursor_execute")
        def _seen(_conn, _cursor, statement: str, *_args) -> None:
            if statement.lstrip().upper().startswith("SELECT") and outbox_name in statement:
                reads.append(statement)

        await pipe.emit(60, start=1, per_transaction=3)
        await eventually(lambda: _at_least(pipe.effects.count, 61))
        await eventually(pipe.settled)
        assert reads == []
        assert await _stream_codes(pipe) == [f"D{n:05d}" for n in range(61)]
        await eventually(lambda: _none_pending(pipe.staffing_db))


async def _none_pending(db: Database) -> bool:
    return await outbox_pending(db) == 0


async def test_an_event_whose_savepoint_rolled_back_is_never_published(
    make_database, own_nats: NatsServer
):
    async with Pipeline(
        await make_database("staffing"), await make_database("sharing"), own_nats.url
    ) as pipe:
        # Caught up first, so the next commit's events would go out as its session noted them.
        await pipe.emit(1)
        await eventually(lambda: _at_least(pipe.effects.count, 1))
        async with pipe.staffing_db.session() as session:
            await staffing_outbox.add(session, unit_event(1), subject="u1")
            with pytest.raises(RuntimeError):
                async with session.begin_nested():
                    await staffing_outbox.add(session, unit_event(2), subject="u2")
                    raise RuntimeError("this step is undone")
            await staffing_outbox.add(session, unit_event(3), subject="u3")
        await eventually(lambda: _at_least(pipe.effects.count, 3))
        await eventually(pipe.settled)
        assert await _stream_codes(pipe) == ["D00000", "D00001", "D00003"]
        assert await pipe.effects.count() == 3


async def test_event_delivered_twice_is_applied_once(make_database, own_nats: NatsServer):
    # Its own server: a shared one may hold other tests' events for the same durable consumer.
    async with Pipeline(
        await make_database("staffing"), await make_database("sharing"), own_nats.url
    ) as pipe:
        envelope = Envelope.wrap(unit_event(1), source="teacherpool/staffing", subject="u1")
        payload = envelope.model_dump_json().encode()
        js = pipe.staffing_bus.js
        # Two different message ids get past the stream's duplicate window: the inbox must stop it.
        await js.publish(
            "staffing.unit.registered", payload, headers={"Nats-Msg-Id": f"{envelope.id}-a"}
        )
        await js.publish(
            "staffing.unit.registered", payload, headers={"Nats-Msg-Id": f"{envelope.id}-b"}
        )
        marker = Envelope.wrap(unit_event(2), source="teacherpool/staffing", subject="u2")
        await js.publish("staffing.unit.registered", marker.model_dump_json().encode())
        await eventually(lambda: _at_least(pipe.effects.count, 2))
        await eventually(pipe.settled)
        assert await pipe.effects.count() == 2
        assert await pipe.effects.distinct() == 2


async def _dead_letters(nats_url: str, service: str, count: int, timeout: float = 10.0) -> list:
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        sub = await js.subscribe(dlq_subject(service), ordered_consumer=True)
        found: list[Msg] = []
        try:
            while len(found) < count:
                found.append(await sub.next_msg(timeout=timeout))
        finally:
            await sub.unsubscribe()
        return found
    finally:
        await nc.close()


async def test_poison_message_is_dead_lettered_with_reason_and_flow_goes_on(
    make_database, own_nats: NatsServer
):
    async with Pipeline(
        await make_database("staffing"), await make_database("sharing"), own_nats.url
    ) as pipe:
        js = pipe.staffing_bus.js
        await js.publish("staffing.unit.registered", b"{not json")
        bad_data = Envelope.wrap(unit_event(3), source="teacherpool/staffing", subject="u3")
        broken = json.loads(bad_data.model_dump_json())
        broken["data"]["kind"] = "galaxy"
        await js.publish("staffing.unit.registered", json.dumps(broken).encode())
        await pipe.emit(5)
        await eventually(lambda: _at_least(pipe.effects.count, 5))
        letters = await _dead_letters(own_nats.url, "sharing", 2)
        reasons = [m.headers["Tp-Dlq-Reason"] for m in letters]
        assert "malformed event" in reasons[0]
        assert "data.kind" in reasons[1] or "kind" in reasons[1]
        assert letters[0].data == b"{not json"
        assert all(m.headers["Tp-Original-Subject"] == "staffing.unit.registered" for m in letters)
        assert await pipe.effects.count() == 5


async def test_failing_handler_is_retried_then_dead_lettered(make_database, own_nats: NatsServer):
    async with Pipeline(
        await make_database("staffing"),
        await make_database("sharing"),
        own_nats.url,
        max_attempts=3,
        backoff=(0.05,),
    ) as pipe:
        calls: list[str] = []
        good = pipe.effects

        async def flaky(session, event, envelope):
            if event.code == "D00000":
                calls.append(event.code)
                raise RuntimeError("the projection is broken for this one")
            await good(session, event, envelope)

        pipe.consumer.handlers["staffing.unit.registered"] = flaky
        await pipe.emit(3)
        await eventually(lambda: _at_least(good.count, 2))
        letters = await _dead_letters(own_nats.url, "sharing", 1)
        assert "handler failed 3 times" in letters[0].headers["Tp-Dlq-Reason"]
        assert "the projection is broken" in letters[0].headers["Tp-Dlq-Reason"]
        assert len(calls) == 3
        async with pipe.sharing_db.session(read_only=True) as session:
            inbox = sharing_messaging.inbox
            applied = (await session.execute(select(func.count()).select_from(inbox))).scalar_one()
        assert applied == 2, "the failed event must not be recorded as applied"


async def test_outbox_row_exists_only_if_the_change_commits(make_database, nats_server: NatsServer):
    db = Database(await make_database("staffing"))
    try:
        with pytest.raises(RuntimeError):
            async with db.session() as session:
                await staffing_outbox.add(session, unit_event(1), subject="u1")
                raise RuntimeError("the change failed")
        async with db.session() as session:
            await staffing_outbox.add(session, unit_event(2), subject="u2")
        assert await outbox_pending(db) == 1
    finally:
        await db.dispose()
