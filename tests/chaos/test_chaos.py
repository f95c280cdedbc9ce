"""Chaos proof: a mixed workload while processes die, then every side agrees.

One system per database runs every seed in turn, each seed a new district with its own
workload and kills, and the check covers everything since the system started. The normal
suite runs one seed on each database; `make chaos` runs `TP_CHAOS_SEEDS` (default 1-50) on
both. A failing seed runs again alone with `TP_CHAOS_SEEDS=<seed> make chaos`.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator

import pytest

from common.migrations import SERVICES as DATABASES
from tests.chaos.system import Launched, chaos_run, running_system, seeds_from
from tests.support import PG_ENV, PG_MISSING, Databases

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.xdist_group("e2e"),
    pytest.mark.timeout(900),
]

SEEDS = seeds_from(os.environ.get("TP_CHAOS_SEEDS", "1"))
#: Workload steps per seed: a short round in the normal suite, longer under `make chaos`.
STEPS = int(os.environ.get("TP_CHAOS_STEPS", "12"))


@pytest.fixture(scope="module")
def sqlite_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Launched]:
    with running_system(tmp_path_factory.mktemp("chaos-sqlite")) as system:
        yield system


@pytest.fixture(scope="module")
def postgresql_system(
    tmp_path_factory: pytest.TempPathFactory, databases: Databases
) -> Iterator[Launched]:
    if not os.environ.get(PG_ENV):
        pytest.skip(PG_MISSING)

    async def create() -> dict[str, str]:
        return {name: await databases.create(name, "postgresql") for name in DATABASES}

    urls = asyncio.run(create())
    try:
        with running_system(tmp_path_factory.mktemp("chaos-postgresql"), urls) as system:
            yield system
    finally:
        asyncio.run(databases.drop_created())


@pytest.mark.parametrize("seed", SEEDS)
async def test_after_kills_and_restarts_reconcile_and_verify_report_nothing_on_sqlite(
    sqlite_system: Launched, seed: int
):
    print(await chaos_run(sqlite_system, seed, STEPS))


@pytest.mark.parametrize("seed", SEEDS)
async def test_after_kills_and_restarts_reconcile_and_verify_report_nothing_on_postgresql(
    postgresql_system: Launched, seed: int
):
    print(await chaos_run(postgresql_system, seed, STEPS))
