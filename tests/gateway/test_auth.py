"""Log-in, tokens, refresh rotation, CSRF, lock-out, rate limits and partner keys at the gateway."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI, Request

from common.auth import load_verifier
from gateway.app import create_app
from tests.gateway.support import (
    PASSWORD,
    add_user,
    bearer,
    gateway_settings,
    password_grant,
    served,
)
from tests.support import Identity, running

ME = "/api/auth/v1/me"
UNITS = "/api/staffing/v1/units"


@pytest.fixture
async def database_url(make_database) -> str:
    url: str = await make_database("gateway")
    await add_user(url, "cityhr", "city_hr")
    await add_user(url, "school.one", "school_admin", unit_id=uuid.uuid4())
    return url


@pytest.fixture
async def client(database_url: str, identity: Identity) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(gateway_settings(identity, database_url, rate_limit_login_per_minute=100))
    async with running(app, "http://gateway") as c:
        yield c


def claims(identity: Identity, **overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    base = {
        "sub": "user:cityhr",
        "kind": "user",
        "role": "city_hr",
        "fam": str(uuid.uuid4()),
        "iss": identity.common().auth_issuer,
        "aud": "teacherpool-api",
        "iat": now,
        "exp": now + timedelta(minutes=5),
    }
    return {**base, **overrides}


def gateway_key(identity: Identity) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(identity.private_key_file.read_bytes(), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    return key


async def assert_refused(client: httpx.AsyncClient, token: str) -> None:
    for path in (ME, UNITS):
        response = await client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, (path, response.text)
        assert response.headers["content-type"] == "application/problem+json"


class TestBearerTokens:
    async def test_alg_none_is_rejected(self, client, identity):
        await assert_refused(client, jwt.encode(claims(identity), None, algorithm="none"))

    async def test_an_hmac_signed_token_is_rejected(self, client, identity):
        forged = jwt.encode(
            claims(identity), "a-shared-secret-of-32-bytes-long!", algorithm="HS256"
        )
        await assert_refused(client, forged)

    async def test_a_wrong_key_is_rejected(self, client, identity):
        stranger = Ed25519PrivateKey.generate()
        await assert_refused(client, jwt.encode(claims(identity), stranger, algorithm="EdDSA"))

    async def test_an_expired_token_is_rejected(self, client, identity):
        past = datetime.now(UTC) - timedelta(hours=1)
        token = jwt.encode(
            claims(identity, iat=past, exp=past + timedelta(minutes=5)),
            gateway_key(identity),
            algorithm="EdDSA",
        )
        await assert_refused(client, token)

    async def test_a_wrong_audience_is_rejected(self, client, identity):
        token = jwt.encode(
            claims(identity, aud="teacherpool-services"), gateway_key(identity), algorithm="EdDSA"
        )
        await assert_refused(client, token)

    async def test_an_internal_service_token_is_not_a_gateway_token(self, client, identity):
        from tests.support import principal

        await assert_refused(
            client, identity.signer.sign(principal("city_hr"), audience="staffing")
        )

    async def test_a_valid_token_is_accepted(self, client):
        response = await client.get(ME, headers=await bearer(client, "cityhr"))
        assert response.status_code == 200
        assert response.json()["role"] == "city_hr"


class TestRefresh:
    async def test_refresh_rotates_the_token(self, client):
        first = await password_grant(client, "cityhr")
        response = await client.post(
            "/api/auth/v1/token",
            data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        )
        assert response.status_code == 200
        assert response.json()["refresh_token"] != first["refresh_token"]

    async def test_reusing_a_refresh_token_revokes_its_family(self, client):
        first = await password_grant(client, "cityhr")
        rotated = await client.post(
            "/api/auth/v1/token",
            data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        )
        second = rotated.json()
        reuse = await client.post(
            "/api/auth/v1/token",
            data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        )
        assert reuse.status_code == 401
        assert "reused" in reuse.json()["detail"]
        after = await client.post(
            "/api/auth/v1/token",
            data={"grant_type": "refresh_token", "refresh_token": second["refresh_token"]},
        )
        assert after.status_code == 401
        await assert_refused(client, second["access_token"])

    async def test_log_out_revokes_the_log_in(self, client):
        tokens = await password_grant(client, "cityhr")
        response = await client.post("/api/auth/v1/revoke", data={"token": tokens["refresh_token"]})
        assert response.status_code == 200
        await assert_refused(client, tokens["access_token"])
        again = await client.post(
            "/api/auth/v1/token",
            data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        )
        assert again.status_code == 401


class TestCookieSessions:
    async def log_in(self, client: httpx.AsyncClient) -> str:
        response = await client.post(
            "/api/auth/v1/session", json={"username": "cityhr", "password": PASSWORD}
        )
        assert response.status_code == 200
        cookie = response.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie
        return str(response.json()["csrf_token"])

    async def test_reads_need_no_csrf_token(self, client):
        await self.log_in(client)
        assert (await client.get(ME)).status_code == 200

    async def test_a_change_without_the_csrf_token_is_refused(self, client):
        await self.log_in(client)
        response = await client.post(UNITS, json={})
        assert response.status_code == 403
        assert response.json()["type"] == "/problems/csrf-failed"
        wrong = await client.post(UNITS, json={}, headers={"X-CSRF-Token": "guess"})
        assert wrong.status_code == 403

    async def test_a_change_with_the_csrf_token_goes_through(self, client):
        csrf = await self.log_in(client)
        response = await client.post(UNITS, json={}, headers={"X-CSRF-Token": csrf})
        assert response.status_code == 503  # forwarded; the service is down in this test

    async def test_log_out_ends_the_session(self, client):
        csrf = await self.log_in(client)
        assert (await client.delete("/api/auth/v1/session")).status_code == 403
        assert (
            await client.delete("/api/auth/v1/session", headers={"X-CSRF-Token": csrf})
        ).status_code == 204
        assert (await client.get(ME)).status_code == 401


class TestLogInLimits:
    # Throttling per account and source: tests/security/test_login_lockout_enumeration.py
    async def test_login_is_rate_limited_per_address(self, database_url, identity):
        app = create_app(gateway_settings(identity, database_url, rate_limit_login_per_minute=3))
        async with running(app, "http://gateway") as client:
            statuses = [
                (
                    await client.post(
                        "/api/auth/v1/token",
                        data={"grant_type": "password", "username": "nobody", "password": "x"},
                    )
                )
                for _ in range(4)
            ]
        assert [r.status_code for r in statuses] == [401, 401, 401, 429]
        limited = statuses[-1]
        assert int(limited.headers["Retry-After"]) >= 1
        assert limited.headers["RateLimit-Remaining"] == "0"
        assert limited.headers["RateLimit-Limit"] == "3"


class TestPartnerKeys:
    async def new_key(self, client: httpx.AsyncClient, *scopes: str) -> tuple[str, str, str]:
        hr = await bearer(client, "cityhr")
        partner = await client.post(
            "/api/auth/v1/partners",
            json={"name": f"site-{uuid.uuid4().hex[:6]}", "scopes": list(scopes)},
            headers=hr,
        )
        assert partner.status_code == 201, partner.text
        client_id = partner.json()["id"]
        key = await client.post(f"/api/auth/v1/partners/{client_id}/keys", json={}, headers=hr)
        assert key.status_code == 201
        return client_id, key.json()["id"], key.json()["api_key"]

    async def test_a_key_reaches_its_scopes_only(self, client):
        _, _, api_key = await self.new_key(client, "postings:read")
        headers = {"X-API-Key": api_key}
        assert (await client.get("/api/talent/v1/postings", headers=headers)).status_code == 503
        assert (await client.get(UNITS, headers=headers)).status_code == 403
        assert (await client.post("/api/talent/v1/candidates", headers=headers)).status_code == 403

    async def test_a_key_is_shown_once_and_revocable(self, client):
        client_id, key_id, api_key = await self.new_key(client, "postings:read")
        hr = await bearer(client, "cityhr")
        assert (await client.get(ME, headers={"X-API-Key": api_key})).status_code == 200
        listed = (await client.get(f"/api/auth/v1/partners/{client_id}/keys", headers=hr)).json()
        assert api_key not in str(listed)
        assert listed["data"][0]["prefix"] == api_key[:12]
        assert listed["data"][0]["last_used_at"] is not None
        revoked = await client.delete(
            f"/api/auth/v1/partners/{client_id}/keys/{key_id}", headers=hr
        )
        assert revoked.status_code == 200
        assert (await client.get(ME, headers={"X-API-Key": api_key})).status_code == 401

    async def test_a_tampered_key_is_refused(self, client):
        _, _, api_key = await self.new_key(client, "postings:read")
        tampered = api_key[:-1] + ("A" if api_key[-1] != "A" else "B")
        assert (await client.get(ME, headers={"X-API-Key": tampered})).status_code == 401

    async def test_only_city_hr_manages_partners(self, client):
        school = await bearer(client, "school.one")
        response = await client.post(
            "/api/auth/v1/partners", json={"name": "x", "scopes": ["postings:read"]}, headers=school
        )
        assert response.status_code == 403


def echo_service() -> FastAPI:
    app = FastAPI()

    @app.api_route("/v1/{path:path}", methods=["GET", "POST"])
    async def echo(request: Request) -> dict[str, Any]:
        return {"headers": dict(request.headers)}

    return app


class TestIdentityToServices:
    async def test_services_get_the_signed_identity_and_no_credentials(
        self, database_url, identity
    ):
        with served(echo_service()) as upstream:
            settings = gateway_settings(identity, database_url, staffing_url=upstream.url)
            async with running(create_app(settings), "http://gateway") as client:
                login = await client.post(
                    "/api/auth/v1/session", json={"username": "cityhr", "password": PASSWORD}
                )
                csrf = login.json()["csrf_token"]
                response = await client.post(UNITS, json={}, headers={"X-CSRF-Token": csrf})
        seen = response.json()["headers"]
        assert "cookie" not in seen and "x-csrf-token" not in seen and "x-api-key" not in seen
        principal = load_verifier(identity.common(), "staffing").verify(
            seen["authorization"].split()[1]
        )
        assert principal.sub == "user:cityhr" and principal.role == "city_hr"
        assert seen["x-request-id"] == response.headers["x-request-id"]
