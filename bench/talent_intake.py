"""Candidate intake through the gateway with a partner's API key at 50 concurrent clients,
beside the talent service's health endpoint through the same gateway in the same run.

The talent service and the gateway each run under uvicorn on a loopback port; the key is made
by city HR through `/api/auth/v1/partners`, exactly as the recruitment site gets one.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import httpx

from bench.support import postgres_database, scratch_dir, sqlite_database, start_nats, summary_ms
from gateway.app import create_app as create_gateway
from services.talent.app import create_app
from services.talent.settings import TalentSettings
from tests.gateway.support import add_user, bearer, gateway_settings, served
from tests.support import Identity
from tests.talent.support import person
from tests.talent.test_recruitment_site import new_partner, wait_until_ready

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


async def _measure(
    talent_url: str, gateway_url: str, nats_url: str, identity: Identity
) -> dict[str, Any]:
    await add_user(gateway_url, "cityhr", "city_hr")
    settings = TalentSettings(database_url=talent_url, common=identity.common(nats_url))
    with served(create_app(settings)) as talent:
        await wait_until_ready(talent.url)
        gateway_config = gateway_settings(
            identity, gateway_url, talent_url=talent.url, rate_limit_key_per_minute=1_000_000
        )
        with served(create_gateway(gateway_config)) as gateway:
            limits = httpx.Limits(max_connections=CLIENTS + 10)
            async with httpx.AsyncClient(base_url=gateway.url, limits=limits, timeout=60) as client:
                key = await new_partner(client, await bearer(client, "cityhr"), "bench site")
                headers = {"X-API-Key": key}
                pushes = [
                    {
                        "method": "POST",
                        "url": "/api/talent/v1/candidates",
                        "json": person(n),
                        "headers": {**headers, "Idempotency-Key": f"bench-{uuid.uuid4()}"},
                    }
                    for n in range(PUSHES)
                ]
                health = [
                    {"method": "GET", "url": "/api/talent/v1/postings?limit=1", "headers": headers}
                    for _ in range(HEALTH)
                ]
                await _load(client, pushes[:50], 10)  # warm up: connections, caches
                return {
                    "candidate_intake": await _load(client, pushes[50:], CLIENTS),
                    "postings_read": await _load(client, health, CLIENTS),
                }


async def run() -> dict[str, Any]:
    root = scratch_dir()
    nats = start_nats(root)
    identity = Identity(root / "var" / "keys")
    try:
        figures: dict[str, Any] = {
            "clients": CLIENTS,
            "path": "client → gateway (X-API-Key) → talent, uvicorn on loopback",
            "sqlite": await _measure(
                await sqlite_database(root, "talent"),
                await sqlite_database(root, "gateway"),
                nats.url,
                identity,
            ),
        }
        pg_talent, pg_gateway = (
            await postgres_database("talent"),
            await postgres_database("gateway"),
        )
        if pg_talent and pg_gateway:
            figures["postgresql"] = await _measure(pg_talent, pg_gateway, nats.url, identity)
        return figures
    finally:
        nats.stop()
