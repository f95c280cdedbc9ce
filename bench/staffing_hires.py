"""Staffing on PostgreSQL: hires at 50 connections beside plain single-row updates, both over
HTTP from wrk, and the city summary over 4,000 schools and 200,000 staff.

Staffing runs as `teacherpool serve staffing` (uvicorn, uvloop, httptools) with a real
nats-server; the baseline is bare FastAPI (`bench.bare_app`) adding one to a row of a table of
20 counters through the project's own `Database`, with the same pool size. wrk posts at 50
connections to each in turn, three rounds, the order alternating: a hire into a random one of
20 schools (the request the seeded data and the UI make), or an update of a random one of the
20 counters. Beside them, the same bare FastAPI making a hire's writes alone (`POST
/v1/units/{id}/hires`: the person, the event, the ledger entry and the balance row, with no
caller, body, answer or relay), which shows what of a hire's cost is its writes and what the
service's handling of the request. Afterwards every balance is recomputed from the ledger
(`verify`) and the people on the roster counted against the hires answered: the figure only
counts if both agree.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from bench.support import (
    UPDATE_LUA,
    Served,
    add_counters,
    free_port,
    postgres_database,
    process_env,
    profiled,
    ranged,
    scratch_dir,
    spread,
    start_nats,
    summary_ms,
    wrk,
)
from common.auth import Principal, load_signer
from common.clock import local_today
from common.db import Database
from common.settings import CommonSettings
from services.staffing.ledger.service import verify_database
from services.staffing.seed import seed_staffing
from services.staffing.summaries.service import area_summary
from teacherpool.demo import ROSTER_SIZE, build_city

CONNECTIONS = 50
POOL_SIZE = 50
"""Both sides' pool: a connection for every client, so neither waits on its pool."""
ROUNDS = 3
SECONDS = float(os.environ.get("TP_BENCH_SECONDS", "8"))
SCHOOLS = 20
POSTS = 10_000
"""Per school: more than the fastest run could fill, so no hire is refused for want of one."""
SUMMARY_RUNS = 20

HIRE_LUA = """
local schools = {{{schools}}}
request = function()
  local unit = schools[math.random(#schools)]
  local body = '{{"unit_id":"' .. unit .. '","name":"压测","sex":"female",' ..
    '"birth_date":"1990-01-01","subject":"数学","stage":"primary"}}'
  local headers = {{}}
  for name, value in pairs(wrk.headers) do headers[name] = value end
  headers["Content-Type"] = "application/json"
  return wrk.format("POST", "/v1/staff", headers, body)
end
"""

BARE_HIRE_LUA = """
local schools = {{{schools}}}
request = function()
  return wrk.format("POST", "/v1/units/" .. schools[math.random(#schools)] .. "/hires")
end
"""


async def _rounds(url: str, nats_url: str, var: Path) -> dict[str, Any]:
    """Hires at the served staffing and plain updates at bare FastAPI, in turns."""
    await add_counters(url)
    staffing_port, bare_port = free_port(), free_port()
    env = process_env(
        var,
        TP_NATS_URL=nats_url,
        TP_STAFFING_DATABASE_URL=url,
        TP_STAFFING_PORT=str(staffing_port),
        TP_STAFFING_DB_POOL_SIZE=str(POOL_SIZE),
    )
    commission = load_signer(CommonSettings(var_dir=var)).sign(
        Principal(sub="user:commission", role="staffing_commission"),
        audience="staffing",
        ttl=3600,
    )
    headers = {"Authorization": f"Bearer {commission}"}
    staffing = Served("staffing", env, port=staffing_port)
    bare = Served(
        "bare",
        env | {"TP_BENCH_BARE_DATABASE_URL": url, "TP_BENCH_BARE_POOL_SIZE": str(POOL_SIZE)},
        port=bare_port,
        app="bench.bare_app:app",
    )
    profile = os.environ.get("TP_BENCH_PROFILE")
    hires: list[dict[str, float]] = []
    updates: list[dict[str, float]] = []
    bare_hires: list[dict[str, float]] = []
    warmups: list[dict[str, float]] = []
    try:
        await staffing.ready()
        await bare.ready()
        schools = await _schools(staffing.url, headers)
        quoted = ",".join(f'"{s}"' for s in schools)
        paths = {
            "hires": (staffing.url, headers, HIRE_LUA.format(schools=quoted), hires),
            "updates": (bare.url, {}, UPDATE_LUA, updates),
            "bare_hires": (bare.url, {}, BARE_HIRE_LUA.format(schools=quoted), bare_hires),
        }
        for target, extra, script, _ in paths.values():  # warm up: connections, statements
            warmups.append(
                await asyncio.to_thread(
                    wrk, target, connections=4, seconds=1, headers=extra, script=script
                )
            )
        for n in range(ROUNDS):
            for name in list(paths) if n % 2 == 0 else list(paths)[::-1]:
                target, extra, script, into = paths[name]
                spies = (
                    profiled({"staffing": staffing, "bare": bare}, SECONDS, Path(profile), name)
                    if profile and n == 0
                    else []
                )
                into.append(
                    await asyncio.to_thread(
                        wrk,
                        target,
                        connections=CONNECTIONS,
                        seconds=SECONDS,
                        headers=extra,
                        script=script,
                    )
                )
                for spy in spies:
                    spy.wait()
    finally:
        bare.stop()
        staffing.stop()
    errors = sum(r["errors"] + r["non_2xx"] for r in (*warmups, *hires, *updates, *bare_hires))
    differences = await verify_database(url)
    db = Database(url, pool_size=2)
    try:
        async with db.session(read_only=True) as session:
            on_roster = (await session.execute(text("SELECT count(*) FROM staff"))).scalar_one()
    finally:
        await db.dispose()
    answered = sum(
        r["requests"] - r["non_2xx"] for r in (warmups[0], warmups[2], *hires, *bare_hires)
    )
    ratios = [h["rps"] / u["rps"] for h, u in zip(hires, updates, strict=True)]
    bare_ratios = [h["rps"] / u["rps"] for h, u in zip(bare_hires, updates, strict=True)]
    return {
        "hires_per_s": spread([r["rps"] for r in hires], 1),
        "plain_updates_per_s": spread([r["rps"] for r in updates], 1),
        "hire_to_plain_ratio": spread(ratios),
        "hire_to_plain_target": 0.5,
        "bare_hires_per_s": spread([r["rps"] for r in bare_hires], 1),
        "bare_hire_to_plain_ratio": spread(bare_ratios),
        "hire_p50_ms": spread([r["p50_ms"] for r in hires]),
        "hire_p99_ms": spread([r["p99_ms"] for r in hires]),
        "update_p50_ms": spread([r["p50_ms"] for r in updates]),
        "errors": errors,
        "hires_answered": answered,
        # wrk stops mid-request at the end of a run: a hire committed as it stopped was never
        # counted, so the roster may hold a few more than were answered, never fewer.
        "staff_on_roster": on_roster,
        "ledger_differences": len(differences),
        # What staffing logged, should any request have failed (the answer's status is not kept).
        "staffing_log": staffing.logged[-4000:] if errors else "",
        "rounds": {"hires": hires, "updates": updates, "bare_hires": bare_hires},
    }


async def _schools(base: str, headers: dict[str, str]) -> list[str]:
    """A district of SCHOOLS schools, each with POSTS approved posts, made through the API."""
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:

        async def ok(path: str, body: dict[str, Any]) -> dict[str, Any]:
            response = await client.post(path, json=body)
            assert response.status_code < 300, response.text
            return dict(response.json())

        district = await ok("/v1/units", {"kind": "district", "code": "BENCH", "name": "区BENCH"})
        schools = []
        for n in range(SCHOOLS):
            school = await ok(
                "/v1/units",
                {
                    "kind": "school",
                    "code": f"B{n}",
                    "name": f"学校B{n}",
                    "district_id": district["id"],
                    "stages": ["primary", "junior"],
                    "lat": 30.66,
                    "lon": 104.06,
                },
            )
            await ok(
                f"/v1/units/{school['id']}/adjustments",
                {
                    "quota_type": "bianzhi",
                    "delta": POSTS,
                    "document_no": f"成编〔2026〕{n + 1}号",
                    "reason": "核定",
                },
            )
            schools.append(school["id"])
        return schools


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
        hires = await _rounds(hires_url, nats.url, root / "var")
    finally:
        nats.stop()
    if os.environ.get("TP_BENCH_HIRES_ONLY"):  # the summary seeds 200,000 staff first
        return {"connections": CONNECTIONS, "seconds_each": SECONDS, **hires}
    summary_url = await postgres_database("staffing")
    assert summary_url is not None
    summary = await _city_summary(summary_url)
    return {
        "connections": CONNECTIONS,
        "seconds_each": SECONDS,
        **hires,
        "city_summary": summary,
        "city_summary_target_ms": 200,
    }


def rows(figures: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The README's lines: the ratio as the median of three rounds with the range."""
    if "skipped" in figures:
        return []
    out = [
        (
            f"hires `POST /v1/staff` at staffing beside bare FastAPI making one single-row "
            f"`UPDATE`, {figures['connections']} connections each, PostgreSQL",
            "hires / plain updates (goal ≥ 0.5, ledger exact)",
            f"{ranged(figures['hire_to_plain_ratio'])}; "
            f"{figures['hires_per_s']['median']} vs {figures['plain_updates_per_s']['median']} "
            f"req/s; hire p50 {figures['hire_p50_ms']['median']} ms, p99 "
            f"{figures['hire_p99_ms']['median']} ms; {figures['errors']} errors; "
            f"{figures['hires_answered']} hires answered, {figures['staff_on_roster']} on "
            f"the roster, {figures['ledger_differences']} ledger differences; bare FastAPI "
            f"making a hire's writes alone / plain updates "
            f"{ranged(figures['bare_hire_to_plain_ratio'])}, "
            f"{figures['bare_hires_per_s']['median']} req/s",
        )
    ]
    summary = figures.get("city_summary")
    if summary:
        out.append(
            (
                f"city summary, {summary['schools']:,} schools and {summary['staff']:,} staff",
                "p50 / p99 (goal ≤ 200 ms)",
                f"{summary['p50_ms']} ms / {summary['p99_ms']} ms",
            )
        )
    return out
