"""Finding 5: log-in throttling nobody else controls, one answer for every refusal, argon2 off the
event loop, trusted proxies, a pre-authentication limit per address, and aggregated audit rows.
"""

from __future__ import annotations

import asyncio
import threading

import pytest
from sqlalchemy import select, update
from sqlmodel import col

from common.db import Database
from gateway.app import create_app
from gateway.auth import throttle
from gateway.auth.secrets import verify_password
from gateway.models import AuditEntry, User
from tests.gateway.support import PASSWORD, add_user, gateway_settings
from tests.support import running

SESSION = "/api/auth/v1/session"
ATTACKER = "203.0.113.5"
CITY_OFFICE = "198.51.100.7"


@pytest.fixture
async def database_url(make_database) -> str:
    url: str = await make_database("gateway")
    await add_user(url, "cityhr", "city_hr")
    await add_user(url, "former", "city_hr")
    db = Database(url)
    async with db.session() as session:
        await session.execute(
            update(User).where(col(User.username) == "former").values(disabled=True)
        )
    await db.dispose()
    return url


def gateway(identity, url, **extra):
    extra.setdefault("rate_limit_login_per_minute", 1000)
    # The test client connects from 127.0.0.1, the trusted proxy that names the real source.
    extra.setdefault("forwarded_allow_ips", "127.0.0.1")
    return create_app(gateway_settings(identity, url, **extra))


async def log_in(client, username: str, password: str, source: str):
    return await client.post(
        SESSION,
        json={"username": username, "password": password},
        headers={"X-Forwarded-For": source},
    )


async def test_failures_from_one_source_do_not_lock_the_account_elsewhere(database_url, identity):
    async with running(gateway(identity, database_url), "http://gateway") as client:
        for _ in range(12):
            assert (await log_in(client, "cityhr", "wrong", ATTACKER)).status_code == 401
        # The attacker's own source is slowed down, even with the right password ...
        assert (await log_in(client, "cityhr", PASSWORD, ATTACKER)).status_code == 401
        # ... but city HR logs in from its office at once.
        office = await log_in(client, "cityhr", PASSWORD, CITY_OFFICE)
        assert office.status_code == 200, office.text


async def test_ipv6_sources_are_throttled_by_64_prefix(database_url, identity):
    async with running(gateway(identity, database_url), "http://gateway") as client:
        for n in range(12):
            await log_in(client, "cityhr", "wrong", f"2001:db8:0:0::{n + 1:x}")
        assert (await log_in(client, "cityhr", PASSWORD, "2001:db8::ff")).status_code == 401
        other = await log_in(client, "cityhr", PASSWORD, "2001:db8:0:1::1")
        assert other.status_code == 200, other.text


async def test_every_refusal_is_the_same_401(database_url, identity):
    async with running(gateway(identity, database_url), "http://gateway") as client:
        for _ in range(12):
            await log_in(client, "cityhr", "wrong", ATTACKER)
        answers = {
            "unknown user": await log_in(client, "nobody", "wrong", CITY_OFFICE),
            "wrong password": await log_in(client, "cityhr", "wrong", CITY_OFFICE),
            "disabled, right password": await log_in(client, "former", PASSWORD, CITY_OFFICE),
            "throttled, right password": await log_in(client, "cityhr", PASSWORD, ATTACKER),
        }
    statuses = {why: r.status_code for why, r in answers.items()}
    assert set(statuses.values()) == {401}, statuses
    bodies = {r.text for r in answers.values()}
    assert len(bodies) == 1, bodies


async def test_password_hashing_does_not_block_the_event_loop(
    database_url, identity, monkeypatch: pytest.MonkeyPatch
):
    checked_on: list[str] = []

    def verify(password_hash: str | None, password: str) -> bool:
        checked_on.append(threading.current_thread().name)
        return verify_password(password_hash, password)

    monkeypatch.setattr(throttle, "verify_password", verify)
    async with running(gateway(identity, database_url), "http://gateway") as client:
        loop_thread = threading.current_thread().name
        answers = await asyncio.gather(
            *(log_in(client, "cityhr", "wrong", f"198.51.100.{n}") for n in range(4))
        )
    assert [a.status_code for a in answers] == [401] * 4
    # Each argon2 check ran in the password pool's threads, none on the event loop's.
    assert len(checked_on) == 4
    assert loop_thread not in checked_on
    assert all(name.startswith("tp-password") for name in checked_on), checked_on


async def test_unauthenticated_requests_are_limited_by_address_first(database_url, identity):
    app = gateway(identity, database_url, rate_limit_unauthenticated_per_minute=3)
    async with running(app, "http://gateway") as client:
        statuses = [
            (
                await client.get(
                    "/api/auth/v1/me",
                    headers={"Authorization": "Bearer not-a-token", "X-Forwarded-For": ATTACKER},
                )
            ).status_code
            for _ in range(5)
        ]
        assert statuses[:3] == [401, 401, 401] and statuses[3:] == [429, 429], statuses
        elsewhere = await client.get(
            "/api/auth/v1/me",
            headers={"Authorization": "Bearer not-a-token", "X-Forwarded-For": CITY_OFFICE},
        )
        assert elsewhere.status_code == 401


async def test_untrusted_peers_cannot_choose_their_source(database_url, identity):
    app = gateway(
        identity, database_url, forwarded_allow_ips="10.9.9.9", rate_limit_login_per_minute=2
    )
    async with running(app, "http://gateway") as client:
        statuses = [
            (await log_in(client, "nobody", "x", f"198.51.100.{n}")).status_code for n in range(3)
        ]
    assert statuses == [401, 401, 429]


async def test_refused_log_ins_are_aggregated_in_the_audit(database_url, identity):
    async with running(gateway(identity, database_url), "http://gateway") as client:
        for _ in range(10):
            await log_in(client, "cityhr", "wrong", ATTACKER)
    db = Database(database_url)
    async with db.session(read_only=True) as session:
        rows = (
            (await session.execute(select(AuditEntry).where(AuditEntry.actor == "user:cityhr")))
            .scalars()
            .all()
        )
    await db.dispose()
    assert 1 <= len(rows) <= 2, [r.action for r in rows]
    assert any("10" in r.action for r in rows), [r.action for r in rows]
