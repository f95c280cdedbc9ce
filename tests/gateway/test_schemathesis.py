"""The merged OpenAPI at the gateway, fuzzed with schemathesis: no 5xx, no answer off its schema."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from gateway.app import create_app
from services.sharing.app import create_app as create_sharing
from services.sharing.settings import SharingSettings
from services.staffing.app import create_app as create_staffing
from services.staffing.settings import StaffingSettings
from services.talent.app import create_app as create_talent
from services.talent.settings import TalentSettings
from tests.gateway.support import PASSWORD, ThreadServer, add_user, gateway_settings
from tests.support import Databases, Identity, service_settings

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

pytestmark = pytest.mark.slow
NO_NATS = "nats://127.0.0.1:1"


@pytest.fixture(scope="module")
def platform(databases: Databases, identity: Identity) -> Iterator[dict[str, Any]]:
    """All three services and the gateway on real ports, with a city HR bearer token."""
    urls = {
        name: asyncio.run(databases.create(name, "sqlite"))
        for name in ("staffing", "sharing", "talent", "gateway")
    }
    asyncio.run(add_user(urls["gateway"], "cityhr", "city_hr"))
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
    gateway = ThreadServer(
        create_app(gateway_settings(identity, urls["gateway"], **upstreams))
    ).start()
    servers.append(gateway)
    try:
        token = httpx.post(
            f"{gateway.url}/api/auth/v1/token",
            data={"grant_type": "password", "username": "cityhr", "password": PASSWORD},
        ).json()["access_token"]
        document = httpx.get(f"{gateway.url}/api/openapi.json").json()
        assert "x-services-unavailable" not in document["info"]
        yield {"url": gateway.url, "token": token, "document": document}
    finally:
        for server in servers:
            server.stop()


# Spreadsheet uploads are sent as raw bytes: anything that is not a workbook must be a 422.
schemathesis.serializer.alias(XLSX, "application/octet-stream")


def test_the_merged_api_holds_to_its_schema(platform: dict[str, Any]) -> None:
    merged = schemathesis.openapi.from_dict(platform["document"])
    headers = {"Authorization": f"Bearer {platform['token']}"}
    failures = []
    operations = [result.ok() for result in merged.get_all_operations()]
    assert len(operations) > 10
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=6,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def call(case: Any) -> None:
            case.call_and_validate(
                base_url=platform["url"],
                headers=headers,
                checks=[not_a_server_error, response_schema_conformance],
            )

        try:
            call()
        except Exception as error:
            failures.append(f"{operation.method.upper()} {operation.path}: {error}")
    assert not failures, "\n\n".join(failures)
