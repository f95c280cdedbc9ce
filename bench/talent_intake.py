"""Candidate intake by the partner API at 50 concurrent clients, beside the same service's
health endpoint in the same run.

Runs the talent service in-process (httpx over ASGI, no sockets, no gateway): the gateway's
partner-key path was being built when this was written, so these figures are the service's
own cost (validation, AES-GCM sealing, keyed hash, idempotency record, one transaction).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import httpx

from bench.support import postgres_database, scratch_dir, sqlite_database, start_nats, summary_ms
from services.talent.app import create_app
from services.talent.settings import TalentSettings
from tests.support import Identity, running
from tests.talent.support import partner, person

CLIENTS = 50
PUSHES = 2000
HEALTH = 2000


async def _load(
    client: httpx.AsyncClient, requests: list[dict[str, Any]], clients: int
) -> dict[str, float]:
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for request in requests:
        queue.put_nowait(request)
    samples: list[float] = []
    failures = 0

    async def worker() -> None:
        nonlocal failures
        while not queue.empty():
            request = queue.get_nowait()
            started = time.perf_counter()
            response = await client.request(**request)
            samples.append(time.perf_counter() - started)
            failures += response.status_code >= 300

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    return {
        "requests": len(samples),
        "failures": failures,
        "rps": round(len(samples) / elapsed, 1),
        **summary_ms(samples),
    }


async def _measure(url: str, nats_url: str, identity: Identity) -> dict[str, Any]:
    settings = TalentSettings(database_url=url, common=identity.common(nats_url))
    site = partner("bench-site")
    headers = identity.headers(site)
    pushes = [
        {
            "method": "POST",
            "url": "/v1/candidates",
            "json": person(n),
            "headers": {**headers, "Idempotency-Key": f"bench-{uuid.uuid4()}"},
        }
        for n in range(PUSHES)
    ]
    health = [{"method": "GET", "url": "/healthz"} for _ in range(HEALTH)]
    async with running(create_app(settings)) as client:
        await _load(client, pushes[:50], 10)  # warm up: connections, caches
        return {
            "candidate_intake": await _load(client, pushes[50:], CLIENTS),
            "healthz": await _load(client, health, CLIENTS),
        }


async def run() -> dict[str, Any]:
    root = scratch_dir()
    nats = start_nats(root)
    identity = Identity(root / "var" / "keys")
    try:
        figures: dict[str, Any] = {
            "clients": CLIENTS,
            "path": "in-process ASGI, talent service only (not through the gateway)",
            "sqlite": await _measure(await sqlite_database(root, "talent"), nats.url, identity),
        }
        pg = await postgres_database("talent")
        if pg:
            figures["postgresql"] = await _measure(pg, nats.url, identity)
        return figures
    finally:
        nats.stop()
