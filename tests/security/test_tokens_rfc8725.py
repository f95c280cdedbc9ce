"""Finding 8 (RFC 8725): an audience per service, explicit `typ` per token kind, a key set with
`kid` so keys rotate without downtime, refresh families with an absolute lifetime, PyJWT ≥ 2.10.1.
"""

from __future__ import annotations

import tomllib
from datetime import timedelta
from importlib.metadata import version
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import update

from common.auth import load_signer, load_verifier
from common.db import Database, utcnow
from common.errors import Unauthorized
from gateway.app import create_app
from gateway.models import TokenFamily
from tests.gateway.support import add_user, gateway_settings, password_grant
from tests.support import Identity, principal, running

ROOT = Path(__file__).resolve().parents[2]


def test_a_token_for_one_service_is_refused_by_another(identity: Identity):
    common = identity.common()
    token = load_signer(common).sign(principal("city_hr"), audience="staffing")
    assert load_verifier(common, "staffing").verify(token).role == "city_hr"
    with pytest.raises(Unauthorized):
        load_verifier(common, "sharing").verify(token)


def test_each_token_kind_says_what_it_is(identity: Identity):
    common = identity.common()
    internal = load_signer(common).sign(principal("city_hr"), audience="talent")
    header = jwt.get_unverified_header(internal)
    assert header["typ"] == "tp-service+jwt" and header["kid"]
    # The same claims under another type (say, a client's access token) are refused.
    key = serialization.load_pem_private_key(common.private_key_path.read_bytes(), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    claims = jwt.decode(internal, options={"verify_signature": False})
    retyped = jwt.encode(
        claims, key, algorithm="EdDSA", headers={"typ": "at+jwt", "kid": header["kid"]}
    )
    with pytest.raises(Unauthorized):
        load_verifier(common, "talent").verify(retyped)


def test_a_key_set_verifies_old_and_new_keys_by_kid(tmp_path: Path, identity: Identity):
    old = identity.common()
    new_private = tmp_path / "new.pem"
    key = Ed25519PrivateKey.generate()
    new_private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    bundle = tmp_path / "keys.pub.pem"
    bundle.write_bytes(
        old.public_key_path.read_bytes()
        + key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    rotating = old.model_copy(update={"auth_public_key_file": bundle})
    verifier = load_verifier(rotating, "staffing")
    by_old = load_signer(old).sign(principal("auditor"), audience="staffing")
    by_new = load_signer(
        old.model_copy(
            update={"auth_private_key_file": new_private, "auth_public_key_file": bundle}
        )
    ).sign(principal("auditor"), audience="staffing")
    assert jwt.get_unverified_header(by_old)["kid"] != jwt.get_unverified_header(by_new)["kid"]
    assert verifier.verify(by_old).role == verifier.verify(by_new).role == "auditor"
    # Once the old key is retired, its tokens are refused.
    retired = tmp_path / "new.pub.pem"
    retired.write_bytes(bundle.read_bytes()[len(old.public_key_path.read_bytes()) :])
    with pytest.raises(Unauthorized):
        load_verifier(old.model_copy(update={"auth_public_key_file": retired}), "staffing").verify(
            by_old
        )


async def test_the_gateway_publishes_its_key_set(make_database, identity: Identity):
    url = await make_database("gateway")
    async with running(create_app(gateway_settings(identity, url)), "http://gateway") as client:
        keys = (await client.get("/api/auth/v1/jwks.json")).json()["keys"]
    assert [k["kty"] for k in keys] == ["OKP"] and keys[0]["kid"] and "d" not in keys[0]


async def test_a_refresh_family_ends_after_its_absolute_lifetime(make_database, identity):
    url = await make_database("gateway")
    await add_user(url, "cityhr", "city_hr")
    settings = gateway_settings(identity, url, rate_limit_login_per_minute=100)
    assert settings.refresh_family_max_seconds == 30 * 24 * 3600
    async with running(create_app(settings), "http://gateway") as client:
        tokens = await password_grant(client, "cityhr")
        db = Database(url)
        async with db.session() as session:
            await session.execute(
                update(TokenFamily).values(created_at=utcnow() - timedelta(days=31))
            )
        await db.dispose()
        renewed = await client.post(
            "/api/auth/v1/token",
            data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        )
    assert renewed.status_code == 401, renewed.text


def test_pyjwt_is_past_cve_2024_53861():
    wanted = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert any(d.replace(" ", "").startswith("pyjwt[crypto]>=2.10.1") for d in wanted), wanted
    assert tuple(int(p) for p in version("pyjwt").split(".")[:3]) >= (2, 10, 1)
