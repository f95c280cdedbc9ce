"""One read through the gateway beside the same read straight at the service, same run.

Real processes on loopback (`teacherpool serve`, uvloop + httptools) and an httpx client, in two
phases for each path:

- throughput: a closed loop of 8 clients for a fixed time, as fast as the path answers;
- latency: an open loop at a fixed rate well below either path's capacity, the two paths taking
  turns in one window, each request timed from the moment it was due, so a slow answer cannot
  hide the requests queued behind it.

Target: gateway ≥ 0.6 × direct throughput, and ≤ 2 ms added at p50 in the latency phase. At
saturation the p50 is mostly time spent queueing for the CPU (client, gateway and service share
the machine's cores), so its difference is reported too, but is not the measure of what the hop
itself adds.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from common.auth import Principal, generate_keypair, load_signer
from common.migrations import upgrade
from common.settings import CommonSettings
from gateway.seed import seed_gateway
from teacherpool.demo import build_city

CONCURRENCY = 8
DURATION = 5.0
#: Both targets together, taking turns: half of it each.
PACED_RATE = 100.0
PACED_SECONDS = 10.0
READ = "/v1/units?limit=10"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(name: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "teacherpool", "serve", name],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def _wait_ready(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            try:
                if (await client.get(url)).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise TimeoutError(url)


def _summary(latencies: list[float], errors: int, elapsed: float) -> dict[str, float]:
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": errors,
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 3),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 3),
    }


async def _paced(*targets: tuple[str, dict[str, str]]) -> list[dict[str, float]]:
    """Requests at PACED_RATE whatever the answers do, each timed from when it was due.

    The targets take turns within one window, so both see the same machine at the same time.
    """
    latencies: list[list[float]] = [[] for _ in targets]
    errors = [0 for _ in targets]
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    clients = [
        httpx.AsyncClient(limits=limits, headers=headers, timeout=10) for _, headers in targets
    ]
    try:
        for client, (url, _) in zip(clients, targets, strict=True):
            await client.get(url)  # a connection open before the clock starts

        async def one(n: int, due: float) -> None:
            response = await clients[n].get(targets[n][0])
            latencies[n].append(time.perf_counter() - due)
            if response.status_code != 200:
                errors[n] += 1

        started = time.perf_counter()
        tasks = []
        for i in range(int(PACED_SECONDS * PACED_RATE)):
            due = started + i / PACED_RATE
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            tasks.append(asyncio.create_task(one(i % len(targets), due)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - started
    finally:
        for client in clients:
            await client.aclose()
    return [_summary(lat, err, elapsed) for lat, err in zip(latencies, errors, strict=True)]


async def _load(url: str, headers: dict[str, str]) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(limits=limits, headers=headers, timeout=10) as client:
        stop_at = time.perf_counter() + DURATION

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < stop_at:
                started = time.perf_counter()
                response = await client.get(url)
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    return _summary(latencies, errors, elapsed)


async def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="tp-bench-") as tmp:
        var = Path(tmp)
        generate_keypair(
            var / "keys" / "gateway-ed25519.pem", var / "keys" / "gateway-ed25519.pub.pem"
        )
        staffing_port, gateway_port = _free_port(), _free_port()
        staffing_db = f"sqlite+aiosqlite:///{var}/staffing.db"
        gateway_db = f"sqlite+aiosqlite:///{var}/gateway.db"
        env = {
            **os.environ,
            "TP_ENV": "development",
            "TP_VAR_DIR": str(var),
            "TP_NATS_URL": "nats://127.0.0.1:1",
            "TP_LOG_LEVEL": "ERROR",
            "TP_STAFFING_DATABASE_URL": staffing_db,
            "TP_STAFFING_PORT": str(staffing_port),
            "TP_GATEWAY_DATABASE_URL": gateway_db,
            "TP_GATEWAY_PORT": str(gateway_port),
            "TP_GATEWAY_STAFFING_URL": f"http://127.0.0.1:{staffing_port}",
            "TP_GATEWAY_CONSUME_EVENTS": "false",
            "TP_GATEWAY_RATE_LIMIT_USER_PER_MINUTE": "100000000",
        }
        os.environ.update({k: v for k, v in env.items() if k.startswith("TP_")})
        await asyncio.to_thread(upgrade, "staffing", staffing_db)
        await asyncio.to_thread(upgrade, "gateway", gateway_db)
        await seed_gateway(gateway_db, build_city())
        children = [_serve(name, env) for name in ("staffing", "gateway")]
        try:
            direct_base = f"http://127.0.0.1:{staffing_port}"
            gateway_base = f"http://127.0.0.1:{gateway_port}"
            await _wait_ready(f"{direct_base}/healthz")
            await _wait_ready(f"{gateway_base}/healthz")
            async with httpx.AsyncClient() as client:
                token = (
                    await client.post(
                        f"{gateway_base}/api/auth/v1/token",
                        data={
                            "grant_type": "password",
                            "username": "cityhr",
                            "password": "demo12345",
                        },
                    )
                ).json()["access_token"]
            internal = load_signer(CommonSettings(var_dir=var)).sign(
                Principal(sub="user:cityhr", role="city_hr"), audience="staffing", ttl=600
            )
            direct_read = (f"{direct_base}{READ}", {"Authorization": f"Bearer {internal}"})
            gateway_read = (
                f"{gateway_base}/api/staffing{READ}",
                {"Authorization": f"Bearer {token}"},
            )
            direct, through = await _load(*direct_read), await _load(*gateway_read)
            direct_paced, through_paced = await _paced(direct_read, gateway_read)
        finally:
            for child in children:
                child.terminate()
            for child in children:
                child.wait(10)
    return {
        "concurrency": CONCURRENCY,
        "seconds_each": DURATION,
        "paced_rate_each": PACED_RATE / 2,
        "paced_seconds": PACED_SECONDS,
        "direct": direct,
        "gateway": through,
        "direct_paced": direct_paced,
        "gateway_paced": through_paced,
        "throughput_ratio": round(through["rps"] / direct["rps"], 3),
        "added_p50_ms": round(through_paced["p50_ms"] - direct_paced["p50_ms"], 3),
        "added_p99_ms": round(through_paced["p99_ms"] - direct_paced["p99_ms"], 3),
        "added_p50_saturated_ms": round(through["p50_ms"] - direct["p50_ms"], 3),
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(run()), indent=2))
