"""Shared pieces of the benchmarks: a scratch nats-server, databases, percentiles."""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
from pathlib import Path

from common.migrations import upgrade
from tests.support import NatsServer

PG_URL = os.environ.get("TP_BENCH_DATABASE_URL") or os.environ.get("TP_TEST_DATABASE_URL")


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary_ms(samples: list[float]) -> dict[str, float]:
    """p50, p99 and mean of samples given in seconds, in milliseconds."""
    return {
        "p50_ms": round(percentile(samples, 50) * 1000, 2),
        "p99_ms": round(percentile(samples, 99) * 1000, 2),
        "mean_ms": round(statistics.fmean(samples) * 1000, 2) if samples else float("nan"),
    }


def scratch_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="tp-bench-"))


def start_nats(root: Path) -> NatsServer:
    server = NatsServer(root / "nats")
    server.start()
    return server


async def sqlite_database(root: Path, service: str) -> str:
    url = f"sqlite+aiosqlite:///{root / f'{service}.db'}"
    await asyncio.to_thread(upgrade, service, url)
    return url


async def postgres_database(service: str) -> str | None:
    """A fresh, migrated PostgreSQL database for `service`, or None when none is configured."""
    if not PG_URL:
        return None
    import asyncpg

    base, _, _ = PG_URL.rpartition("/")
    name = f"tp_bench_{service}"
    admin = await asyncpg.connect(PG_URL.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = f"{base}/{name}"
    await asyncio.to_thread(upgrade, service, url)
    return url
