"""Staffing on PostgreSQL: hires per second at 50 concurrent clients beside plain single-row
updates, and the city summary over 4,000 schools and 200,000 staff."""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

from sqlalchemy import text

from bench.support import postgres_database, scratch_dir, start_nats, summary_ms
from common.auth import Principal
from common.clock import local_today
from common.db import Database
from services.staffing.app import create_app
from services.staffing.seed import seed_staffing
from services.staffing.settings import StaffingSettings
from services.staffing.summaries.service import area_summary
from teacherpool.demo import ROSTER_SIZE, build_city
from tests.staffing.support import COMMISSION, Api
from tests.support import Identity, running, service_settings

CLIENTS = 50
HIRES = 2_000
SCHOOLS = 20
SUMMARY_RUNS = 20


async def _hires(url: str, nats_url: str, identity: Identity) -> dict[str, Any]:
    settings = service_settings(StaffingSettings, identity, url, nats_url, db_pool_size=CLIENTS)
    app = create_app(settings)
    async with running(app) as client:
        api = Api(client, identity, app.state.db)
        district = await api.district("BENCH")
        schools = [
            (await api.school(district["id"], f"B{n}", posts=HIRES))["id"] for n in range(SCHOOLS)
        ]
        headers = api.headers(COMMISSION)
        queue: asyncio.Queue[int] = asyncio.Queue()
        for n in range(HIRES):
            queue.put_nowait(n)
        latencies: list[float] = []

        async def client_loop() -> None:
            rng = random.Random()
            while not queue.empty():
                queue.get_nowait()
                started = time.perf_counter()
                response = await client.post(
                    "/v1/staff",
                    headers=headers,
                    json={
                        "unit_id": rng.choice(schools),
                        "name": "压测",
                        "sex": "female",
                        "birth_date": "1990-01-01",
                    },
                )
                assert response.status_code == 201, response.text
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(client_loop() for _ in range(CLIENTS)))
        elapsed = time.perf_counter() - started
        differences = await api.verify()
    return {
        "hires_per_s": round(HIRES / elapsed, 1),
        "hire_latency": summary_ms(latencies),
        "ledger_differences": len(differences),
    }


async def _plain_updates(url: str) -> float:
    db = Database(url, pool_size=CLIENTS)
    try:
        async with db.engine.begin() as conn:
            await conn.execute(text("CREATE TABLE bench_counter (id int PRIMARY KEY, n int)"))
            await conn.execute(
                text("INSERT INTO bench_counter SELECT g, 0 FROM generate_series(1, :n) g"),
                {"n": SCHOOLS},
            )
        remaining = [HIRES]

        async def client_loop() -> None:
            rng = random.Random()
            while remaining[0] > 0:
                remaining[0] -= 1
                async with db.session() as session:
                    await session.execute(
                        text("UPDATE bench_counter SET n = n + 1 WHERE id = :id"),
                        {"id": rng.randint(1, SCHOOLS)},
                    )

        started = time.perf_counter()
        await asyncio.gather(*(client_loop() for _ in range(CLIENTS)))
        return HIRES / (time.perf_counter() - started)
    finally:
        await db.dispose()


async def _city_summary(url: str) -> dict[str, Any]:
    report = await seed_staffing(url, build_city("city"), staff=ROSTER_SIZE["city"])
    db = Database(url)
    auditor = Principal(sub="bench:auditor", role="auditor")
    try:
        samples = []
        for _ in range(SUMMARY_RUNS):
            started = time.perf_counter()
            async with db.session(read_only=True) as session:
                await area_summary(session, auditor, None, local_today())
            samples.append(time.perf_counter() - started)
        return {"schools": report.schools, "staff": report.staff, **summary_ms(samples)}
    finally:
        await db.dispose()


async def run() -> dict[str, Any]:
    hires_url = await postgres_database("staffing")
    if hires_url is None:
        return {"skipped": "PostgreSQL not configured: set TP_TEST_DATABASE_URL"}
    root = scratch_dir()
    nats = start_nats(root)
    try:
        hires = await _hires(hires_url, nats.url, Identity(root / "keys"))
        plain = await _plain_updates(hires_url)
    finally:
        nats.stop()
    summary_url = await postgres_database("staffing")
    assert summary_url is not None
    summary = await _city_summary(summary_url)
    return {
        "clients": CLIENTS,
        **hires,
        "plain_updates_per_s": round(plain, 1),
        "hire_to_plain_ratio": round(hires["hires_per_s"] / plain, 3),
        "city_summary": summary,
        "city_summary_target_ms": 200,
    }
