"""Staffing on PostgreSQL: hires per second at 50 concurrent clients beside plain single-row
updates (three rounds, taking turns), and the city summary over 4,000 schools and 200,000
staff."""

from __future__ import annotations

import asyncio
import os
import random
import statistics
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
HIRES = 400
"""Per round, and as many plain updates."""
ROUNDS = 3
SCHOOLS = 20
SUMMARY_RUNS = 20


async def _rounds(url: str, nats_url: str, identity: Identity) -> dict[str, Any]:
    """Hires through the service's API and plain updates on the same database, in turns."""
    settings = service_settings(StaffingSettings, identity, url, nats_url, db_pool_size=CLIENTS)
    app = create_app(settings)
    db = Database(url, pool_size=2)
    async with db.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE bench_counter (id int PRIMARY KEY, n int)"))
        await conn.execute(
            text("INSERT INTO bench_counter SELECT g, 0 FROM generate_series(1, :n) g"),
            {"n": SCHOOLS},
        )
    rounds: list[dict[str, Any]] = []
    try:
        async with running(app) as client:
            api = Api(client, identity, app.state.db)
            district = await api.district("BENCH")
            schools = [
                (await api.school(district["id"], f"B{n}", posts=HIRES * ROUNDS))["id"]
                for n in range(SCHOOLS)
            ]
            for _ in range(ROUNDS):
                # A fresh token each round: on a busy machine a round can outlast one.
                headers = api.headers(COMMISSION)
                hires, latencies = await _hires(client, headers, schools)
                # The service's own pool, so both sides have the same 50 connections (and the
                # server's connection limit is not spent twice).
                plain = await _plain_updates(app.state.db)
                rounds.append(
                    {
                        "hires_per_s": round(hires, 1),
                        "plain_updates_per_s": round(plain, 1),
                        "ratio": round(hires / plain, 3),
                        "hire_latency": summary_ms(latencies),
                    }
                )
            differences = await api.verify()
    finally:
        await db.dispose()
    ratios = [r["ratio"] for r in rounds]
    return {
        "rounds": rounds,
        "hire_to_plain_ratio_median": statistics.median(ratios),
        "hire_to_plain_ratio_spread": [min(ratios), max(ratios)],
        "hire_to_plain_target": 0.5,
        "ledger_differences": len(differences),
    }


async def _hires(client: Any, headers: dict[str, str], schools: list[str]) -> tuple[float, list]:
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
    return HIRES / (time.perf_counter() - started), latencies


async def _plain_updates(db: Database) -> float:
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
    hires_url = await postgres_database("staffing", "hires")
    if hires_url is None:
        return {"skipped": "PostgreSQL not configured: set TP_TEST_DATABASE_URL"}
    root = scratch_dir()
    nats = start_nats(root)
    try:
        hires = await _rounds(hires_url, nats.url, Identity(root / "keys"))
    finally:
        nats.stop()
    if os.environ.get("TP_BENCH_HIRES_ONLY"):  # the summary seeds 200,000 staff first
        return {"clients": CLIENTS, **hires}
    summary_url = await postgres_database("staffing")
    assert summary_url is not None
    summary = await _city_summary(summary_url)
    return {
        "clients": CLIENTS,
        **hires,
        "city_summary": summary,
        "city_summary_target_ms": 200,
    }
