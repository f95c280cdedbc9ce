"""What several gateway replicas share: rate limits in NATS KV; entity histories from the events."""

from __future__ import annotations

import asyncio
import hashlib
import time
import uuid
from typing import Any

import pytest

from common.bus import Bus
from gateway.app import create_app as create_gateway
from gateway.ratelimit import KV_BUCKET, MemoryRateLimiter, NatsRateLimiter, gcra_take
from services.staffing.app import create_app as create_staffing
from services.staffing.settings import StaffingSettings
from tests.gateway.support import add_user, bearer, gateway_settings, password_grant, served
from tests.support import eventually, principal, running, service_settings

pytestmark = pytest.mark.nats
ME = "/api/auth/v1/me"


async def test_two_replicas_share_one_rate_limit_in_nats_kv(nats_server):
    buses = [Bus(nats_server.url, name=f"gateway-{n}") for n in range(2)]
    for bus in buses:
        await bus.connect()
    limiters = [NatsRateLimiter(bus) for bus in buses]
    key = "user:张老师@成都/ip:::1"
    try:
        decisions = await asyncio.gather(
            *(limiters[n % 2].hit(key, per_minute=10) for n in range(30))
        )
        allowed = sum(d.allowed for d in decisions)
        assert allowed == 10, "the burst is shared, not granted once per replica"
        refused = next(d for d in decisions if not d.allowed)
        assert int(refused.headers()["Retry-After"]) >= 1
        other = await limiters[1].hit("user:someone-else", per_minute=10)
        assert other.allowed
    finally:
        for limiter in limiters:
            await limiter.close()
        for bus in buses:
            await bus.close()


async def test_a_busy_user_on_two_replicas_takes_requests_in_leases(nats_server):
    """Well under the limit nobody is refused, and the replicas write the key far less often
    than once per request; over it, the shared limit still holds."""
    buses = [Bus(nats_server.url, name=f"gateway-{n}") for n in range(2)]
    for bus in buses:
        await bus.connect()
    limiters = [NatsRateLimiter(bus) for bus in buses]
    try:
        busy = await asyncio.gather(
            *(limiters[n % 2].hit("user:busy", per_minute=6000) for n in range(400))
        )
        assert all(d.allowed for d in busy)
        kv = await buses[0].js.key_value(KV_BUCKET)
        writes = (await kv.get(hashlib.sha256(b"user:busy").hexdigest()[:40])).revision
        assert writes < 100, f"{writes} writes for 400 requests"

        started = time.monotonic()
        capped = await asyncio.gather(
            *(limiters[n % 2].hit("user:capped", per_minute=120) for n in range(300))
        )
        refilled = int((time.monotonic() - started) * 2) + 1
        allowed = sum(d.allowed for d in capped)
        # Each replica may hold back what is left of its last lease (two requests at most).
        assert 120 - 4 <= allowed <= 120 + refilled
        assert all(int(d.headers()["Retry-After"]) >= 1 for d in capped if not d.allowed)
    finally:
        for limiter in limiters:
            await limiter.close()
        for bus in buses:
            await bus.close()


async def test_a_revocation_at_one_replica_ends_the_cached_log_in_at_the_other(
    make_database, nats_server, identity
):
    """Without the announcement, replica B would serve the cached token for a minute."""
    url = await make_database("gateway")
    await add_user(url, "cityhr", "city_hr")
    await add_user(url, "teacher.li", "teacher", unit_id=uuid.uuid4(), teacher_id=uuid.uuid4())
    await add_user(url, "teacher.wu", "teacher", unit_id=uuid.uuid4(), teacher_id=uuid.uuid4())

    def replica() -> Any:
        return create_gateway(
            gateway_settings(
                identity,
                url,
                common=identity.common(nats_server.url),
                rate_limit_store="nats",
                revocation_check_seconds=60,
            )
        )

    a_app, b_app = replica(), replica()
    async with running(a_app, "http://a") as a, running(b_app, "http://b") as b:
        for app in (a_app, b_app):
            await eventually(lambda app=app: _true(app.state.auth.listening))
        hr = await bearer(a, "cityhr")
        li = await password_grant(a, "teacher.li")
        wu = await password_grant(a, "teacher.wu")
        li_auth = {"Authorization": f"Bearer {li['access_token']}"}
        wu_auth = {"Authorization": f"Bearer {wu['access_token']}"}
        for who in (li_auth, wu_auth):
            assert (await b.get(ME, headers=who)).status_code == 200  # cached at B now

        users = (await a.get("/api/auth/v1/users", headers=hr)).json()["data"]
        li_id = next(u["id"] for u in users if u["username"] == "teacher.li")
        disabled = await a.post(f"/api/auth/v1/users/{li_id}/disable", headers=hr)
        assert disabled.status_code == 200
        assert (await a.get(ME, headers=li_auth)).status_code == 401

        async def refused_at_b(auth: dict[str, str]) -> bool:
            return (await b.get(ME, headers=auth)).status_code == 401

        await eventually(lambda: refused_at_b(li_auth), timeout=5)
        assert (await b.get(ME, headers=wu_auth)).status_code == 200

        logged_out = await a.post("/api/auth/v1/revoke", data={"token": wu["refresh_token"]})
        assert logged_out.status_code == 200
        await eventually(lambda: refused_at_b(wu_auth), timeout=5)


async def _true(value: bool) -> bool:
    return value


async def test_entity_history_is_built_from_the_domain_events(make_database, own_nats, identity):
    staffing = service_settings(
        StaffingSettings, identity, await make_database("staffing"), own_nats.url
    )
    gateway_db = await make_database("gateway")
    await add_user(gateway_db, "auditor1", "auditor")
    await add_user(gateway_db, "teacher1", "teacher", unit_id=uuid.uuid4(), teacher_id=uuid.uuid4())
    city = identity.headers(principal("city_hr"))
    async with running(create_staffing(staffing)) as staffing_client:
        with served(create_staffing(staffing)) as upstream:
            settings = gateway_settings(
                identity,
                gateway_db,
                staffing_url=upstream.url,
                consume_events=True,
                common=identity.common(own_nats.url),
            )
            async with running(create_gateway(settings), base_url="http://gateway") as gateway:
                created = await staffing_client.post(
                    "/v1/units",
                    headers=city,
                    json={"kind": "district", "code": "H1", "name": "历史区"},
                )
                unit_id = created.json()["id"]
                auditor = await bearer(gateway, "auditor1")
                path = f"/api/audit/v1/entities/unit/{unit_id}/history"

                async def recorded() -> bool:
                    response = await gateway.get(path, headers=auditor)
                    return response.status_code == 200 and bool(response.json()["data"])

                await eventually(recorded, timeout=20)
                history = (await gateway.get(path, headers=auditor)).json()
                assert [h["type"] for h in history["data"]] == ["staffing.unit.registered"]
                assert history["data"][0]["data"]["name"] == "历史区"
                teacher = await bearer(gateway, "teacher1")
                assert (await gateway.get(path, headers=teacher)).status_code == 403


async def test_security_headers_and_body_limit(make_database, identity):
    settings = gateway_settings(identity, await make_database("gateway"), max_body_bytes=2048)
    async with running(create_gateway(settings), base_url="http://gateway") as gateway:
        response = await gateway.get("/healthz")
        csp = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        big = await gateway.post(
            "/api/auth/v1/token",
            content=b"x" * 5000,
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert big.status_code == 413
        assert big.headers["content-type"] == "application/problem+json"
        missing = await gateway.get("/api/nowhere/v1/x")
        assert missing.status_code in (401, 404)
        assert "Traceback" not in missing.text


@pytest.mark.parametrize("per_minute", [7, 20, 60, 600, 1200])
@pytest.mark.parametrize("now", [5_000.0, 1_800_000_000.0])  # time.monotonic(), time.time()
async def test_a_full_bucket_grants_exactly_its_limit_at_one_instant(per_minute: int, now: float):
    """The sum of a minute's intervals carries float error; it never costs the caller a request,
    one by one (the memory limiter) or taken in leases (the shared one)."""
    limiter = MemoryRateLimiter(clock=lambda: now)
    decisions = [await limiter.hit("key:site", per_minute) for _ in range(per_minute + 1)]
    assert [d.allowed for d in decisions] == [True] * per_minute + [False]
    tat, taken = now, 0
    while True:
        granted, _, tat = gcra_take(tat, now, per_minute, 7)
        if not granted:
            break
        taken += granted
    assert taken == per_minute
