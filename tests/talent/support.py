"""Helpers for the talent tests: the service in-process, units, people with valid ID numbers,
staffing's answers published as staffing would, and a webhook receiver on a real socket."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx
from fastapi import FastAPI

from common.auth import Principal
from common.db import Database, utcnow
from contracts.base import Envelope, Event
from contracts.staffing import ReservationConfirmed, StaffHired
from services.talent.app import create_app
from services.talent.candidates.identity import check_digit
from services.talent.models import Unit
from services.talent.settings import TalentSettings
from tests.support import (
    Identity,
    eventually,
    free_port,
    principal,
    running,
    service_settings,
)

CITY_HR = principal("city_hr", sub="user:city-hr")
ALL_SCOPES = (
    "postings:read",
    "candidates:write",
    "applications:write",
    "applications:read",
    "webhooks:manage",
)
DISTRICT = uuid.UUID("00000000-0000-4000-8000-000000000001")
SCHOOL = uuid.UUID("00000000-0000-4000-8000-000000000002")
OTHER_DISTRICT = uuid.UUID("00000000-0000-4000-8000-000000000003")
OTHER_SCHOOL = uuid.UUID("00000000-0000-4000-8000-000000000004")
_serial = itertools.count(1)


def partner(name: str, scopes: tuple[str, ...] = ALL_SCOPES) -> Principal:
    return Principal(sub=f"partner:{name}", kind="partner", role="partner", scopes=scopes)


def id_number(n: int | None = None, *, born: date = date(1995, 3, 7), male: bool = True) -> str:
    """A valid 18-character ID number (Qingyang district code), distinct for each `n`."""
    n = next(_serial) if n is None else n
    sequence = (n * 2 + (1 if male else 0)) % 1000
    first17 = f"510105{born:%Y%m%d}{sequence:03d}"
    return first17 + check_digit(first17)


def person(n: int | None = None, **extra: Any) -> dict[str, Any]:
    n = next(_serial) if n is None else n
    born = date(1990 + n % 10, 1 + n % 12, 1 + n % 28)
    return {
        "name": f"候选人{n:05d}",
        "id_number": id_number(n % 1000, born=born),
        "phone": f"139{n:08d}",
        "email": f"c{n:05d}@example.cn",
        "degree": "master",
        "major": "数学",
        "certificates": ["高中数学教师资格证"],
        "talent_tier": "C",
        "source": "website",
        "external_id": f"ext-{n}",
        "consent": True,
        **extra,
    }


class Api:
    """The talent service's HTTP API as the tests use it."""

    def __init__(self, client: httpx.AsyncClient, identity: Identity, app: FastAPI) -> None:
        self.client = client
        self.identity = identity
        self.app = app
        self._headers: dict[str, dict[str, str]] = {}

    @property
    def db(self) -> Database:
        return self.app.state.db

    def headers(self, who: Principal) -> dict[str, str]:
        if who.sub not in self._headers:
            self._headers[who.sub] = self.identity.headers(who)
        return self._headers[who.sub]

    async def call(
        self,
        method: str,
        path: str,
        who: Principal = CITY_HR,
        key: str | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        headers = dict(self.headers(who))
        if key:
            headers["Idempotency-Key"] = key
        return await self.client.request(method, path, headers=headers, **kwargs)

    async def ok(self, method: str, path: str, who: Principal = CITY_HR, **kwargs: Any) -> Any:
        response = await self.call(method, path, who, **kwargs)
        assert response.status_code < 300, response.text
        return response.json() if response.content else None

    async def posting(
        self,
        *,
        quota_type: str = "control",
        count: int = 2,
        unit_id: uuid.UUID = SCHOOL,
        held: bool | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """A posting, opened: pending the posts, or open once staffing (played here) holds
        them; `held` defaults to true for `control` postings, as the tests used to need."""
        created = await self.ok(
            "POST",
            "/v1/postings",
            json={
                "unit_id": str(unit_id),
                "title": "高中数学教师",
                "subject": "数学",
                "stage": "senior",
                "count": count,
                "quota_type": quota_type,
                **extra,
            },
        )
        opened = await self.ok("POST", f"/v1/postings/{created['id']}/open")
        if not (quota_type == "control" if held is None else held):
            return opened
        await self.staffing_says(reservation_confirmed(opened), opened["id"])
        found: dict[str, Any] = {}

        async def open_now() -> bool:
            found.update(await self.ok("GET", f"/v1/postings/{opened['id']}"))
            return found["status"] == "open"

        await eventually(open_now)
        return found

    async def staffing_hired(self, application: dict[str, Any], posting: dict[str, Any]) -> None:
        """Staffing's confirmation of a hire, as it would publish it; waits until `hired`."""
        await self.staffing_says(
            StaffHired(
                staff_id=uuid.uuid4(),
                unit_id=uuid.UUID(posting["unit_id"]),
                district_id=None,
                quota_type=posting["quota_type"],
                name="x",
                hire_date=date(2026, 9, 1),
                posting_id=uuid.UUID(posting["id"]),
                application_id=uuid.UUID(application["id"]),
            ),
            application["id"],
        )

        async def hired() -> bool:
            body = await self.ok("GET", f"/v1/applications/{application['id']}")
            return body["status"] == "hired"

        await eventually(hired)

    async def candidate(self, who: Principal, **extra: Any) -> dict[str, Any]:
        return await self.ok("POST", "/v1/candidates", who, json=person(**extra))

    async def application(
        self, who: Principal, candidate_id: str, posting_id: str
    ) -> dict[str, Any]:
        return await self.ok(
            "POST",
            "/v1/applications",
            who,
            json={"candidate_id": candidate_id, "posting_id": posting_id},
        )

    async def move(
        self, application_id: str, to: str, who: Principal = CITY_HR, note: str | None = None
    ) -> httpx.Response:
        return await self.call(
            "POST",
            f"/v1/applications/{application_id}/transitions",
            who,
            json={"to": to, "note": note},
        )

    async def staffing_says(self, event: Event, subject: str) -> None:
        """Publish an event on STAFFING as the staffing service would."""
        envelope = Envelope.wrap(event, source="teacherpool/staffing", subject=subject)
        await self.app.state.bus.js.publish(
            envelope.type,
            envelope.model_dump_json().encode(),
            headers={"Nats-Msg-Id": str(envelope.id)},
        )


def reservation_confirmed(posting: dict[str, Any]) -> ReservationConfirmed:
    """Staffing's answer that it holds a posting's posts."""
    return ReservationConfirmed(
        posting_id=uuid.UUID(posting["id"]),
        unit_id=uuid.UUID(posting["unit_id"]),
        quota_type=posting["quota_type"],
        count=posting["count"],
        attempt=posting.get("reservation_attempt", 1),
    )


async def add_units(url: str) -> None:
    """The units talent would know from staffing's events: two districts, a school in each."""
    db = Database(url)
    try:
        async with db.session() as session:
            for unit_id, kind, code, district in (
                (DISTRICT, "district", "510105", None),
                (SCHOOL, "school", "510105-S0001", DISTRICT),
                (OTHER_DISTRICT, "district", "510106", None),
                (OTHER_SCHOOL, "school", "510106-S0001", OTHER_DISTRICT),
            ):
                session.add(
                    Unit(
                        id=unit_id,
                        kind=kind,
                        code=code,
                        name=code,
                        district_id=district,
                        stages=["senior"],
                        as_of=utcnow(),
                    )
                )
    finally:
        await db.dispose()


def talent_settings(identity: Identity, url: str, nats_url: str, **extra: Any) -> TalentSettings:
    extra.setdefault("webhook_poll_seconds", 0.05)
    # The receivers listen on 127.0.0.1: the tests opt in as an operator would on a test bench.
    extra.setdefault("webhook_allow_private_targets", True)
    return service_settings(TalentSettings, identity, url, nats_url, **extra)


@contextlib.asynccontextmanager
async def talent(
    identity: Identity, url: str, nats_url: str, *, units: bool = True, **extra: Any
) -> AsyncIterator[Api]:
    if units:
        await add_units(url)
    app = create_app(talent_settings(identity, url, nats_url, **extra))
    async with running(app) as client:
        yield Api(client, identity, app)


@dataclass
class Received:
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A minimal HTTP/1.1 server on a real socket: records each POST, answers `status`."""

    status: int = 204
    received: list[Received] = field(default_factory=list)
    port: int = field(default_factory=free_port)
    _server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    async def __aenter__(self) -> Receiver:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        name, _, value = line.partition(":")
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                status = self.status
                if status < 300:
                    self.received.append(Received(body, headers))
                writer.write(f"HTTP/1.1 {status} X\r\ncontent-length: 0\r\n\r\n".encode("latin-1"))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
