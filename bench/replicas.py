"""A mixed workload through the gateway with one replica of everything, then with two.

Same machine, same run: staffing, sharing, talent and the gateway as `teacherpool serve`
processes on one PostgreSQL and one NATS, fresh databases for each size. The clients register
units (writes, each one an event that sharing and talent project) and read unit lists and
projected units (reads) through every gateway in turn, at a fixed concurrency for a fixed
time. CPU seconds per process group during the run show where the time goes.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import psutil

from bench.support import PG_URL, scratch_dir, start_nats
from common.migrations import SERVICES as DATABASES
from gateway.seed import seed_gateway
from teacherpool.demo import build_city
from tests.deploy.system import System
from tests.support import Databases, Identity

CONCURRENCY = 32
DURATION = 8.0
WARMUP = 2.0
#: One write in every WRITE_EVERY operations; the rest are reads.
WRITE_EVERY = 4


def _cpu_seconds(pids: dict[str, list[int]]) -> dict[str, float]:
    """User + system CPU seconds so far of each group of processes."""
    totals: dict[str, float] = {}
    for group, members in pids.items():
        total = 0.0
        for pid in members:
            try:
                times = psutil.Process(pid).cpu_times()
                total += times.user + times.system
            except psutil.NoSuchProcess:
                continue
        totals[group] = total
    return totals


def _process_groups(system: System, nats_pid: int) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = {"nats": [nats_pid]}
    for replica in system.processes:
        assert replica.process is not None
        groups.setdefault(replica.service, []).append(replica.process.pid)
    groups["postgres"] = [
        p.pid for p in psutil.process_iter(["name"]) if p.info["name"] in ("postgres", "postmaster")
    ]
    return groups


async def _mixed_load(gateways: list[str], token: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    clients = [httpx.AsyncClient(base_url=url, headers=headers, timeout=30) for url in gateways]
    turn = itertools.count()
    known: list[str] = []
    counts = {"writes": 0, "reads": 0, "errors": 0}
    failures: Counter[str] = Counter()
    prefix = f"B{uuid.uuid4().hex[:6]}"
    measuring = asyncio.Event()
    stop_at = time.monotonic() + WARMUP + DURATION

    async def worker() -> None:
        while time.monotonic() < stop_at:
            n = next(turn)
            client = clients[n % len(clients)]
            try:
                if n % WRITE_EVERY == 0 or not known:
                    body = {"kind": "district", "code": f"{prefix}-{n}", "name": f"基准区 {n}"}
                    response = await client.post("/api/staffing/v1/units", json=body)
                    kind = "writes"
                    if response.status_code == 201:
                        known.append(response.json()["id"])
                elif n % 2:
                    response = await client.get("/api/staffing/v1/units?limit=20")
                    kind = "reads"
                else:
                    unit = known[n % len(known)]
                    response = await client.get(f"/api/sharing/v1/units/{unit}")
                    # A unit written a moment ago may not be projected yet: still a read served.
                    kind = "reads" if response.status_code in (200, 404) else "errors"
            except httpx.HTTPError as error:
                kind, failure = "errors", type(error).__name__
            else:
                failure = str(response.status_code)
                if kind != "errors" and response.status_code >= 400 and response.status_code != 404:
                    kind = "errors"
            if measuring.is_set():
                counts[kind] += 1
                if kind == "errors":
                    failures[failure] += 1

    async def clock() -> None:
        await asyncio.sleep(WARMUP)
        measuring.set()

    try:
        await asyncio.gather(clock(), *(worker() for _ in range(CONCURRENCY)))
    finally:
        for client in clients:
            await client.aclose()
    return {**counts, "failures": dict(failures)}


async def _measure(root: Path, replicas: int, identity: Identity) -> dict[str, Any]:
    nats = start_nats(root / f"r{replicas}")
    databases = Databases(root / f"r{replicas}")
    databases.pg_url = PG_URL
    system: System | None = None
    try:
        urls = {name: await databases.create(name, "postgresql") for name in DATABASES}
        await seed_gateway(urls["gateway"], build_city())
        system = System(
            root=root / f"r{replicas}",
            nats_url=nats.url,
            database_urls=urls,
            public_key=identity.public_key_file,
            private_key=identity.private_key_file,
            replicas=replicas,
        )
        system.start()
        await system.wait_ready(timeout=120)
        token = await system.login()
        assert nats.process is not None
        groups = _process_groups(system, nats.process.pid)
        before = _cpu_seconds(groups)
        counts = await _mixed_load([g.url for g in system.of("gateway")], token)
        after = _cpu_seconds(groups)
        # The warm-up is inside the CPU window; close enough to rank the groups.
        cpu = {g: round(after[g] - before[g], 2) for g in groups}
        total_ops = counts["writes"] + counts["reads"]
        return {
            "replicas": replicas,
            "ops_per_s": round(total_ops / DURATION, 1),
            "writes_per_s": round(counts["writes"] / DURATION, 1),
            "reads_per_s": round(counts["reads"] / DURATION, 1),
            "errors": counts["errors"],
            "failures": counts["failures"],
            "cpu_seconds": cpu,
            "busiest": max(cpu, key=lambda g: cpu[g]),
        }
    finally:
        if system is not None:
            system.stop()
        nats.stop()
        await databases.drop_created()


async def run() -> dict[str, Any]:
    if not PG_URL:
        return {"skipped": "set TP_BENCH_DATABASE_URL or TP_TEST_DATABASE_URL to PostgreSQL"}
    root = scratch_dir()
    identity = Identity(root / "keys")
    one = await _measure(root, 1, identity)
    two = await _measure(root, 2, identity)
    return {
        "concurrency": CONCURRENCY,
        "seconds": DURATION,
        "write_share": round(1 / WRITE_EVERY, 2),
        "cpus": psutil.cpu_count(),
        "one_replica": one,
        "two_replicas": two,
        "ratio": round(two["ops_per_s"] / one["ops_per_s"], 2) if one["ops_per_s"] else None,
    }
