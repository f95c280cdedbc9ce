"""The reconciliation page when a service does not answer, and who may open it.

The page with every service up, its dead letters and the replay are tested on the whole system
in tests/chaos/test_chaos.py.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from gateway.app import create_app
from tests.gateway.support import PASSWORD, add_user, gateway_settings
from tests.support import Identity, free_port, running


@pytest.fixture
async def client(database_url: str, identity: Identity) -> AsyncIterator[httpx.AsyncClient]:
    # Nothing listens on these ports: every service is down.
    down = {
        f"{s}_url": f"http://127.0.0.1:{free_port()}" for s in ("staffing", "sharing", "talent")
    }
    app = create_app(gateway_settings(identity, database_url, **down))
    async with running(app, "http://gateway") as c:
        yield c


async def log_in(client: httpx.AsyncClient, username: str) -> None:
    form = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    await client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)}
    )


async def test_a_service_that_does_not_answer_is_said_on_the_page(client, database_url):
    await add_user(database_url, "recon.cityhr", "city_hr")
    await log_in(client, "recon.cityhr")
    page = await client.get("/reconciliation")
    assert page.status_code == 503
    assert 'data-testid="reconciliation-unavailable"' in page.text
    assert "not reachable" in page.text


async def test_only_city_hr_and_the_auditor_open_it(client, database_url):
    await add_user(database_url, "recon.district", "district_hr", district_id=uuid.uuid4())
    await log_in(client, "recon.district")
    refused = await client.get("/reconciliation")
    assert refused.status_code == 403
    menu = await client.get("/dashboard")
    assert 'href="/reconciliation"' not in menu.text
