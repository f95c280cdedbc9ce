"""Finding 9, the smaller ones: `__Host-` Secure cookies over https, live streams that end soon
after their log-in is revoked, gateway metrics only for the scoped token, and candidate lists for a
school that show what its decision needs and are rate-limited.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx
import pytest

from common.db import Database
from gateway.app import create_app
from services.sharing.app import create_app as create_sharing
from services.sharing.settings import SharingSettings
from tests.gateway.support import PASSWORD, add_user, gateway_settings, password_grant, served
from tests.sharing.support import DISTRICT, add_request, add_teacher, school_id, seed_city
from tests.support import principal, running, service_settings

SESSION = "/api/auth/v1/session"


@pytest.fixture
async def database_url(make_database) -> str:
    url: str = await make_database("gateway")
    await add_user(url, "cityhr", "city_hr")
    return url


async def test_session_cookie_is_host_prefixed_and_secure_over_https(database_url, identity):
    settings = gateway_settings(identity, database_url, public_url="https://tp.example.cn")
    async with running(create_app(settings), "https://gateway") as client:
        login = await client.post(SESSION, json={"username": "cityhr", "password": PASSWORD})
        assert login.status_code == 200, login.text
        cookie = login.headers["set-cookie"]
        assert cookie.startswith("__Host-tp_session="), cookie
        flags = {part.strip().lower() for part in cookie.split(";")}
        assert (
            "secure" in flags
            and "path=/" in flags
            and not any(f.startswith("domain=") for f in flags)
        )
        # The prefixed cookie is the one read back.
        me = await client.get("/api/auth/v1/me")
        assert me.status_code == 200, me.text


async def test_a_live_stream_ends_soon_after_its_log_in_is_revoked(database_url, identity):
    settings = gateway_settings(identity, database_url, stream_recheck_seconds=0.5)
    with served(create_app(settings)) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            tokens = await password_grant(client, "cityhr")
            headers = {"Authorization": f"Bearer {tokens['access_token']}"}
            async with client.stream(
                "GET", "/api/notifications/v1/stream", headers=headers
            ) as stream:
                assert stream.status_code == 200
                lines = stream.aiter_lines()
                assert (await anext(lines)).startswith("retry:")
                revoked = await client.post(
                    "/api/auth/v1/revoke", data={"token": tokens["refresh_token"]}
                )
                assert revoked.status_code == 200
                started = time.monotonic()

                async def drain() -> None:
                    async for _ in lines:
                        pass

                await asyncio.wait_for(drain(), timeout=8)
                assert time.monotonic() - started < 5


async def test_gateway_metrics_need_the_scoped_token(database_url, identity):
    settings = gateway_settings(identity, database_url, metrics_token="m" * 32)
    async with running(create_app(settings), "http://gateway") as client:
        assert (await client.get("/metrics")).status_code == 404
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer " + "x" * 32})
        assert wrong.status_code == 404
        right = await client.get("/metrics", headers={"Authorization": "Bearer " + "m" * 32})
        assert right.status_code == 200 and b"# HELP" in right.content


async def test_gateway_metrics_are_not_public_without_a_token(database_url, identity):
    settings = gateway_settings(identity, database_url, forwarded_allow_ips="127.0.0.1")
    async with running(create_app(settings), "http://gateway") as client:
        forwarded = await client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
        assert forwarded.status_code == 404


@pytest.fixture
async def sharing(make_database, nats_server, identity):
    url = str(await make_database("sharing"))
    db = Database(url)
    await seed_city(db)
    settings = service_settings(
        SharingSettings, identity, url, nats_server.url, school_candidates_per_minute=3
    )
    async with running(create_sharing(settings)) as http:
        yield http, db
    await db.dispose()


async def test_a_school_sees_what_its_decision_needs_and_no_more(sharing, identity):
    http, db = sharing
    for n in (2, 3, 4):
        await add_teacher(db, n)
    request_id = await add_request(db, 1, [(1, 1)])
    school = identity.headers(principal("school_admin", unit_id=school_id(1), district_id=DISTRICT))
    hr = identity.headers(principal("district_hr", district_id=DISTRICT))
    as_hr = await http.get(f"/v1/requests/{request_id}/candidates", headers=hr)
    assert as_hr.status_code == 200 and as_hr.json()["data"][0]["name"]
    as_school = await http.get(
        f"/v1/requests/{request_id}/candidates", headers=school, params={"limit": 200}
    )
    assert as_school.status_code == 200, as_school.text
    rows = as_school.json()["data"]
    assert rows and all(r["name"] is None and r["home_unit_id"] is None for r in rows)
    assert {"score", "reasons", "distance_km", "load", "weekly_cap"} <= rows[0].keys()
    statuses = [
        (await http.get(f"/v1/requests/{request_id}/candidates", headers=school)).status_code
        for _ in range(3)
    ]
    assert statuses[-1] == 429, statuses
    assert uuid.UUID(rows[0]["teacher_id"])  # the offer still names the teacher it is for
