"""Identity between the gateway and the services: an EdDSA-signed, short-lived token."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from common.errors import Forbidden, Unauthorized
from common.settings import CommonSettings

#: The only algorithm a service accepts; `none` and HMAC can never be chosen by a token.
ALGORITHMS = ["EdDSA"]

Role = Literal[
    "city_hr", "staffing_commission", "district_hr", "school_admin", "teacher", "auditor", "partner"
]
CITY_WIDE_ROLES = frozenset({"city_hr", "staffing_commission", "auditor"})


class Principal(BaseModel):
    """Who is calling, as the gateway vouches for it."""

    model_config = ConfigDict(frozen=True)

    sub: str = Field(min_length=1)
    kind: Literal["user", "partner"] = "user"
    role: Role
    name: str = ""
    unit_id: uuid.UUID | None = None
    district_id: uuid.UUID | None = None
    teacher_id: uuid.UUID | None = None
    scopes: tuple[str, ...] = ()

    @property
    def is_city_wide(self) -> bool:
        return self.role in CITY_WIDE_ROLES

    def require_role(self, *roles: str) -> None:
        if self.role not in roles:
            raise Forbidden(f"role {self.role} may not do this")

    def require_scope(self, scope: str) -> None:
        if self.kind == "partner" and scope not in self.scopes:
            raise Forbidden(f"this key lacks the scope {scope}")

    def can_see_unit(self, unit_id: uuid.UUID, district_id: uuid.UUID | None) -> bool:
        """True when the unit (a district, or a school of `district_id`) is in scope."""
        if self.is_city_wide:
            return True
        if self.role == "district_hr":
            return self.district_id is not None and self.district_id in (unit_id, district_id)
        if self.role in ("school_admin", "teacher"):
            return self.unit_id == unit_id
        return False


class TokenSigner:
    """Signs principals into tokens; only the gateway (and the dev `token` command) holds one."""

    def __init__(self, private_key: Ed25519PrivateKey, *, issuer: str, audience: str, ttl: int):
        self._key = private_key
        self.issuer = issuer
        self.audience = audience
        self.ttl = ttl

    def sign(self, principal: Principal, *, ttl: int | None = None) -> str:
        now = datetime.now(UTC)
        claims = {
            **principal.model_dump(mode="json", exclude_none=True),
            "iss": self.issuer,
            "aud": self.audience,
            "iat": now,
            "nbf": now - timedelta(seconds=5),
            "exp": now + timedelta(seconds=ttl if ttl is not None else self.ttl),
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._key, algorithm="EdDSA")


class TokenVerifier:
    """Verifies a token's signature, algorithm, issuer, audience and lifetime."""

    def __init__(self, public_key: Ed25519PublicKey, *, issuer: str, audience: str) -> None:
        self._key = public_key
        self.issuer = issuer
        self.audience = audience

    def verify(self, token: str) -> Principal:
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=ALGORITHMS,
                issuer=self.issuer,
                audience=self.audience,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
                leeway=5,
            )
        except jwt.ExpiredSignatureError as error:
            raise Unauthorized("the token has expired") from error
        except jwt.InvalidTokenError as error:
            raise Unauthorized(f"the token is not valid: {error}") from error
        try:
            return Principal.model_validate(
                {k: v for k, v in claims.items() if k in Principal.model_fields}
            )
        except ValidationError as error:
            raise Unauthorized("the token does not describe a principal") from error


def generate_keypair(private_path: Path, public_path: Path) -> None:
    """Write a new Ed25519 key pair (private key readable by the owner only)."""
    key = Ed25519PrivateKey.generate()
    private_path.parent.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    tmp = private_path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    public_path.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    os.replace(tmp, private_path)


def ensure_dev_keypair(settings: CommonSettings) -> None:
    """Outside production, make the signing key pair on first use.

    A process that finds only the public key verifies with it: the private key lives with the
    gateway elsewhere, and a new pair here would lock every other replica out.
    """
    private, public = settings.private_key_path, settings.public_key_path
    if settings.is_production or public.exists():
        return
    if private.exists():
        key = serialization.load_pem_private_key(private.read_bytes(), password=None)
        public.write_bytes(
            key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        return
    generate_keypair(private, public)


def load_verifier(settings: CommonSettings) -> TokenVerifier:
    ensure_dev_keypair(settings)
    key = serialization.load_pem_public_key(settings.public_key_path.read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{settings.public_key_path} is not an Ed25519 public key")
    return TokenVerifier(key, issuer=settings.auth_issuer, audience=settings.auth_audience)


def load_signer(settings: CommonSettings) -> TokenSigner:
    ensure_dev_keypair(settings)
    key = serialization.load_pem_private_key(settings.private_key_path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{settings.private_key_path} is not an Ed25519 private key")
    return TokenSigner(
        key,
        issuer=settings.auth_issuer,
        audience=settings.auth_audience,
        ttl=settings.auth_token_ttl_seconds,
    )
