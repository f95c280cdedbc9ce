"""Event propagation: commit in staffing → projection committed in sharing, beside raw JetStream."""

from __future__ import annotations

import asyncio
import time
import uuid

import nats
from nats.js.api import AckPolicy, ConsumerConfig

from bench.support import (
    postgres_database,
    scratch_dir,
    sqlite_database,
    start_nats,
    summary_ms,
)
from common.bus import Bus
from common.db import Database
from common.inbox import Consumer
from common.outbox import OutboxRelay
from contracts.staffing import UnitRegistered
from services.sharing.consumers import HANDLERS as SHARING_HANDLERS
from services.sharing.models import messaging as sharing_messaging
from services.staffing.models import outbox as staffing_outbox

RATE = 100  # events per second, steady
SECONDS = 10
WARMUP = 50


class TimedConsumer(Consumer):
    """The real consumer, noting when each event's effect has committed."""

    def __init__(self, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(**kwargs)
        self.committed: dict[str, float] = {}

    async def apply_many(self, items):  # type: ignore[no-untyped-def]
        outcomes = await super().apply_many(items)
        now = time.perf_counter()
        for envelope, _ in items:
            self.committed[envelope.subject] = now
        return outcomes


async def propagation(staffing_url: str, sharing_url: str, nats_url: str) -> dict[str, float]:
    staffing_db = Database(staffing_url)
    sharing_db = Database(sharing_url)
    staffing_bus, sharing_bus = (
        Bus(nats_url, name="bench-staffing"),
        Bus(nats_url, name="bench-sharing"),
    )
    await staffing_bus.connect()
    await sharing_bus.connect()
    relay = OutboxRelay(staffing_db, staffing_outbox, staffing_bus)
    consumer = TimedConsumer(
        service="sharing",
        publisher="staffing",
        db=sharing_db,
        bus=sharing_bus,
        inbox=sharing_messaging.inbox,
        handlers=SHARING_HANDLERS["staffing"],
    )
    tasks = [asyncio.create_task(relay.run()), asyncio.create_task(consumer.run())]
    committed_at: dict[str, float] = {}
    total = RATE * SECONDS + WARMUP
    start = time.perf_counter()
    for n in range(total):
        await asyncio.sleep(max(0.0, start + n / RATE - time.perf_counter()))
        unit_id = uuid.uuid4()
        async with staffing_db.session() as session:
            await staffing_outbox.add(
                session,
                UnitRegistered(unit_id=unit_id, kind="district", code=f"B{n}", name=f"区{n}"),
                subject=str(unit_id),
            )
        committed_at[str(unit_id)] = time.perf_counter()
    deadline = time.perf_counter() + 30
    while len(consumer.committed) < total and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    relay.stop()
    consumer.stop()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await staffing_bus.close()
    await sharing_bus.close()
    await staffing_db.dispose()
    await sharing_db.dispose()
    ids = list(committed_at)[WARMUP:]
    samples = [consumer.committed[i] - committed_at[i] for i in ids if i in consumer.committed]
    return {**summary_ms(samples), "delivered": len(samples), "sent": len(ids)}


async def raw_jetstream(nats_url: str) -> dict[str, float]:
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await js.add_stream(name="BENCHRAW", subjects=["benchraw.>"])
    await js.add_consumer(
        "BENCHRAW", ConsumerConfig(durable_name="raw", ack_policy=AckPolicy.EXPLICIT)
    )
    sub = await js.pull_subscribe_bind(durable="raw", stream="BENCHRAW")
    sent: dict[str, float] = {}
    received: dict[str, float] = {}
    total = RATE * SECONDS + WARMUP

    async def receive() -> None:
        while len(received) < total:
            try:
                msgs = await sub.fetch(64, timeout=1)
            except TimeoutError:
                continue
            for msg in msgs:
                received[msg.data.decode()] = time.perf_counter()
                await msg.ack()

    receiver = asyncio.create_task(receive())
    start = time.perf_counter()
    for n in range(total):
        await asyncio.sleep(max(0.0, start + n / RATE - time.perf_counter()))
        key = str(n)
        sent[key] = time.perf_counter()
        await js.publish("benchraw.x", key.encode())
    await asyncio.wait_for(receiver, timeout=30)
    await nc.close()
    samples = [received[k] - sent[k] for k in list(sent)[WARMUP:]]
    return summary_ms(samples)


async def run() -> dict[str, object]:
    root = scratch_dir()
    server = start_nats(root)
    try:
        figures: dict[str, object] = {"rate_per_s": RATE, "target_p99_ms": 25}
        sqlite = await propagation(
            await sqlite_database(root, "staffing"),
            await sqlite_database(root, "sharing"),
            server.url,
        )
        figures.update(_named("sqlite", sqlite))
        pg_staffing, pg_sharing = (
            await postgres_database("staffing"),
            await postgres_database("sharing"),
        )
        if pg_staffing and pg_sharing:
            figures.update(
                _named("postgresql", await propagation(pg_staffing, pg_sharing, server.url))
            )
        else:
            figures["postgresql"] = "skipped: set TP_TEST_DATABASE_URL"
        raw = await raw_jetstream(server.url)
        figures["raw_jetstream_p50_ms"] = raw["p50_ms"]
        figures["raw_jetstream_p99_ms"] = raw["p99_ms"]
    finally:
        server.stop()
    return figures


def _named(database: str, events: dict[str, float]) -> dict[str, object]:
    return {
        f"{database}_propagation_p50_ms": events["p50_ms"],
        f"{database}_propagation_p99_ms": events["p99_ms"],
        f"{database}_delivered": f"{events['delivered']}/{events['sent']}",
    }
