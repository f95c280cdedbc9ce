"""Two replicas of everything on one PostgreSQL and one NATS: shared work, each effect once.

Real processes (`teacherpool serve`), a steady load of unit registrations through both
gateways, and a SIGKILL of one replica of each service in the middle of it. Staffing's
`staffing.unit.registered` events reach sharing and talent through their durable consumers,
which both replicas of each service pull from.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import nats
import pytest

from common.bus import stream_name
from common.migrations import SERVICES as DATABASES
from gateway.seed import seed_gateway
from teacherpool.demo import build_city
from tests.deploy.system import SERVICES, System, counter
from tests.support import PG_ENV, PG_MISSING, Databases, Identity, NatsServer

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.nats]

REGISTRATIONS = 400
LOAD_SECONDS = 10.0
KILL_AFTER_SECONDS = 4.0
CONCURRENCY = 16
REGISTERED = "staffing.unit.registered"
#: A consumer's unacknowledged messages come back after its ack wait (30 s), then some.
SETTLE_SECONDS = 50.0


@dataclass
class LoadResult:
    """What the clients saw: codes the gateway acknowledged (2xx), and every other answer."""

    acknowledged: dict[str, float] = field(default_factory=dict)
    failed: Counter[str] = field(default_factory=Counter)
    attempted: set[str] = field(default_factory=set)


async def register_units(gateways: list[str], token: str, prefix: str) -> LoadResult:
    """REGISTRATIONS districts spread evenly over LOAD_SECONDS, alternating the gateways."""
    result = LoadResult()
    limit = asyncio.Semaphore(CONCURRENCY)
    started = time.monotonic()
    clients = [
        httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
        for url in gateways
    ]

    async def one(index: int) -> None:
        await asyncio.sleep(index * LOAD_SECONDS / REGISTRATIONS)
        code = f"{prefix}-{index:04d}"
        body = {"kind": "district", "code": code, "name": f"复本测试区 {index}"}
        async with limit:
            result.attempted.add(code)
            try:
                response = await clients[index % len(clients)].post(
                    "/api/staffing/v1/units", json=body
                )
            except httpx.HTTPError as error:
                result.failed[type(error).__name__] += 1
                return
        if response.is_success:
            result.acknowledged[code] = time.monotonic() - started
        else:
            result.failed[str(response.status_code)] += 1

    try:
        await asyncio.gather(*(one(i) for i in range(REGISTRATIONS)))
    finally:
        for client in clients:
            await client.aclose()
    return result


@contextlib.asynccontextmanager
async def connect(url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        yield conn
    finally:
        await conn.close()


async def fetch_column(url: str, sql: str, *args: object) -> list[object]:
    async with connect(url) as conn:
        return [row[0] for row in await conn.fetch(sql, *args)]


async def stream_event_ids(nats_url: str, publisher: str) -> list[str]:
    """The Nats-Msg-Id of every message in a publisher's stream, in order, duplicates kept."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        info = await js.stream_info(stream_name(publisher))
        ids = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            message = await js.get_msg(stream_name(publisher), seq)
            ids.append((message.headers or {}).get("Nats-Msg-Id", ""))
        return ids
    finally:
        await nc.close()


async def test_two_replicas_share_the_work_and_lose_nothing_when_one_of_each_is_killed(
    tmp_path: Path,
) -> None:
    if not os.environ.get(PG_ENV):
        pytest.skip(PG_MISSING)
    nats_server = NatsServer(tmp_path / "nats")
    nats_server.start()
    databases = Databases(tmp_path)
    identity = Identity(tmp_path / "keys")
    system: System | None = None
    try:
        urls = {name: await databases.create(name, "postgresql") for name in DATABASES}
        await seed_gateway(urls["gateway"], build_city())
        system = System(
            root=tmp_path,
            nats_url=nats_server.url,
            database_urls=urls,
            public_key=identity.public_key_file,
            private_key=identity.private_key_file,
            replicas=2,
        )
        system.start()
        # Eight Python processes start on two cores: well under a minute alone, more beside
        # other tests.
        await system.wait_ready(timeout=120)
        token = await system.login()
        prefix = f"R{uuid.uuid4().hex[:6]}"
        load = asyncio.create_task(
            register_units([g.url for g in system.of("gateway")], token, prefix)
        )

        await asyncio.sleep(KILL_AFTER_SECONDS)
        doomed = [system.replica(service, 0) for service in SERVICES]
        applied_by_doomed = {
            r.service: await counter(
                r, "tp_events_consumed_total", type=REGISTERED, outcome="applied"
            )
            for r in doomed
            if r.service != "staffing"
        }
        for replica in doomed:
            system.kill(replica)
        killed_at = time.monotonic()
        result = await load
        load_ended = time.monotonic()

        # Acknowledged requests: each unit exists once, and nothing exists that nobody asked for.
        assert len(result.acknowledged) >= REGISTRATIONS // 2, (
            f"only {len(result.acknowledged)} of {REGISTRATIONS} acknowledged: {result.failed}"
        )
        after_kill = [t for t in result.acknowledged.values() if t > KILL_AFTER_SECONDS + 0.5]
        assert len(after_kill) >= 50, (
            f"the load stopped with the killed replicas: {len(after_kill)} acknowledged after"
        )
        codes = await fetch_column(
            urls["staffing"], "SELECT code FROM units WHERE code LIKE $1", f"{prefix}-%"
        )
        stored = Counter(codes)
        assert all(count == 1 for count in stored.values()), "a unit was registered twice"
        missing = set(result.acknowledged) - set(stored)
        assert not missing, f"{len(missing)} acknowledged registrations lost: {sorted(missing)[:5]}"
        assert set(stored) <= result.attempted, "units appeared that no client sent"
        unit_ids = set(
            map(
                str,
                await fetch_column(
                    urls["staffing"], "SELECT id FROM units WHERE code LIKE $1", f"{prefix}-%"
                ),
            )
        )

        # Every committed unit's event is published, reaches both consumers, and is applied once.
        deadline = killed_at + SETTLE_SECONDS

        async def settled() -> bool:
            unpublished = await fetch_column(
                urls["staffing"], "SELECT count(*) FROM outbox_events WHERE published_at IS NULL"
            )
            if unpublished != [0]:
                return False
            for service in ("sharing", "talent"):
                seen = await fetch_column(urls[service], "SELECT id FROM units")
                if not unit_ids <= set(map(str, seen)):
                    return False
            return True

        while not await settled():
            assert time.monotonic() < deadline, (
                f"events not applied {SETTLE_SECONDS:.0f}s after the kill\n{system.logs()}"
            )
            await asyncio.sleep(0.5)

        events = await fetch_column(
            urls["staffing"], "SELECT id FROM outbox_events WHERE type = $1", REGISTERED
        )
        registered_events = set(map(str, events))
        assert len(registered_events) == len(stored), "one event per registered unit"

        in_stream = await stream_event_ids(nats_server.url, "staffing")
        duplicates = [i for i, n in Counter(in_stream).items() if n > 1]
        assert not duplicates, f"published twice in effect: {duplicates[:5]}"
        all_events = set(
            map(str, await fetch_column(urls["staffing"], "SELECT id FROM outbox_events"))
        )
        assert set(in_stream) == all_events, "the stream and the outbox disagree"

        for service in ("sharing", "talent"):
            projected = Counter(
                map(
                    str,
                    await fetch_column(
                        urls[service], "SELECT id FROM units WHERE code LIKE $1", f"{prefix}-%"
                    ),
                )
            )
            assert set(projected) == unit_ids, f"{service} projects other units than staffing has"
            inbox = Counter(
                map(
                    str,
                    await fetch_column(
                        urls[service],
                        "SELECT event_id FROM inbox_events WHERE type = $1",
                        REGISTERED,
                    ),
                )
            )
            assert set(inbox) == registered_events, f"{service}: inbox and events disagree"
            assert all(n == 1 for n in inbox.values()), f"{service} applied an event twice"

            # Both replicas pulled from the one durable consumer before one of them died.
            survivor = system.replica(service, 1)
            applied_by_survivor = await counter(
                survivor, "tp_events_consumed_total", type=REGISTERED, outcome="applied"
            )
            assert applied_by_doomed[service] > 0 and applied_by_survivor > 0, (
                f"{service}: the replicas did not share the work "
                f"({applied_by_doomed[service]:.0f} and {applied_by_survivor:.0f} applied)"
            )
            assert applied_by_survivor < len(unit_ids), (
                f"{service}: the survivor applied every event itself"
            )
        print(
            f"\n{len(result.acknowledged)} acknowledged ({len(after_kill)} after the kill), "
            f"{len(stored)} stored, failures {dict(result.failed)}, "
            f"load {load_ended - killed_at + KILL_AFTER_SECONDS:.1f}s, "
            f"settled {time.monotonic() - killed_at:.1f}s after the kill"
        )
    finally:
        if system is not None:
            system.stop()
        nats_server.stop()
        await databases.drop_created()
