"""A service's list read (20 units) beside bare FastAPI answering the same JSON from memory, and
the same read through the gateway beside it straight at the service; wrk from outside.

Staffing, the gateway and the bare app (`bench.bare_app`) run as uvicorn processes (uvloop,
httptools) on loopback, rate limits raised; wrk loads each in its own process. Three rounds on
SQLite and on PostgreSQL; in each round the paths take turns, and every figure is the median of
the rounds' ratios with their spread:

- service / bare at 32 connections flat out (goal ≥ 0.5);
- gateway / direct at 32 connections flat out (goal ≥ 0.95), beside a bare proxy
  (`bench.bare_proxy`: uvicorn and aiohttp's client, nothing else) / direct, the floor of any
  hop on this stack;
- p50 the gateway adds at a paced 50 requests/s (goal ≤ 0.5 ms), the two paths in turn, beside
  bare FastAPI's own p50 at that pace and the p50 the bare proxy adds: what one hop to an idle
  process costs on the machine.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import httpx

from bench.support import (
    Served,
    free_port,
    postgres_database,
    process_env,
    profiled,
    ranged,
    ratio,
    scratch_dir,
    spread,
    sqlite_database,
    wrk,
)
from common.auth import Principal, load_signer
from common.settings import CommonSettings
from services.staffing.seed import seed_staffing
from teacherpool.demo import build_city
from tests.gateway.support import PASSWORD, add_user

ROUNDS = 3
CONNECTIONS = 32
SECONDS = float(os.environ.get("TP_BENCH_SECONDS", "5"))
PACED_RATE = 50.0
PACED_CONNECTIONS = 5
READ = "/v1/units?limit=20"


async def _measure(var: Path, staffing_db: str, gateway_db: str) -> dict[str, Any]:
    await seed_staffing(staffing_db, build_city(), staff=200)
    await add_user(gateway_db, "cityhr", "city_hr")
    profile = os.environ.get("TP_BENCH_PROFILE")
    staffing_port, gateway_port, bare_port = free_port(), free_port(), free_port()
    env = process_env(
        var,
        TP_STAFFING_DATABASE_URL=staffing_db,
        TP_STAFFING_PORT=str(staffing_port),
        TP_GATEWAY_DATABASE_URL=gateway_db,
        TP_GATEWAY_PORT=str(gateway_port),
        TP_GATEWAY_STAFFING_URL=f"http://127.0.0.1:{staffing_port}",
        TP_GATEWAY_CONSUME_EVENTS="false",
        TP_GATEWAY_RATE_LIMIT_USER_PER_MINUTE="100000000",
    )
    internal = load_signer(CommonSettings(var_dir=var)).sign(
        Principal(sub="user:cityhr", role="city_hr"), audience="staffing", ttl=1800
    )
    direct_headers = {"Authorization": f"Bearer {internal}"}
    staffing = Served("staffing", env, port=staffing_port)
    gateway = Served("gateway", env, port=gateway_port)
    bare: Served | None = None
    proxy: Served | None = None
    try:
        await staffing.ready()
        await gateway.ready()
        async with httpx.AsyncClient(timeout=30) as client:
            page = await client.get(staffing.url + READ, headers=direct_headers)
            page.raise_for_status()
            assert len(page.json()["data"]) == 20, page.text
            body = var / "bare-page.json"
            body.write_bytes(page.content)
            token = await client.post(
                gateway.url + "/api/auth/v1/token",
                data={"grant_type": "password", "username": "cityhr", "password": PASSWORD},
            )
            token.raise_for_status()
        gateway_headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        bare = Served(
            "bare",
            env | {"TP_BENCH_BARE_BODY": str(body)},
            port=bare_port,
            app="bench.bare_app:app",
        )
        proxy = Served(
            "proxy",
            env | {"TP_BENCH_PROXY_TO": staffing.url},
            port=free_port(),
            app="bench.bare_proxy:app",
        )
        await bare.ready()
        await proxy.ready()
        paths = {
            "bare": (bare.url + READ, {}),
            "service": (staffing.url + READ, direct_headers),
            "gateway": (gateway.url + "/api/staffing" + READ, gateway_headers),
            "proxy": (proxy.url + READ, direct_headers),
        }
        for url, headers in paths.values():  # warm up: connections, caches, compiled queries
            await asyncio.to_thread(wrk, url, connections=4, seconds=1, headers=headers)
        flat: dict[str, list[dict[str, float]]] = {name: [] for name in paths}
        paced: dict[str, list[dict[str, float]]] = {name: [] for name in paths}
        for n in range(ROUNDS):
            # Turns in a different order each round, so no path always follows the same one.
            order = list(paths)[n:] + list(paths)[:n]
            for name in order:
                url, headers = paths[name]
                label = f"{name}-{'pg' if staffing_db.startswith('postgresql') else 'sqlite'}"
                spies = (
                    profiled(
                        {"staffing": staffing, "gateway": gateway, "bare": bare, "proxy": proxy},
                        SECONDS,
                        Path(profile),
                        label,
                    )
                    if profile and n == 0
                    else []
                )
                flat[name].append(
                    await asyncio.to_thread(
                        wrk, url, connections=CONNECTIONS, seconds=SECONDS, headers=headers
                    )
                )
                for spy in spies:
                    spy.wait()
            # Bare FastAPI paced too: its p50 is what any hop to an idle process costs here.
            turns = tuple(paths)
            for name in turns if n % 2 == 0 else turns[::-1]:
                url, headers = paths[name]
                paced[name].append(
                    await asyncio.to_thread(
                        wrk,
                        url,
                        connections=PACED_CONNECTIONS,
                        seconds=SECONDS,
                        headers=headers,
                        paced_rate=PACED_RATE,
                    )
                )
    finally:
        for served in (proxy, bare, gateway, staffing):
            if served is not None:
                served.stop()

    def rps(name: str) -> list[float]:
        return [r["rps"] for r in flat[name]]

    return {
        "bare_rps": spread(rps("bare"), 1),
        "service_rps": spread(rps("service"), 1),
        "gateway_rps": spread(rps("gateway"), 1),
        "service_over_bare": spread(
            [ratio(s, b) for s, b in zip(rps("service"), rps("bare"), strict=True)]
        ),
        "gateway_over_direct": spread(
            [ratio(g, s) for g, s in zip(rps("gateway"), rps("service"), strict=True)]
        ),
        "proxy_rps": spread(rps("proxy"), 1),
        "proxy_over_direct": spread(
            [ratio(p, s) for p, s in zip(rps("proxy"), rps("service"), strict=True)]
        ),
        "gateway_over_proxy": spread(
            [ratio(g, p) for g, p in zip(rps("gateway"), rps("proxy"), strict=True)]
        ),
        "paced_rps": spread([r["rps"] for r in paced["gateway"]], 1),
        "paced_bare_p50_ms": spread([r["p50_ms"] for r in paced["bare"]]),
        "paced_direct_p50_ms": spread([r["p50_ms"] for r in paced["service"]]),
        "paced_gateway_p50_ms": spread([r["p50_ms"] for r in paced["gateway"]]),
        "added_p50_ms": spread(
            [
                g["p50_ms"] - s["p50_ms"]
                for g, s in zip(paced["gateway"], paced["service"], strict=True)
            ]
        ),
        "proxy_added_p50_ms": spread(
            [
                p["p50_ms"] - s["p50_ms"]
                for p, s in zip(paced["proxy"], paced["service"], strict=True)
            ]
        ),
        "added_p99_ms": spread(
            [
                g["p99_ms"] - s["p99_ms"]
                for g, s in zip(paced["gateway"], paced["service"], strict=True)
            ]
        ),
        "errors": sum(
            r["errors"] + r["non_2xx"] for rs in (*flat.values(), *paced.values()) for r in rs
        ),
        "rounds": {"flat": flat, "paced": paced},
    }


async def run() -> dict[str, Any]:
    root = scratch_dir()
    figures: dict[str, Any] = {
        "read": READ,
        "connections": CONNECTIONS,
        "seconds_each": SECONDS,
        "paced_rate": PACED_RATE,
        "sqlite": await _measure(
            root / "sqlite",
            await sqlite_database(root, "staffing"),
            await sqlite_database(root, "gateway"),
        ),
    }
    pg_staffing = await postgres_database("staffing", "reads")
    pg_gateway = await postgres_database("gateway", "reads")
    if pg_staffing and pg_gateway:
        figures["postgresql"] = await _measure(root / "pg", pg_staffing, pg_gateway)
    return figures


if __name__ == "__main__":
    print(json.dumps(asyncio.run(run()), indent=2, ensure_ascii=False))


def rows(figures: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The README's lines: each ratio as the median of three rounds with the range."""
    out = []
    for db, label in (("sqlite", "SQLite"), ("postgresql", "PostgreSQL")):
        f = figures.get(db)
        if f is None:
            continue
        out += [
            (
                f"staffing `GET {READ}` beside bare FastAPI answering the same JSON, "
                f"{CONNECTIONS} connections, {label}",
                "service / bare (goal ≥ 0.5)",
                f"{ranged(f['service_over_bare'])}; {f['service_rps']['median']} vs "
                f"{f['bare_rps']['median']} req/s",
            ),
            (
                f"the same read through the gateway beside straight at the service, {label}",
                "gateway / direct (goal ≥ 0.95)",
                f"{ranged(f['gateway_over_direct'])}; {f['gateway_rps']['median']} req/s; "
                f"a bare proxy (uvicorn and aiohttp's client, nothing else) / direct "
                f"{ranged(f['proxy_over_direct'])}, gateway / bare proxy "
                f"{ranged(f['gateway_over_proxy'])}",
            ),
            (
                f"the same two, paced {PACED_RATE:g} req/s each in turn, {label}",
                "p50 added by the gateway (goal ≤ 0.5 ms)",
                f"{ranged(f['added_p50_ms'], ' ms')}; direct p50 "
                f"{f['paced_direct_p50_ms']['median']} ms; bare FastAPI's own p50 at that pace "
                f"{f['paced_bare_p50_ms']['median']} ms; p50 added by the bare proxy "
                f"(any hop's floor here) {ranged(f['proxy_added_p50_ms'], ' ms')}",
            ),
        ]
    return out
