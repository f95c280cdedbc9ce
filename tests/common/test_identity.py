"""A service answers 401 to any request without a valid gateway-signed token."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from common.auth import (
    SERVICE_TOKEN_TYPE,
    TokenSigner,
    TokenVerifier,
    audience_of,
    load_verifier,
)
from common.errors import Unauthorized
from services.staffing.app import create_app
from services.staffing.settings import StaffingSettings
from tests.support import Identity, principal, running, service_settings


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def claims(identity: Identity, **override: object) -> dict[str, object]:
    now = datetime.now(UTC)
    base: dict[str, object] = {
        "sub": "user:cityhr",
        "role": "city_hr",
        "kind": "user",
        "iss": identity.common().auth_issuer,
        "aud": audience_of("staffing"),
        "iat": now,
        "exp": now + timedelta(minutes=5),
    }
    base.update(override)
    return base


def claims_json(identity: Identity) -> dict[str, object]:
    now = int(datetime.now(UTC).timestamp())
    return {**claims(identity), "iat": now, "exp": now + 300}


def bad_tokens(identity: Identity, tmp_path: Path) -> dict[str, str | None]:
    good_key = Ed25519PrivateKey.from_private_bytes(identity.signer._key.private_bytes_raw())
    other_key = Ed25519PrivateKey.generate()
    now = datetime.now(UTC)
    # Right type and key id, so each token is refused for the fault its name says.
    typed = {"typ": SERVICE_TOKEN_TYPE, "kid": identity.signer.kid}
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64({'sub': 'x', 'role': 'city_hr'})}."
    return {
        "no token": None,
        "not a jwt": "abc.def",
        "alg none": unsigned,
        "other key": jwt.encode(claims(identity), other_key, algorithm="EdDSA", headers=typed),
        "expired": jwt.encode(
            claims(identity, iat=now - timedelta(hours=2), exp=now - timedelta(hours=1)),
            good_key,
            algorithm="EdDSA",
            headers=typed,
        ),
        "wrong audience": jwt.encode(
            claims(identity, aud="someone-else"), good_key, algorithm="EdDSA", headers=typed
        ),
        "wrong issuer": jwt.encode(
            claims(identity, iss="mallory"), good_key, algorithm="EdDSA", headers=typed
        ),
        "hmac": f"{_b64({'alg': 'HS256', 'typ': 'JWT'})}.{_b64(claims_json(identity))}.c2ln",
        "unknown role": jwt.encode(
            claims(identity, role="emperor"), good_key, algorithm="EdDSA", headers=typed
        ),
    }


async def test_service_refuses_every_bad_token(make_database, nats_server, identity, tmp_path):
    settings = service_settings(
        StaffingSettings, identity, await make_database("staffing"), nats_server.url
    )
    async with running(create_app(settings)) as client:
        for name, token in bad_tokens(identity, tmp_path).items():
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            response = await client.get("/v1/units", headers=headers)
            assert response.status_code == 401, name
            assert response.headers["content-type"] == "application/problem+json", name
            assert response.json()["status"] == 401, name
            assert "WWW-Authenticate" in response.headers, name
        ok = await client.get("/v1/units", headers=identity.headers(principal("city_hr")))
        assert ok.status_code == 200


def test_verifier_allows_only_eddsa(identity: Identity) -> None:
    verifier: TokenVerifier = load_verifier(identity.common(), "staffing")
    signer: TokenSigner = identity.signer
    token = signer.sign(principal("auditor"), audience="staffing")
    assert verifier.verify(token).role == "auditor"
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header["alg"] == "EdDSA"
    with pytest.raises(Unauthorized):
        verifier.verify(signer.sign(principal("auditor"), audience="staffing", ttl=-60))
