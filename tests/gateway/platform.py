"""The whole system behind the gateway on real ports (no NATS), for tests that call it as a client
would: city HR with a bearer token, a partner with an API key."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from gateway.app import create_app
from services.sharing.app import create_app as create_sharing
from services.sharing.settings import SharingSettings
from services.staffing.app import create_app as create_staffing
from services.staffing.settings import StaffingSettings
from services.talent.app import create_app as create_talent
from services.talent.settings import TalentSettings
from tests.gateway.support import PASSWORD, ThreadServer, add_user, gateway_settings
from tests.support import Databases, Identity, service_settings
from tests.talent.support import ALL_SCOPES, add_units

NO_NATS = "nats://127.0.0.1:1"


@dataclass
class Platform:
    """Where the gateway answers, and who may call it."""

    url: str
    database_urls: dict[str, str]
    hr_token: str
    partner_key: str
    document: dict[str, Any] = field(default_factory=dict)

    @property
    def hr(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.hr_token}"}

    @property
    def partner(self) -> dict[str, str]:
        return {"X-API-Key": self.partner_key}


def new_partner_key(url: str, hr: dict[str, str], name: str) -> str:
    """City HR registers a partner with every talent scope; its key, shown once."""
    created = httpx.post(
        f"{url}/api/auth/v1/partners",
        json={"name": name, "scopes": list(ALL_SCOPES)},
        headers=hr,
        timeout=30,
    )
    assert created.status_code == 201, created.text
    key = httpx.post(
        f"{url}/api/auth/v1/partners/{created.json()['id']}/keys", json={}, headers=hr, timeout=30
    )
    assert key.status_code == 201, key.text
    return str(key.json()["api_key"])


def serve(identity: Identity, urls: dict[str, str], **gateway: Any) -> list[ThreadServer]:
    """Staffing, sharing and talent on their databases without NATS, then the gateway in front
    of them (last in the list), each on a real port; `gateway` overrides its settings."""
    services = {
        "staffing": create_staffing(
            service_settings(StaffingSettings, identity, urls["staffing"], NO_NATS)
        ),
        "sharing": create_sharing(
            service_settings(SharingSettings, identity, urls["sharing"], NO_NATS)
        ),
        "talent": create_talent(
            service_settings(TalentSettings, identity, urls["talent"], NO_NATS)
        ),
    }
    servers = [ThreadServer(app).start() for app in services.values()]
    upstreams = {f"{name}_url": s.url for name, s in zip(services, servers, strict=True)}
    gateway_app = create_app(gateway_settings(identity, urls["gateway"], **upstreams, **gateway))
    servers.append(ThreadServer(gateway_app).start())
    return servers


def platform(
    databases: Databases, identity: Identity, backend: str = "sqlite", **gateway: Any
) -> Iterator[Platform]:
    """Start every service and the gateway; yield the platform; stop them all."""
    urls = {
        name: asyncio.run(databases.create(name, backend))
        for name in ("staffing", "sharing", "talent", "gateway")
    }
    asyncio.run(add_user(urls["gateway"], "cityhr", "city_hr"))
    # Talent knows units only from staffing's events, which need NATS: the test units stand in.
    asyncio.run(add_units(urls["talent"]))
    servers = serve(identity, urls, **gateway)
    url = servers[-1].url
    try:
        token = httpx.post(
            f"{url}/api/auth/v1/token",
            data={"grant_type": "password", "username": "cityhr", "password": PASSWORD},
            timeout=30,
        ).json()["access_token"]
        key = new_partner_key(url, {"Authorization": f"Bearer {token}"}, "recruitment site")
        # Each service builds its document once, in seconds on a busy machine; the gateway asks
        # with a short timeout, so the documents are made before it asks.
        for server in servers[:-1]:
            httpx.get(f"{server.url}/openapi.json", timeout=60).raise_for_status()
        document = httpx.get(f"{url}/api/openapi.json", timeout=60).json()
        assert "x-services-unavailable" not in document["info"]
        yield Platform(url, urls, token, key, document)
    finally:
        for server in servers:
            server.stop()
