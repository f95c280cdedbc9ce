"""Chaos proof: a mixed workload while processes die, then every side agrees.

One system per database runs every seed in turn, each seed a new district with its own
workload and kills, and the check covers everything since the system started. The normal
suite runs one seed on each database; `make chaos` runs `TP_CHAOS_SEEDS` (default 1-50) on
both, the two databases side by side on two xdist workers. A failing seed runs again alone with
`TP_CHAOS_SEEDS=<seed> make chaos`.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import uuid
from collections.abc import Iterator

import httpx
import pytest

from common.bus import DLQ_STREAM, Bus
from common.deadletters import DeadLetter, dead_letter, dead_letters
from common.migrations import SERVICES as DATABASES
from common.settings import CommonSettings
from tests.chaos.system import (
    Calls,
    Launched,
    Workload,
    build_city,
    chaos_run,
    running_system,
    seeds_from,
)
from tests.gateway.support import PASSWORD, add_user
from tests.support import PG_ENV, PG_MISSING, Databases

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(900)]
#: The tests that share a system run on one worker, which starts it once; the PostgreSQL
#: rounds have a system of their own and may run beside the SQLite ones on another worker.
ON_THE_SQLITE_SYSTEM = pytest.mark.xdist_group("chaos-sqlite")
ON_THE_POSTGRESQL_SYSTEM = pytest.mark.xdist_group("chaos-postgresql")

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


@ON_THE_SQLITE_SYSTEM
@pytest.mark.parametrize("seed", SEEDS)
async def test_after_kills_and_restarts_reconcile_and_verify_report_nothing_on_sqlite(
    sqlite_system: Launched, seed: int
):
    print(await chaos_run(sqlite_system, seed, STEPS))


@ON_THE_POSTGRESQL_SYSTEM
@pytest.mark.parametrize("seed", SEEDS)
async def test_after_kills_and_restarts_reconcile_and_verify_report_nothing_on_postgresql(
    postgresql_system: Launched, seed: int
):
    print(await chaos_run(postgresql_system, seed, STEPS))


@ON_THE_SQLITE_SYSTEM
async def test_city_hr_sees_the_report_and_replays_a_dead_letter(sqlite_system: Launched):
    """The reconciliation page on the system the chaos rounds left: all agree, then a dead
    letter appears with its reason, and city HR's replay asks the service that parked it to
    apply it again: still malformed, it stays on the list with the reason. NATS enforces the
    launcher's users throughout: the poison is talent's to publish, the gateway publishes
    nothing for the replay."""
    gateway_db = f"sqlite+aiosqlite:///{sqlite_system.root}/var/gateway.db"
    await add_user(gateway_db, "chaos.cityhr", "city_hr")
    common = CommonSettings(
        var_dir=sqlite_system.root / "var", nats_url=sqlite_system.env["TP_NATS_URL"]
    )
    talent = Bus(common.nats_url_for("talent"), name="talent")
    staffing = Bus(common.nats_url_for("staffing"), name="staffing")
    assert talent.url != sqlite_system.env["TP_NATS_URL"], "the launcher generated no users"
    await talent.connect()
    await staffing.connect()
    async with httpx.AsyncClient(base_url=sqlite_system.url("gateway"), timeout=60) as client:
        try:
            form = await client.get("/login")
            token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
            assert token is not None
            signed = await client.post(
                "/login",
                data={
                    "username": "chaos.cityhr",
                    "password": PASSWORD,
                    "csrf_token": token.group(1),
                    "next": "/reconciliation",
                },
                follow_redirects=True,
            )
            assert signed.status_code == 200, signed.text
            assert 'data-testid="reconciliation-clean"' in signed.text

            # A message no consumer can read is parked at once with the reason.
            await talent.js.publish(
                "talent.posting.opened", b"{not json", headers={"Nats-Msg-Id": "chaos-poison"}
            )

            async def parked() -> list[DeadLetter]:
                return await dead_letters(staffing.js, service="staffing")

            (letter,) = await Calls(sqlite_system).until(parked, timeout=60)
            page = await client.get("/reconciliation")
            assert f'data-testid="replay-{letter.sequence}"' in page.text
            assert "malformed event" in page.text
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert csrf is not None
            replayed = await client.post(
                f"/reconciliation/dead-letters/{letter.sequence}/replay",
                data={"csrf_token": csrf.group(1)},
                follow_redirects=True,
            )
            assert replayed.status_code == 200
            flash = re.search(r'data-testid="form-error">([^<]*)<', replayed.text)
            assert flash is not None and "malformed event" in flash.group(1), replayed.text
            assert (await dead_letter(staffing.js, letter.sequence)).sequence == letter.sequence
            # Other consumers of talent's stream park their own copy; staffing's stays listed.
            staffing_letters = await dead_letters(staffing.js, service="staffing")
            assert [d.sequence for d in staffing_letters] == [letter.sequence]
        finally:
            for left in await dead_letters(staffing.js):
                await staffing.js.delete_msg(DLQ_STREAM, left.sequence)
            await talent.close()
            await staffing.close()


@ON_THE_SQLITE_SYSTEM
async def test_a_hire_on_a_control_posting_reaches_the_roster(sqlite_system: Launched):
    """A 两自一包 posting reserves control posts like every quota type; its hire lands."""
    calls = Calls(sqlite_system)
    try:
        rng = random.Random(0)
        city = await build_city(calls, rng, f"control-{uuid.uuid4().hex[:4]}")
        workload = Workload(calls, city, rng)
        await workload.hire_through_talent(rng, "control")
        assert calls.outcomes["move to hired ok"] == 1, calls.refusals
        reconcile = await asyncio.to_thread(
            sqlite_system.run, "reconcile", "--wait", "60", "--grace", "30"
        )
        assert reconcile.returncode == 0, reconcile.stdout
    finally:
        await calls.close()
