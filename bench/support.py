"""Shared pieces of the benchmarks: a scratch nats-server, databases, percentiles, services as
real processes and HTTP load from wrk."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

from common.auth import generate_keypair
from common.db import Database
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


async def postgres_database(service: str, tag: str = "") -> str | None:
    """A fresh, migrated PostgreSQL database for `service` (its name suffixed with `tag`, so two
    benchmarks running at once keep apart), or None when none is configured."""
    if not PG_URL:
        return None
    import asyncpg

    base, _, _ = PG_URL.rpartition("/")
    name = f"tp_bench_{service}{f'_{tag}' if tag else ''}"
    admin = await asyncpg.connect(PG_URL.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = f"{base}/{name}"
    await asyncio.to_thread(upgrade, service, url)
    return url


# --- HTTP from outside: services as real processes, load from wrk -------------------------------

#: wrk's Lua reporter: one JSON line with the figures the benchmarks use (latencies in µs).
WRK_REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\\nWRK_JSON {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"mean_us":%.1f}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean))
end
"""

#: Spreads a thread's connections over time: each connection waits `pause` ms between requests.
WRK_PACED = """
local pause = {pause_ms}
delay = function() return pause end
"""


#: The rows of `bench_counter`, the table of the plain one-row updates `bench.bare_app` makes.
COUNTERS = 20

#: wrk's requests for those updates: `POST /v1/counters/{id}` of a random row.
UPDATE_LUA = f"""
request = function()
  return wrk.format("POST", "/v1/counters/" .. math.random({COUNTERS}))
end
"""


async def add_counters(url: str) -> None:
    """`bench_counter` with COUNTERS rows at zero, in the database at `url`."""
    db = Database(url, pool_size=1)
    try:
        async with db.engine.begin() as conn:
            await conn.execute(text("CREATE TABLE bench_counter (id int PRIMARY KEY, n int)"))
            for n in range(1, COUNTERS + 1):
                await conn.execute(text("INSERT INTO bench_counter VALUES (:n, 0)"), {"n": n})
    finally:
        await db.dispose()


def wrk_binary() -> str:
    """Debian's wrk (`apt-get install -y wrk`); the benchmarks need it in PATH."""
    found = shutil.which("wrk")
    if found is None:
        raise RuntimeError("wrk is not installed: apt-get install -y wrk")
    return found


def wrk(
    url: str,
    *,
    connections: int,
    seconds: float,
    headers: dict[str, str] | None = None,
    script: str = "",
    paced_rate: float | None = None,
    threads: int = 1,
) -> dict[str, float]:
    """Load `url` from wrk in its own process; `script` is Lua run before the reporter.

    With `paced_rate` each connection pauses between requests so that all of them together
    send about that many a second (wrk has no open-loop mode; the rate actually reached is
    reported beside the latencies).
    """
    lua = script
    if paced_rate is not None:
        lua += WRK_PACED.format(pause_ms=round(1000 * connections / paced_rate))
    lua += WRK_REPORT
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(lua)
    command = [
        wrk_binary(),
        f"-t{min(threads, connections)}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "30s",
        "-s",
        handle.name,
    ]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    try:
        out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(handle.name)
    line = next(x for x in out.splitlines() if x.startswith("WRK_JSON "))
    raw = json.loads(line.removeprefix("WRK_JSON "))
    elapsed = raw["duration_us"] / 1e6
    errors = raw["connect"] + raw["read"] + raw["write"] + raw["timeout"]
    return {
        "requests": raw["requests"],
        "rps": round(raw["requests"] / elapsed, 1),
        "errors": errors,
        "non_2xx": raw["status"],
        "p50_ms": round(raw["p50_us"] / 1000, 3),
        "p90_ms": round(raw["p90_us"] / 1000, 3),
        "p99_ms": round(raw["p99_us"] / 1000, 3),
        "mean_ms": round(raw["mean_us"] / 1000, 3),
    }


def ratio(subject: float, baseline: float) -> float:
    """subject / baseline; a window in which the baseline answered nothing counts as 0."""
    return subject / baseline if baseline else 0.0


def spread(values: list[float], digits: int = 3) -> dict[str, object]:
    """The median of the rounds and every round's value, so the spread is there to read."""
    return {
        "median": round(statistics.median(values), digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
        "rounds": [round(v, digits) for v in values],
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Served:
    """One process under uvicorn (uvloop, httptools) on a loopback port, as `make run` serves it:
    `teacherpool serve NAME`, or any `module:app` given as `app`."""

    def __init__(self, name: str, env: dict[str, str], *, port: int, app: str | None = None):
        self.name = name
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        if app is None:
            command = [sys.executable, "-m", "teacherpool", "serve", name]
        else:
            command = [sys.executable, "-m", "uvicorn", app, "--port", str(port)]
            command += ["--loop", "uvloop", "--http", "httptools", "--no-access-log"]
            command += ["--log-level", "warning"]
        # The process's log goes to a file: a pipe nobody reads fills after 64 KiB and then
        # blocks the process on its next log line, as a service retrying NATS soon does.
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 closed by stop()
        self.logged = ""
        self.process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=self.log
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    async def ready(self, path: str = "/healthz", timeout: float = 240) -> Served:
        import httpx

        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient() as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    self.log.seek(0)
                    err = self.log.read()
                    raise RuntimeError(f"{self.name} exited: {err.decode()[-2000:]}")
                try:
                    if (await client.get(self.url + path)).status_code < 500:
                        return self
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
        raise TimeoutError(f"{self.name} at {self.url} did not answer {path}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.seek(0)
        #: What the process logged (warnings and worse), kept for a run that met errors.
        self.logged = self.log.read().decode(errors="replace")
        self.log.close()


def process_env(var: Path, **settings: str) -> dict[str, str]:
    """The environment of a served process: development mode under `var` (its signing keys made
    once), logs quiet, plus `settings` (TP_… names)."""
    private, public = var / "keys" / "gateway-ed25519.pem", var / "keys" / "gateway-ed25519.pub.pem"
    if not private.exists():
        generate_keypair(private, public)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TP_")}
    env.update(
        {
            "TP_ENV": "development",
            "TP_VAR_DIR": str(var),
            "TP_LOG_LEVEL": "WARNING",
            "TP_NATS_URL": "nats://127.0.0.1:1",
        }
    )
    env.update(settings)
    return env


def profiled(served: dict[str, Served], seconds: float, into: Path, label: str) -> list[Any]:
    """py-spy recording each process for `seconds`, as raw stacks in `into`/`label`-name.txt
    (the benchmarks do this when TP_BENCH_PROFILE names a directory)."""
    into.mkdir(parents=True, exist_ok=True)
    return [
        subprocess.Popen(
            [
                *("py-spy", "record", "-p", str(s.pid), "-d", str(round(seconds)), "-r", "200"),
                *("--format", "raw", "-o", str(into / f"{label}-{name}.txt")),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for name, s in served.items()
    ]


def ranged(figure: dict[str, Any], unit: str = "") -> str:
    """`median (min–max)` of a `spread`, for the README's table."""
    return f"{figure['median']}{unit} ({figure['min']}–{figure['max']})"
