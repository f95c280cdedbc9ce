"""Several replicas of every teacherpool process on one machine, against one NATS and PostgreSQL.

What a Kubernetes Deployment does with `replicas: N`, as plain processes: `teacherpool serve`
with its own port, the same databases and the same NATS as its siblings. Gateway replica i
sends service s (the s-th of SERVICES) to that service's replica (i + s) mod N, so each
gateway mixes replicas and killing replica 0 of every service leaves a path through each.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from gateway.demo_accounts import DEMO_PASSWORD
from tests.support import free_port

SERVICES = ("staffing", "sharing", "talent")


@dataclass
class Replica:
    """One `teacherpool serve` process."""

    service: str
    index: int
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def name(self) -> str:
        return f"{self.service}-{self.index}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


@dataclass
class System:
    """N replicas of staffing, sharing, talent and the gateway; the databases are given."""

    root: Path
    nats_url: str
    database_urls: dict[str, str]
    public_key: Path
    private_key: Path
    replicas: int = 2
    gateways: int | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    processes: list[Replica] = field(default_factory=list)

    def _common_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TP_")}
        env.update(
            TP_ENV="test",
            TP_VAR_DIR=str(self.root / "var"),
            TP_LOG_LEVEL="WARNING",
            TP_NATS_URL=self.nats_url,
            TP_AUTH_PUBLIC_KEY_FILE=str(self.public_key),
            # Every process names the private key too: outside production a process that
            # finds no private key makes a new pair and overwrites the shared public key
            # (common.auth.ensure_dev_keypair), and the replicas would disagree on it.
            TP_AUTH_PRIVATE_KEY_FILE=str(self.private_key),
        )
        return env

    def _service_env(self, replica: Replica) -> dict[str, str]:
        prefix = f"TP_{replica.service.upper()}_"
        env = self._common_env()
        env.update(
            {
                f"{prefix}HOST": "127.0.0.1",
                f"{prefix}PORT": str(replica.port),
                f"{prefix}DATABASE_URL": self.database_urls[replica.service],
                # The sweep picks up rows a killed sibling left unpublished.
                f"{prefix}OUTBOX_SWEEP_SECONDS": "0.5",
            }
        )
        env.update(self.extra_env)
        return env

    def _gateway_env(self, replica: Replica) -> dict[str, str]:
        env = self._common_env()
        env.update(
            TP_GATEWAY_HOST="127.0.0.1",
            TP_GATEWAY_PORT=str(replica.port),
            TP_GATEWAY_DATABASE_URL=self.database_urls["gateway"],
            # Shared by the replicas, as in the manifests; high enough not to refuse the load.
            TP_GATEWAY_RATE_LIMIT_STORE="nats",
            TP_GATEWAY_RATE_LIMIT_USER_PER_MINUTE="1000000",
        )
        for offset, service in enumerate(SERVICES):
            upstream = self.replica(service, (replica.index + offset) % self.replicas)
            env[f"TP_GATEWAY_{service.upper()}_URL"] = upstream.url
        env.update(self.extra_env)
        return env

    def replica(self, service: str, index: int) -> Replica:
        return next(r for r in self.processes if r.service == service and r.index == index)

    def of(self, service: str) -> list[Replica]:
        return [r for r in self.processes if r.service == service]

    def start(self) -> None:
        logs = self.root / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        for service in SERVICES:
            for index in range(self.replicas):
                self.processes.append(
                    Replica(service, index, free_port(), logs / f"{service}-{index}.log")
                )
        for index in range(self.gateways or self.replicas):
            self.processes.append(
                Replica("gateway", index, free_port(), logs / f"gateway-{index}.log")
            )
        for replica in self.processes:
            env = (
                self._gateway_env(replica)
                if replica.service == "gateway"
                else self._service_env(replica)
            )
            with replica.log.open("ab") as log:
                replica.process = subprocess.Popen(
                    [sys.executable, "-m", "teacherpool", "serve", replica.service],
                    env=env,
                    cwd=self.root,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )

    async def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        pending = list(self.processes)
        async with httpx.AsyncClient(timeout=2.0) as client:
            while pending:
                for replica in list(pending):
                    if not replica.alive:
                        raise RuntimeError(f"{replica.name} exited\n{self.log_tail(replica)}")
                    try:
                        if (await client.get(f"{replica.url}/readyz")).status_code == 200:
                            pending.remove(replica)
                    except httpx.HTTPError:
                        pass
                if pending and time.monotonic() > deadline:
                    names = ", ".join(r.name for r in pending)
                    raise TimeoutError(f"not ready after {timeout:.0f}s: {names}")
                await asyncio.sleep(0.2)

    async def login(self, username: str = "cityhr") -> str:
        """A gateway bearer token of a seeded demo account; valid at every gateway replica."""
        gateway = self.of("gateway")[0]
        async with httpx.AsyncClient(base_url=gateway.url, timeout=10) as client:
            response = await client.post(
                "/api/auth/v1/token",
                data={"grant_type": "password", "username": username, "password": DEMO_PASSWORD},
            )
        response.raise_for_status()
        return str(response.json()["access_token"])

    def kill(self, replica: Replica) -> None:
        """SIGKILL: no drain, no goodbye to NATS or PostgreSQL, as when a node dies."""
        assert replica.process is not None and replica.alive, f"{replica.name} is not running"
        replica.process.send_signal(signal.SIGKILL)
        replica.process.wait()

    def stop(self) -> None:
        for replica in self.processes:
            if replica.alive:
                assert replica.process is not None
                replica.process.terminate()
        deadline = time.monotonic() + 15
        for replica in self.processes:
            if replica.process is None:
                continue
            try:
                replica.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                replica.process.kill()
                replica.process.wait()

    def log_tail(self, replica: Replica, lines: int = 30) -> str:
        text = (
            replica.log.read_text(encoding="utf-8", errors="replace")
            if replica.log.exists()
            else ""
        )
        return f"--- {replica.name} ---\n" + "\n".join(text.splitlines()[-lines:])

    def logs(self) -> str:
        return "\n".join(self.log_tail(r) for r in self.processes)


_SAMPLE = re.compile(r"^(?P<name>\w+)\{(?P<labels>[^}]*)\}\s+(?P<value>[0-9.eE+-]+)$", re.M)


async def counter(replica: Replica, name: str, **labels: str) -> float:
    """The sum of a Prometheus counter's samples at a replica's /metrics that match `labels`."""
    async with httpx.AsyncClient(timeout=5) as client:
        text = (await client.get(f"{replica.url}/metrics")).text
    total = 0.0
    for sample in _SAMPLE.finditer(text):
        if sample["name"] != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', sample["labels"]))
        if all(found.get(k) == v for k, v in labels.items()):
            total += float(sample["value"])
    return total
