"""The whole system under `teacherpool up`, a mixed workload against it, and a chaos monkey.

The launcher starts NATS, the three services and the gateway as children and restarts any
that dies; the monkey SIGKILLs a random service process at random moments and NATS once.
Afterwards `teacherpool reconcile` and `teacherpool staffing verify` must report nothing.
Everything random comes from one seed, so a failing seed can be run again alone
(`TP_CHAOS_SEEDS=17 make chaos`); the moments of the kills still depend on the machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import random
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import psutil

from common.auth import Principal, TokenSigner, load_signer
from common.settings import CommonSettings
from tests.support import launcher_env
from tests.talent.support import person as candidate_person

#: The moves from a new application to a hire.
PIPELINE = ("screened", "exam", "interview", "assessment", "offered", "hired")
#: Quota types the workload hires on through talent, and directly on the roster.
TALENT_QUOTA_TYPES = ("bianzhi", "yuan_e", "control")
ROSTER_QUOTA_TYPES = ("bianzhi", "yuan_e", "control")
SERVICES = ("staffing", "sharing", "talent", "gateway")
READY_TIMEOUT = 180.0
#: A call that meets a dead process is tried again for this long.
RETRY_SECONDS = 60.0

COMMISSION = Principal(sub="chaos:commission", role="staffing_commission", name="编办")
CITY_HR = Principal(sub="chaos:cityhr", role="city_hr", name="市人事处")


def seeds_from(text: str) -> list[int]:
    """`1-50`, `3,7,9` or `4` → the seeds."""
    seeds: list[int] = []
    for part in text.split(","):
        if "-" in part:
            low, high = part.split("-", 1)
            seeds.extend(range(int(low), int(high) + 1))
        elif part.strip():
            seeds.append(int(part))
    return seeds


@dataclass
class Launched:
    """`teacherpool up --no-seed` in its own folder, on free ports."""

    root: Path
    env: dict[str, str]
    process: subprocess.Popen[str] | None = None
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.root / "up.log"

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.env[f'TP_{service.upper()}_PORT']}"

    def start(self) -> None:
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "teacherpool", "up", "--no-seed"),
                    *("--ready-timeout", str(READY_TIMEOUT)),
                ],
                cwd=self.root,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                text=True,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def children(self) -> dict[str, psutil.Process]:
        assert self.process is not None
        found = {}
        for child in psutil.Process(self.process.pid).children(recursive=True):
            try:
                line = " ".join(child.cmdline())
            except psutil.NoSuchProcess:
                continue
            if "nats-server" in line:
                found["nats"] = child
            for service in SERVICES:
                if f"serve {service}" in line:
                    found[service] = child
        return found

    async def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=2) as client:
            while True:
                assert self.process is not None and self.process.poll() is None, self.output()
                try:
                    got = await client.get(f"{self.url('gateway')}/readyz/upstreams")
                    if got.status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"not ready after {timeout}s:\n{self.output()}")
                await asyncio.sleep(0.25)

    def kill(self, name: str) -> int | None:
        child = self.children().get(name)
        if child is None:
            return None
        child.send_signal(signal.SIGKILL)
        return child.pid

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "teacherpool", *args],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        children = psutil.Process(self.process.pid).children(recursive=True)
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for child in psutil.wait_procs(children, timeout=10)[1]:
            child.kill()


def launch(root: Path, database_urls: dict[str, str] | None = None) -> Launched:
    env = launcher_env(TP_LOG_LEVEL="WARNING", TP_STAFFING_OUTBOX_SWEEP_SECONDS="0.5")
    env.update(
        TP_SHARING_OUTBOX_SWEEP_SECONDS="0.5",
        TP_TALENT_OUTBOX_SWEEP_SECONDS="0.5",
    )
    for service, url in (database_urls or {}).items():
        env[f"TP_{service.upper()}_DATABASE_URL"] = url
    root.mkdir(parents=True, exist_ok=True)
    return Launched(root, env)


class Calls:
    """HTTP to the services with signed tokens, trying again while a process is down."""

    def __init__(self, system: Launched) -> None:
        self.system = system
        self.signer: TokenSigner = load_signer(CommonSettings(var_dir=system.root / "var"))
        self.client = httpx.AsyncClient(timeout=30)
        self.outcomes: Counter[str] = Counter()
        #: The first refusal of each kind, in the service's words.
        self.refusals: dict[str, str] = {}

    async def close(self) -> None:
        await self.client.aclose()

    async def call(
        self, who: Principal, method: str, service: str, path: str, body: Any = None
    ) -> httpx.Response:
        deadline = time.monotonic() + RETRY_SECONDS
        headers = {"authorization": f"Bearer {self.signer.sign(who, audience=service)}"}
        while True:
            try:
                response = await self.client.request(
                    method, f"{self.system.url(service)}{path}", json=body, headers=headers
                )
            except httpx.HTTPError:
                response = None
            if response is not None and response.status_code < 500:
                return response
            if time.monotonic() > deadline:
                detail = response.text if response is not None else "no answer"
                raise AssertionError(f"{method} {service}{path}: {detail}")
            await asyncio.sleep(0.25)

    async def ok(
        self, who: Principal, method: str, service: str, path: str, body: Any = None
    ) -> Any:
        response = await self.call(who, method, service, path, body)
        assert response.status_code < 300, f"{method} {service}{path}: {response.text}"
        return response.json() if response.content else None

    async def attempt(
        self, what: str, who: Principal, method: str, service: str, path: str, body: Any = None
    ) -> Any:
        """A workload step that the system may refuse (no vacancy, already done after a retry)."""
        response = await self.call(who, method, service, path, body)
        outcome = f"{what} {'ok' if response.status_code < 300 else response.status_code}"
        self.outcomes[outcome] += 1
        if response.status_code >= 300:
            self.refusals.setdefault(outcome, response.text[:300])
        return response.json() if response.status_code < 300 and response.content else None

    async def until(self, check, timeout: float = 120.0) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            found = await check()
            if found:
                return found
            if time.monotonic() > deadline:
                raise AssertionError("condition not met in time")
            await asyncio.sleep(0.2)


@dataclass
class City:
    district: str
    schools: list[str]
    staff: dict[str, str] = field(default_factory=dict)  # staff id → unit id
    listed: set[str] = field(default_factory=set)


def _staff_body(rng: random.Random, unit_id: str, quota_type: str) -> dict[str, Any]:
    return {
        "unit_id": unit_id,
        "quota_type": quota_type,
        "name": f"教师{rng.randrange(10**6):06d}",
        "sex": rng.choice(("female", "male")),
        "birth_date": date(1975 + rng.randrange(25), 1 + rng.randrange(12), 1).isoformat(),
        "subject": "数学",
        "stage": "primary",
        "title": rng.choice(("一级教师", "二级教师", "高级教师")),
    }


async def build_city(calls: Calls, rng: random.Random, tag: str) -> City:
    """A district, four schools with posts of every quota type, a pool, a few staff."""
    district = await calls.ok(
        COMMISSION,
        "POST",
        "staffing",
        "/v1/units",
        {"kind": "district", "code": f"X{tag}", "name": f"混沌区{tag}"},
    )
    schools = []
    for n in range(4):
        school = await calls.ok(
            COMMISSION,
            "POST",
            "staffing",
            "/v1/units",
            {
                "kind": "school",
                "code": f"X{tag}-S{n}",
                "name": f"混沌学校{tag}-{n}",
                "district_id": district["id"],
                "stages": ["primary", "junior"],
                "lat": 30.6 + n / 100,
                "lon": 104.0 + n / 100,
            },
        )
        schools.append(school["id"])
        for quota_type, posts in (("bianzhi", 8), ("yuan_e", 4), ("control", 3)):
            await calls.ok(
                COMMISSION,
                "POST",
                "staffing",
                f"/v1/units/{school['id']}/adjustments",
                {
                    "quota_type": quota_type,
                    "delta": posts,
                    "document_no": f"成编〔2026〕{n}号",
                    "reason": "核定",
                },
            )
    city = City(district["id"], schools)
    await calls.call(COMMISSION, "PUT", "staffing", "/v1/pools/bianzhi")
    await calls.ok(
        COMMISSION,
        "POST",
        "staffing",
        "/v1/pools/bianzhi/deposits",
        {"unit_id": schools[0], "count": 3, "document_no": "成编〔2026〕99号", "reason": "收储"},
    )
    for unit_id in schools:
        for _ in range(2):
            staff = await calls.ok(
                COMMISSION, "POST", "staffing", "/v1/staff", _staff_body(rng, unit_id, "bianzhi")
            )
            city.staff[staff["id"]] = unit_id
    for service in ("sharing", "talent"):
        for unit_id in schools:

            async def known(service: str = service, unit_id: str = unit_id) -> bool:
                got = await calls.call(CITY_HR, "GET", service, f"/v1/units/{unit_id}")
                return got.status_code == 200

            await calls.until(known)
    return city


#: The people the current workload step acts on (one set per worker task).
_held: contextvars.ContextVar[set[str]] = contextvars.ContextVar("held")


class Workload:
    """Hires on every quota type, loans, departures, transfers, offers and acceptances."""

    def __init__(self, calls: Calls, city: City, rng: random.Random) -> None:
        self.calls = calls
        self.city = city
        self.rng = rng
        self.busy: set[str] = set()

    async def run(self, steps: int, workers: int = 3) -> None:
        plan = [
            self.rng.choice(
                (
                    self.roster_hire,
                    self.talent_hire,
                    self.loan,
                    self.departure,
                    self.transfer,
                    self.share,
                    self.share,
                )
            )
            for _ in range(steps)
        ]
        queue: asyncio.Queue[Any] = asyncio.Queue()
        for n, step in enumerate(plan):
            queue.put_nowait((step, random.Random(self.rng.random() + n)))

        async def worker() -> None:
            while not queue.empty():
                step, rng = queue.get_nowait()
                held: set[str] = set()
                token = _held.set(held)
                try:
                    await step(rng)
                finally:
                    self.busy -= held
                    _held.reset(token)

        await asyncio.gather(*(worker() for _ in range(workers)))

    def _active(self, rng: random.Random) -> tuple[str, str] | None:
        """A person on the roster that no other worker is acting on (as two HR clerks would not
        move the same person at once); held until this step ends."""
        free = [s for s in sorted(self.city.staff) if s not in self.busy]
        if not free:
            return None
        staff_id = rng.choice(free)
        self.busy.add(staff_id)
        _held.get().add(staff_id)
        return staff_id, self.city.staff[staff_id]

    async def roster_hire(self, rng: random.Random) -> None:
        unit_id = rng.choice(self.city.schools)
        quota_type = rng.choice(ROSTER_QUOTA_TYPES)
        staff = await self.calls.attempt(
            f"hire {quota_type}",
            COMMISSION,
            "POST",
            "staffing",
            "/v1/staff",
            _staff_body(rng, unit_id, quota_type),
        )
        if staff:
            self.city.staff[staff["id"]] = unit_id

    async def talent_hire(self, rng: random.Random) -> None:
        await self.hire_through_talent(rng, rng.choice(TALENT_QUOTA_TYPES))

    async def hire_through_talent(self, rng: random.Random, quota_type: str) -> None:
        """A posting opened, answered by staffing, one candidate moved along to hired."""
        unit_id = rng.choice(self.city.schools)
        posting = await self.calls.ok(
            CITY_HR,
            "POST",
            "talent",
            "/v1/postings",
            {
                "unit_id": unit_id,
                "title": "初中数学教师",
                "subject": "数学",
                "stage": "junior",
                "count": rng.choice((1, 2)),
                "quota_type": quota_type,
            },
        )
        await self.calls.attempt(
            "open posting", CITY_HR, "POST", "talent", f"/v1/postings/{posting['id']}/open"
        )

        async def answered() -> dict[str, Any] | None:
            got = await self.calls.ok(CITY_HR, "GET", "talent", f"/v1/postings/{posting['id']}")
            return got if got["status"] in ("open", "blocked") else None

        state = await self.calls.until(answered)
        if state["status"] != "open":
            self.calls.outcomes[f"posting {quota_type} blocked"] += 1
            return
        candidate = await self.calls.attempt(
            "candidate",
            CITY_HR,
            "POST",
            "talent",
            "/v1/candidates",
            candidate_person(rng.randrange(10**6), external_id=None, source="hr"),
        )
        if not candidate:
            return
        application = await self.calls.attempt(
            "application",
            CITY_HR,
            "POST",
            "talent",
            "/v1/applications",
            {"candidate_id": candidate["id"], "posting_id": posting["id"]},
        )
        if not application:
            return
        for to in PIPELINE:
            await self.calls.attempt(
                f"move to {to}" if to == "hired" else "move",
                CITY_HR,
                "POST",
                "talent",
                f"/v1/applications/{application['id']}/transitions",
                {"to": to},
            )
        if rng.random() < 0.3:
            await self.calls.attempt(
                "close posting",
                CITY_HR,
                "POST",
                "talent",
                f"/v1/postings/{posting['id']}/close",
                {"reason": "招聘结束"},
            )

    async def loan(self, rng: random.Random) -> None:
        unit_id = rng.choice(self.city.schools[1:])
        application = await self.calls.attempt(
            "pool application",
            COMMISSION,
            "POST",
            "staffing",
            "/v1/pool-applications",
            {
                "unit_id": unit_id,
                "requested": 1,
                "reason_kind": "new_school",
                "reason": "新校",
                "term_years": 3,
            },
        )
        if application:
            await self.calls.attempt(
                "loan",
                COMMISSION,
                "POST",
                "staffing",
                f"/v1/pool-applications/{application['id']}/decision",
                {"outcome": "approve", "reason": "同意"},
            )

    async def departure(self, rng: random.Random) -> None:
        picked = self._active(rng)
        if picked is None:
            return
        staff_id, _ = picked
        del self.city.staff[staff_id]
        await self.calls.attempt(
            "departure",
            COMMISSION,
            "POST",
            "staffing",
            f"/v1/staff/{staff_id}/departure",
            {"reason": rng.choice(("retired", "resigned", "transferred_out"))},
        )

    async def transfer(self, rng: random.Random) -> None:
        picked = self._active(rng)
        if picked is None:
            return
        staff_id, unit_id = picked
        target = rng.choice([s for s in self.city.schools if s != unit_id])
        moved = await self.calls.attempt(
            "transfer",
            COMMISSION,
            "POST",
            "staffing",
            f"/v1/staff/{staff_id}/transfer",
            {"to_unit_id": target},
        )
        if moved and staff_id in self.city.staff:
            self.city.staff[staff_id] = target

    async def list_in_library(self, teacher: Principal, teacher_id: str, home: str) -> None:
        """The teacher applies to the sharing library, the home school consents, district HR
        approves (入库): only a listed teacher is offered requests."""
        application = await self.calls.attempt(
            "library application",
            teacher,
            "POST",
            "sharing",
            "/v1/library/applications",
            {
                "offered": [{"subject": "数学", "stage": "primary"}],
                "modes": ["in_person", "online"],
                "weekly_cap": 10,
                "areas": [self.city.district],
            },
        )
        if not application:
            return
        await self.calls.attempt(
            "library consent",
            self.school_admin(home),
            "POST",
            "sharing",
            f"/v1/library/applications/{application['id']}/consent",
            {"approve": True},
        )
        district_hr = Principal(
            sub=f"chaos:district:{self.city.district}",
            role="district_hr",
            district_id=uuid.UUID(self.city.district),
        )
        listed = await self.calls.attempt(
            "library listing",
            district_hr,
            "POST",
            "sharing",
            f"/v1/library/applications/{application['id']}/decide",
            {"approve": True},
        )
        if listed:
            self.city.listed.add(teacher_id)

    def school_admin(self, unit_id: str) -> Principal:
        return Principal(
            sub=f"chaos:school:{unit_id}",
            role="school_admin",
            unit_id=uuid.UUID(unit_id),
            district_id=uuid.UUID(self.city.district),
        )

    async def share(self, rng: random.Random) -> None:
        """A school asks for a teacher; HR offers; the home school consents; the teacher accepts."""
        picked = self._active(rng)
        if picked is None:
            return
        teacher_id, home = picked
        host = rng.choice([s for s in self.city.schools if s != home])
        teacher = Principal(
            sub=f"chaos:teacher:{teacher_id}", role="teacher", teacher_id=uuid.UUID(teacher_id)
        )

        async def projected() -> bool:
            got = await self.calls.call(CITY_HR, "GET", "sharing", f"/v1/teachers/{teacher_id}")
            return got.status_code == 200 and got.json().get("unit_id") == home

        try:
            await self.calls.until(projected, timeout=30)
        except AssertionError:
            self.calls.outcomes["share: profile not current"] += 1
            return
        if teacher_id not in self.city.listed:
            await self.list_in_library(teacher, teacher_id, home)
        if teacher_id not in self.city.listed:
            # An earlier try left an application under review (its answer lost to a kill).
            self.calls.outcomes["share: not listed"] += 1
            return
        start = date.today() + timedelta(days=1)
        slot = [1 + rng.randrange(5), 1 + rng.randrange(8)]
        request = await self.calls.attempt(
            "request",
            CITY_HR,
            "POST",
            "sharing",
            "/v1/requests",
            {
                "unit_id": host,
                "subject": "数学",
                "stage": "primary",
                "slots": [slot],
                "term_start": start.isoformat(),
                "term_end": (start + timedelta(days=60)).isoformat(),
                "mode": "online",
                "reason": "缺数学教师",
            },
        )
        if not request:
            return
        offer = await self.calls.attempt(
            "offer",
            CITY_HR,
            "POST",
            "sharing",
            f"/v1/requests/{request['id']}/offers",
            {"teacher_id": teacher_id},
        )
        if not offer:
            return
        await self.calls.attempt(
            "consent",
            self.school_admin(home),
            "POST",
            "sharing",
            f"/v1/offers/{offer['id']}/consent",
            {"consent": True},
        )
        await self.calls.attempt(
            "accept", teacher, "POST", "sharing", f"/v1/offers/{offer['id']}/accept"
        )


class Monkey:
    """Kills a random service process now and then, and NATS once, at moments from the seed."""

    def __init__(self, system: Launched, rng: random.Random, kills: int) -> None:
        self.system = system
        self.rng = rng
        self.victims = [
            rng.choice(("staffing", "sharing", "talent", "gateway")) for _ in range(kills)
        ]
        self.victims.insert(rng.randrange(len(self.victims) + 1), "nats")
        self.delays = [rng.uniform(0.5, 4.0) for _ in self.victims]
        self.killed: list[str] = []

    async def run(self, done: asyncio.Event) -> None:
        for victim, delay in zip(self.victims, self.delays, strict=True):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), timeout=delay)
            if self.system.kill(victim) is not None:
                self.killed.append(victim)
            # Let the launcher bring it back before the next blow, as a crash loop would not.
            await self.system.wait_ready()


async def chaos_run(system: Launched, seed: int, steps: int = 12) -> str:
    """One seeded round on a running system; returns a summary line.

    Raises AssertionError with the evidence: the reconcile report, the verify output, what
    was killed, what the workload did and the launcher's log.
    """
    rng = random.Random(seed)
    calls = Calls(system)
    try:
        await system.wait_ready()
        city = await build_city(calls, rng, f"{seed}-{uuid.uuid4().hex[:4]}")
        monkey = Monkey(system, rng, kills=3)
        done = asyncio.Event()
        chaos = asyncio.create_task(monkey.run(done))
        started = time.monotonic()
        await Workload(calls, city, rng).run(steps=steps)
        done.set()
        await chaos
        await system.wait_ready()
        assert "nats" in monkey.killed and len(monkey.killed) >= 2, monkey.killed
        reconcile = await asyncio.to_thread(
            system.run, "reconcile", "--wait", "120", "--grace", "30"
        )
        verify = await asyncio.to_thread(system.run, "staffing", "verify")
        outcomes = dict(sorted(calls.outcomes.items()))
        evidence = (
            f"seed {seed}, killed {monkey.killed}, outcomes {outcomes}\n"
            f"refusals {calls.refusals}\n"
            f"reconcile (exit {reconcile.returncode}):\n{reconcile.stdout}{reconcile.stderr}\n"
            f"staffing verify (exit {verify.returncode}):\n{verify.stdout}{verify.stderr}\n"
            f"launcher:\n{system.output()[-3000:]}"
        )
        assert reconcile.returncode == 0, evidence
        assert verify.returncode == 0, evidence
        assert calls.outcomes["accept ok"] + calls.outcomes["move to hired ok"] > 0, evidence
        assert not [k for k in calls.outcomes if k.endswith(" 422")], evidence
        for victim in set(monkey.killed) - {"nats"}:
            assert f"{victim} exited with -9; restarting" in system.output(), evidence
        return (
            f"seed {seed}: killed {','.join(monkey.killed)}; workload"
            f" {time.monotonic() - started:.1f}s; {outcomes}"
        )
    finally:
        await calls.close()


@contextlib.contextmanager
def running_system(root: Path, database_urls: dict[str, str] | None = None) -> Iterator[Launched]:
    """`teacherpool up --no-seed`, ready, stopped afterwards."""
    system = launch(root, database_urls)
    system.start()
    try:
        asyncio.run(system.wait_ready())
        yield system
    finally:
        system.stop()
