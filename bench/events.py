"""Event propagation: commit in staffing → projection committed in sharing, beside raw JetStream;
SQLite, PostgreSQL and raw JetStream take turns, three rounds."""

from __future__ import annotations

import asyncio
import statistics
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
ROUNDS = 3


class TimedConsumer(Consumer):
    """The real consumer, noting when each event's effect has committed."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.committed: dict[str, float] = {}

    async def apply_many(self, items):
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
    stream = f"BENCHRAW{uuid.uuid4().hex[:8]}"
    await js.add_stream(name=stream, subjects=[f"{stream.lower()}.>"])
    await js.add_consumer(stream, ConsumerConfig(durable_name="raw", ack_policy=AckPolicy.EXPLICIT))
    sub = await js.pull_subscribe_bind(durable="raw", stream=stream)
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
        await js.publish(f"{stream.lower()}.x", key.encode())
    await asyncio.wait_for(receiver, timeout=30)
    await nc.close()
    samples = [received[k] - sent[k] for k in list(sent)[WARMUP:]]
    return summary_ms(samples)


async def run() -> dict[str, object]:
    root = scratch_dir()
    server = start_nats(root)
    rounds: dict[str, list[dict[str, float]]] = {"sqlite": [], "postgresql": [], "raw": []}
    try:
        for n in range(ROUNDS):
            (root / f"r{n}").mkdir()
            rounds["sqlite"].append(
                await propagation(
                    await sqlite_database(root / f"r{n}", "staffing"),
                    await sqlite_database(root / f"r{n}", "sharing"),
                    server.url,
                )
            )
            pg_staffing, pg_sharing = (
                await postgres_database("staffing"),
                await postgres_database("sharing"),
            )
            if pg_staffing and pg_sharing:
                rounds["postgresql"].append(await propagation(pg_staffing, pg_sharing, server.url))
            rounds["raw"].append(await raw_jetstream(server.url))
    finally:
        server.stop()
    figures: dict[str, object] = {
        "rate_per_s": RATE,
        "target_p99_ms": {"postgresql": 10, "sqlite": 25},
    }
    for name, found in rounds.items():
        if not found:
            figures[name] = "skipped: set TP_TEST_DATABASE_URL"
            continue
        figures[f"{name}_rounds"] = found
        for key in ("p50_ms", "p99_ms"):
            values = [r[key] for r in found]
            figures[f"{name}_{key}_median"] = statistics.median(values)
            figures[f"{name}_{key}_spread"] = [min(values), max(values)]
    return figures
