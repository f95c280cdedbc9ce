"""Test support: a real nats-server, migrated databases, signed identities, in-process services."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from common.auth import SERVICES, Principal, TokenSigner, generate_keypair, load_signer
from common.migrations import upgrade
from common.settings import CommonSettings

#: The databases a test that takes `backend` runs on.
BACKENDS = ["sqlite", "postgresql"]
PG_ENV = "TP_TEST_DATABASE_URL"
PG_MISSING = (
    f"PostgreSQL not configured: set {PG_ENV}=postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
#: One id per test run, so that runs sharing a PostgreSQL server never touch each other's databases.
RUN = (os.environ.get("PYTEST_XDIST_TESTRUNUID") or uuid.uuid4().hex)[:8]


#: Listening ports for tests come from below the kernel's ephemeral range (32768 and up), where
#: the local ends of outgoing connections would take them, and each xdist worker has a block of
#: its own, so that no two workers ever pick the same port before either has bound it.
PORT_BLOCK = 1500
PORT_BASE = 10_000
_WORKER_INDEX = int(WORKER[2:]) if WORKER.startswith("gw") and WORKER[2:].isdigit() else 0
_ports = itertools.count(os.getpid() % PORT_BLOCK)  # two runs at once start apart


def free_port() -> int:
    """A port nothing listens on, in this worker's own block."""
    low = PORT_BASE + (_WORKER_INDEX % 14) * PORT_BLOCK
    for _ in range(PORT_BLOCK):
        port = low + next(_ports) % PORT_BLOCK
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {low}..{low + PORT_BLOCK - 1}")


def wait_for_listener(process: subprocess.Popen[bytes], port: int, timeout: float = 15) -> None:
    """Wait until `process` listens on `port`; fail at once if it exited (a port taken, a bad
    configuration) rather than let the test talk to whatever else answers there."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.02)
    raise RuntimeError(f"{process.args!r} did not listen on {port} within {timeout}s")


def nats_binary() -> str:
    beside = Path(sys.executable).parent / "nats-server"
    return str(beside) if beside.exists() else (shutil.which("nats-server") or "nats-server")


class NatsServer:
    """A real nats-server with JetStream on a free port, which a test may kill and restart."""

    def __init__(self, store: Path, port: int | None = None) -> None:
        self.store = store
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.store.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [nats_binary(), "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", str(self.store)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_listener(self.process, self.port)

    def kill(self) -> None:
        """SIGKILL: no goodbye to clients, nothing flushed by the server itself."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.kill()


class Databases:
    """Makes migrated databases quickly: migrate a template once, then copy it per test."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.pg_url = os.environ.get(PG_ENV)
        self._templates: dict[tuple[str, str], str] = {}
        self._created: list[str] = []

    def _pg_admin_dsn(self) -> str:
        assert self.pg_url
        return self.pg_url.replace("postgresql+asyncpg://", "postgresql://")

    def _pg_url_for(self, database: str) -> str:
        assert self.pg_url
        base, _, _ = self.pg_url.rpartition("/")
        return f"{base}/{database}"

    async def _pg_execute(self, sql: str) -> None:
        import asyncpg

        conn = await asyncpg.connect(self._pg_admin_dsn())
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    async def create(self, service: str, backend: str, *, shared: bool = False) -> str:
        """A migrated database of `service`, dropped with the test that asked for it; a
        `shared` one (a module's tests use it) is the caller's to `drop`."""
        if backend == "sqlite":
            key = (service, backend)
            if key not in self._templates:
                template = self.root / f"template-{service}.db"
                url = f"sqlite+aiosqlite:///{template}"
                await asyncio.to_thread(upgrade, service, url)
                self._templates[key] = str(template)
            target = self.root / f"{service}-{uuid.uuid4().hex[:8]}.db"
            shutil.copyfile(self._templates[key], target)
            return f"sqlite+aiosqlite:///{target}"
        key = (service, backend)
        if key not in self._templates:
            template_name = f"tp_tmpl_{service}_{RUN}_{WORKER}"
            await self._pg_execute(f'DROP DATABASE IF EXISTS "{template_name}" WITH (FORCE)')
            await self._pg_execute(f'CREATE DATABASE "{template_name}"')
            await asyncio.to_thread(upgrade, service, self._pg_url_for(template_name))
            self._templates[key] = template_name
        name = f"tp_{service}_{RUN}_{WORKER}_{uuid.uuid4().hex[:8]}"
        await self._pg_execute(f'CREATE DATABASE "{name}" TEMPLATE "{self._templates[key]}"')
        if not shared:
            self._created.append(name)
        return self._pg_url_for(name)

    async def drop(self, url: str) -> None:
        """Drop a `shared` database (a SQLite file stays in the session folder)."""
        if url.startswith("postgresql"):
            name = url.rpartition("/")[2]
            await self._pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    async def empty(self, service: str, backend: str) -> str:
        """A database with no tables yet, for a test that migrates it step by step."""
        if backend == "sqlite":
            return f"sqlite+aiosqlite:///{self.root / f'{service}-{uuid.uuid4().hex[:8]}.db'}"
        name = f"tp_{service}_{RUN}_{WORKER}_{uuid.uuid4().hex[:8]}"
        await self._pg_execute(f'CREATE DATABASE "{name}"')
        self._created.append(name)
        return self._pg_url_for(name)

    async def drop_templates(self) -> None:
        for (_, backend), name in list(self._templates.items()):
            if backend == "postgresql":
                with contextlib.suppress(Exception):
                    await self._pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._templates.clear()

    async def drop_created(self) -> None:
        while self._created:
            name = self._created.pop()
            with contextlib.suppress(Exception):
                await self._pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Identity:
    """Signs test principals with a key pair made for the test session."""

    def __init__(self, keys: Path) -> None:
        private, public = keys / "gateway-ed25519.pem", keys / "gateway-ed25519.pub.pem"
        if not private.exists():
            generate_keypair(private, public)
        self.private_key_file = private
        self.public_key_file = public

    def common(self, nats_url: str = "nats://127.0.0.1:1", **extra: Any) -> CommonSettings:
        return CommonSettings(
            env="test",
            var_dir=self.private_key_file.parent.parent,
            nats_url=nats_url,
            auth_private_key_file=self.private_key_file,
            auth_public_key_file=self.public_key_file,
            log_json=False,
            **extra,
        )

    @property
    def signer(self) -> TokenSigner:
        return load_signer(self.common())

    def headers(self, principal: Principal) -> dict[str, str]:
        # Tests call each service with the same headers: the token names all three audiences.
        token = self.signer.sign(principal, audience=list(SERVICES))
        return {"Authorization": f"Bearer {token}"}


def principal(role: str, **fields: Any) -> Principal:
    return Principal(
        sub=fields.pop("sub", f"user:{role}-{uuid.uuid4().hex[:6]}"), role=role, **fields
    )


@contextlib.asynccontextmanager
async def running(
    app: FastAPI, base_url: str = "http://service"
) -> AsyncIterator[httpx.AsyncClient]:
    """Run an app's lifespan and give a client that talks to it in-process."""
    async with app.router.lifespan_context(app):
        bus = getattr(app.state, "bus", None)
        if bus is not None:
            await asyncio.wait_for(bus.ready.wait(), timeout=15)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield client


async def eventually(
    check: Callable[[], Awaitable[bool]], *, timeout: float = 15.0, interval: float = 0.05
) -> None:
    """Wait until `check()` is true; fail with the time it took otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        if await check():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)


def service_settings(
    settings_cls: type[Any], identity: Identity, database_url: str, nats_url: str, **extra: Any
) -> Any:
    """Settings for an in-process service on the test's database and NATS."""
    extra.setdefault("outbox_sweep_seconds", 0.5)
    return settings_cls(database_url=database_url, common=identity.common(nats_url), **extra)


def launcher_env(**extra: str) -> dict[str, str]:
    """The environment for `teacherpool up` on free ports, without this machine's TP_ settings."""
    ports = {name: free_port() for name in ("gateway", "staffing", "sharing", "talent", "nats")}
    env = {k: v for k, v in os.environ.items() if not k.startswith("TP_")}
    env.update(
        TP_ENV="development",
        TP_NATS_URL=f"nats://127.0.0.1:{ports['nats']}",
        TP_GATEWAY_PORT=str(ports["gateway"]),
        TP_STAFFING_PORT=str(ports["staffing"]),
        TP_SHARING_PORT=str(ports["sharing"]),
        TP_TALENT_PORT=str(ports["talent"]),
        TP_GATEWAY_STAFFING_URL=f"http://127.0.0.1:{ports['staffing']}",
        TP_GATEWAY_SHARING_URL=f"http://127.0.0.1:{ports['sharing']}",
        TP_GATEWAY_TALENT_URL=f"http://127.0.0.1:{ports['talent']}",
        **extra,
    )
    return env
