"""Partner intake through the gateway, and a partner's read with its API key beside the same
read with a bearer token, measured from outside by wrk.

The talent service and the gateway run as `teacherpool serve` processes (uvicorn, uvloop,
httptools) with a real nats-server, rate limits raised for the measurement; the key is made by
city HR through `/api/auth/v1/partners`, as the recruitment site gets one. Every pushed person is
new (a valid GB 11643 ID number with its check digit) and every request has its own
Idempotency-Key, made by the Lua script below in wrk itself.

Three rounds; in each, the intake, then a reference (`bench.bare_proxy` in front of
`bench.bare_app` making one single-row update in the same database, at the same connections:
what this machine does in that run with a hop and a write and nothing else), then the two reads
taking turns. Goals: intake at 50 connections ≥ 800 requests/s with p99 ≤ 100 ms and no errors
on PostgreSQL, ≥ 300/s on SQLite; API key / bearer read ≥ 0.9.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from bench.support import (
    UPDATE_LUA,
    Served,
    add_counters,
    free_port,
    postgres_database,
    process_env,
    profiled,
    ranged,
    ratio,
    scratch_dir,
    spread,
    sqlite_database,
    start_nats,
    wrk,
)
from tests.gateway.support import PASSWORD, add_user

ROUNDS = 3
INTAKE_CONNECTIONS = 50
READ_CONNECTIONS = 32
SECONDS = float(os.environ.get("TP_BENCH_SECONDS", "8"))
READ = "/api/talent/v1/postings?limit=1"
INTAKE = "/api/talent/v1/candidates"

#: Each request a new person: ID numbers from a per-run offset, per-thread counters, the birth
#: date walking forward a day every thousand people from 1 Jan 1990, so everyone is born
#: between 1990 and 2022 (the service refuses a birth date after today; a run's at most
#: 12,000,000 people, with rounds 3,000,000 apart and threads 100,000 apart); the GB 11643 check
#: digit computed here.
INTAKE_LUA = """
local offset = {offset}
local nonce = "{nonce}"
local weights = {{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}}
local checks = "10X98765432"
local threads = 0
local tid = 0
local count = 0

setup = function(thread)
  thread:set("tid", threads)
  threads = threads + 1
end

local function id_number(n)
  local born = os.date("!%Y%m%d", 86400 * (7305 + math.floor(n / 1000)))
  local first17 = "510105" .. born .. string.format("%03d", n % 1000)
  local total = 0
  for i = 1, 17 do
    total = total + tonumber(first17:sub(i, i)) * weights[i]
  end
  local at = total % 11 + 1
  return first17 .. checks:sub(at, at)
end

request = function()
  count = count + 1
  local n = offset + tid * 100000 + count
  local body = string.format(
    '{{"name":"候选人%d","id_number":"%s","phone":"139%08d","email":"c%d@example.cn",' ..
    '"degree":"master","major":"数学","talent_tier":"C","source":"website",' ..
    '"external_id":"ext-%d","consent":true}}',
    n, id_number(n), n % 100000000, n, n)
  local headers = {{}}
  for name, value in pairs(wrk.headers) do headers[name] = value end
  headers["Content-Type"] = "application/json"
  headers["Idempotency-Key"] = nonce .. "-" .. tid .. "-" .. count
  return wrk.format("POST", "{path}", headers, body)
end
"""


def intake_script(offset: int) -> str:
    return INTAKE_LUA.format(offset=offset, nonce=secrets.token_hex(6), path=INTAKE)


@asynccontextmanager
async def _system(
    var: Path, talent_db: str, gateway_db: str, nats_url: str
) -> AsyncIterator[tuple[str, dict[str, str], dict[str, str], dict[str, Served]]]:
    """Talent and gateway served; the gateway URL, the partner's and city HR's headers."""
    await add_user(gateway_db, "cityhr", "city_hr")
    talent_port, gateway_port = free_port(), free_port()
    env = process_env(
        var,
        TP_NATS_URL=nats_url,
        TP_TALENT_DATABASE_URL=talent_db,
        TP_TALENT_PORT=str(talent_port),
        TP_GATEWAY_DATABASE_URL=gateway_db,
        TP_GATEWAY_PORT=str(gateway_port),
        TP_GATEWAY_TALENT_URL=f"http://127.0.0.1:{talent_port}",
        TP_GATEWAY_CONSUME_EVENTS="false",
        TP_GATEWAY_RATE_LIMIT_KEY_PER_MINUTE="100000000",
        TP_GATEWAY_RATE_LIMIT_USER_PER_MINUTE="100000000",
    )
    talent = Served("talent", env, port=talent_port)
    gateway = Served("gateway", env, port=gateway_port)
    try:
        await talent.ready()
        await gateway.ready()
        async with httpx.AsyncClient(base_url=gateway.url, timeout=30) as client:
            token = await client.post(
                "/api/auth/v1/token",
                data={"grant_type": "password", "username": "cityhr", "password": PASSWORD},
            )
            token.raise_for_status()
            hr = {"Authorization": f"Bearer {token.json()['access_token']}"}
            created = await client.post(
                "/api/auth/v1/partners",
                json={
                    "name": "bench site",
                    "scopes": ["postings:read", "candidates:write", "applications:write"],
                },
                headers=hr,
            )
            created.raise_for_status()
            made = await client.post(
                f"/api/auth/v1/partners/{created.json()['id']}/keys", json={}, headers=hr
            )
            made.raise_for_status()
            partner = {"X-API-Key": made.json()["api_key"]}
        yield gateway.url, partner, hr, {"talent": talent, "gateway": gateway}
    finally:
        gateway.stop()
        talent.stop()


@asynccontextmanager
async def _reference(var: Path, database_url: str) -> AsyncIterator[str]:
    """The bare proxy in front of bare FastAPI adding one to a row of the talent database: a
    hop and a one-row write with nothing else, the URL wrk posts to."""
    await add_counters(database_url)
    env = process_env(var)
    bare = Served(
        "bare",
        env | {"TP_BENCH_BARE_DATABASE_URL": database_url},
        port=free_port(),
        app="bench.bare_app:app",
    )
    proxy = Served(
        "proxy", env | {"TP_BENCH_PROXY_TO": bare.url}, port=free_port(), app="bench.bare_proxy:app"
    )
    try:
        await bare.ready()
        await proxy.ready()
        yield proxy.url
    finally:
        proxy.stop()
        bare.stop()


async def _measure(var: Path, talent_db: str, gateway_db: str, nats_url: str) -> dict[str, Any]:
    profile = os.environ.get("TP_BENCH_PROFILE")
    async with (
        _system(var, talent_db, gateway_db, nats_url) as (url, partner, hr, served),
        _reference(var, talent_db) as reference_url,
    ):
        kind = "pg" if talent_db.startswith("postgresql") else "sqlite"
        await asyncio.to_thread(
            wrk, url + INTAKE, connections=10, seconds=2, headers=partner, script=intake_script(0)
        )
        await asyncio.to_thread(wrk, reference_url, connections=10, seconds=1, script=UPDATE_LUA)
        intake: list[dict[str, float]] = []
        reference: list[dict[str, float]] = []
        by_key: list[dict[str, float]] = []
        by_bearer: list[dict[str, float]] = []
        for n in range(1, ROUNDS + 1):
            spies = profiled(served, SECONDS, Path(profile), f"intake-{kind}") if profile else []
            intake.append(
                await asyncio.to_thread(
                    wrk,
                    url + INTAKE,
                    connections=INTAKE_CONNECTIONS,
                    seconds=SECONDS,
                    headers=partner,
                    script=intake_script(n * 3_000_000),
                )
            )
            for spy in spies:
                spy.wait()
            reference.append(
                await asyncio.to_thread(
                    wrk,
                    reference_url,
                    connections=INTAKE_CONNECTIONS,
                    seconds=SECONDS,
                    script=UPDATE_LUA,
                )
            )
            # Each read runs twice a round, in turn, so neither always follows the intake.
            for order in ((partner, by_key), (hr, by_bearer), (hr, by_bearer), (partner, by_key)):
                headers, into = order
                into.append(
                    await asyncio.to_thread(
                        wrk,
                        url + READ,
                        connections=READ_CONNECTIONS,
                        seconds=SECONDS / 2,
                        headers=headers,
                    )
                )
    key_rps = [a["rps"] + b["rps"] for a, b in zip(by_key[::2], by_key[1::2], strict=True)]
    bearer_rps = [a["rps"] + b["rps"] for a, b in zip(by_bearer[::2], by_bearer[1::2], strict=True)]
    return {
        "intake_rps": spread([r["rps"] for r in intake], 1),
        "intake_p50_ms": spread([r["p50_ms"] for r in intake], 1),
        "intake_p99_ms": spread([r["p99_ms"] for r in intake], 1),
        "intake_errors": sum(r["errors"] + r["non_2xx"] for r in intake),
        "reference_rps": spread([r["rps"] for r in reference], 1),
        "intake_over_reference": spread(
            [ratio(i["rps"], r["rps"]) for i, r in zip(intake, reference, strict=True)]
        ),
        "reference_errors": sum(r["errors"] + r["non_2xx"] for r in reference),
        "key_read_rps": spread([r / 2 for r in key_rps], 1),
        "bearer_read_rps": spread([r / 2 for r in bearer_rps], 1),
        "key_over_bearer": spread([ratio(k, b) for k, b in zip(key_rps, bearer_rps, strict=True)]),
        "read_errors": sum(r["errors"] + r["non_2xx"] for r in by_key + by_bearer),
        "rounds": {
            "intake": intake,
            "reference": reference,
            "key_read": by_key,
            "bearer_read": by_bearer,
        },
    }


async def run() -> dict[str, Any]:
    root = scratch_dir()
    nats = start_nats(root)
    try:
        figures: dict[str, Any] = {
            "path": "wrk → gateway (X-API-Key) → talent, `teacherpool serve` processes",
            "intake_connections": INTAKE_CONNECTIONS,
            "read_connections": READ_CONNECTIONS,
            "read": READ,
            "seconds_each": SECONDS,
            "sqlite": await _measure(
                root / "sqlite",
                await sqlite_database(root, "talent"),
                await sqlite_database(root, "gateway"),
                nats.url,
            ),
        }
        pg_talent = await postgres_database("talent", "intake")
        pg_gateway = await postgres_database("gateway", "intake")
        if pg_talent and pg_gateway:
            figures["postgresql"] = await _measure(root / "pg", pg_talent, pg_gateway, nats.url)
        return figures
    finally:
        nats.stop()


if __name__ == "__main__":
    print(json.dumps(asyncio.run(run()), indent=2, ensure_ascii=False))


def rows(figures: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The README's lines: medians of three rounds with the range."""
    out = []
    for db, label, goal in (
        ("postgresql", "PostgreSQL", "≥ 800 req/s, p99 ≤ 100 ms, 0 errors"),
        ("sqlite", "SQLite", "≥ 300 req/s"),
    ):
        f = figures.get(db)
        if f is None:
            continue
        out.append(
            (
                f"partner intake `POST {INTAKE}` (X-API-Key, Idempotency-Key) through the "
                f"gateway, {INTAKE_CONNECTIONS} connections, {label}",
                f"req/s, p99, errors (goal {goal})",
                f"{ranged(f['intake_rps'])} req/s; p99 {ranged(f['intake_p99_ms'], ' ms')}; "
                f"{f['intake_errors']} errors; the same run's reference (a bare proxy in front "
                f"of bare FastAPI making one single-row update, same database) "
                f"{ranged(f['reference_rps'])} req/s, intake / reference "
                f"{ranged(f['intake_over_reference'])}",
            )
        )
    for db, label in (("postgresql", "PostgreSQL"), ("sqlite", "SQLite")):
        f = figures.get(db)
        if f is None:
            continue
        out.append(
            (
                f"partner read `GET {READ}` with an API key beside a bearer token, "
                f"{READ_CONNECTIONS} connections, {label}",
                "key / bearer (goal ≥ 0.9)",
                f"{ranged(f['key_over_bearer'])}; {f['key_read_rps']['median']} vs "
                f"{f['bearer_read_rps']['median']} req/s",
            )
        )
    return out
