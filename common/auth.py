"""Identity between the gateway and the services: an EdDSA-signed, short-lived token per service,
verified against a key set by `kid` so the signing key can rotate without downtime."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

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
USER_ROLES: tuple[Role, ...] = (
    "city_hr",
    "staffing_commission",
    "district_hr",
    "school_admin",
    "teacher",
    "auditor",
)
"""The roles a person logs in with (a partner key carries scopes instead)."""

# Every role set of the gateway's policy table, its UI and the services derives from these.
CITY_ROLES = frozenset({"city_hr", "staffing_commission"})
"""Decide for the whole city: the bureau's HR office (人事处) and the staffing commission (编办)."""
PERSONNEL_ROLES = frozenset({"city_hr", "district_hr"})
"""The bureaus' HR, who manage people (sharing, postings, candidates); 编办 manages posts."""
HR_ROLES = CITY_ROLES | PERSONNEL_ROLES
"""Everyone who administers posts or people above the schools."""
SCHOOL_ROLES = HR_ROLES | {"school_admin"}
"""HR and a school's administrators."""
EVERYONE_ROLES = SCHOOL_ROLES | {"teacher"}
"""Every role that acts (the auditor only reads)."""
AUDITOR_ROLES = frozenset({"auditor"})
"""Reads everything city-wide and never writes."""
ACCOUNT_ADMIN_ROLES = frozenset({"city_hr"})
"""Manage the gateway's users and partner clients."""
AUDIT_ROLES = ACCOUNT_ADMIN_ROLES | AUDITOR_ROLES
"""Read the audit trail and the webhook delivery log."""
CITY_WIDE_ROLES = CITY_ROLES | AUDITOR_ROLES
"""See every unit of the city."""


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


#: RFC 8725 §3.11 explicit typing: a token of one kind is never taken for another.
SERVICE_TOKEN_TYPE = "tp-service+jwt"  # noqa: S105 a token type name, not a secret
ACCESS_TOKEN_TYPE = "at+jwt"  # noqa: S105 RFC 9068: the gateway's access tokens for API clients
SERVICES = ("staffing", "sharing", "talent")


def audience_of(service: str) -> str:
    """The audience of tokens meant for one service: a token for one is refused by another."""
    return f"teacherpool-{service}"


def key_id(public_key: Ed25519PublicKey) -> str:
    """The RFC 7638 thumbprint of an Ed25519 public key: its `kid`, with nothing to configure."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    members = json.dumps(
        {"crv": "Ed25519", "kty": "OKP", "x": _b64url(raw)}, separators=(",", ":"), sort_keys=True
    )
    return _b64url(hashlib.sha256(members.encode()).digest())


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class KeySet:
    """The public keys tokens may be signed with, by `kid`: during a rotation, old and new.

    The key file is a PEM bundle: one or more public keys, one after another."""

    def __init__(self, keys: list[Ed25519PublicKey]) -> None:
        self.keys = {key_id(k): k for k in keys}

    @classmethod
    def from_pem(cls, data: bytes, source: object = "the key file") -> KeySet:
        marker = b"-----BEGIN PUBLIC KEY-----"
        keys = []
        for chunk in data.split(marker)[1:]:
            key = serialization.load_pem_public_key(marker + chunk)
            if not isinstance(key, Ed25519PublicKey):
                raise ValueError(f"{source} holds a key that is not an Ed25519 public key")
            keys.append(key)
        if not keys:
            raise ValueError(f"{source} holds no public key")
        return cls(keys)

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """The set as a JWKS document (RFC 7517), public members only."""
        return {
            "keys": [
                {
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "x": _b64url(
                        k.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
                    ),
                    "kid": kid,
                    "alg": "EdDSA",
                    "use": "sig",
                }
                for kid, k in self.keys.items()
            ]
        }

    def decode(
        self, token: str, *, typ: str, issuer: str, audience: str, require: list[str]
    ) -> dict[str, Any]:
        """The claims of a token of type `typ` signed by a key of this set, or 401."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as error:
            raise Unauthorized(f"the token is not valid: {error}") from error
        if header.get("typ") != typ:
            raise Unauthorized(f"the token is not a {typ} token")
        key = self.keys.get(str(header.get("kid")))
        if key is None:
            raise Unauthorized("the token is signed by a key this service does not hold")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=ALGORITHMS,
                issuer=issuer,
                audience=audience,
                options={"require": require},
                leeway=5,
            )
        except jwt.ExpiredSignatureError as error:
            raise Unauthorized("the token has expired") from error
        except jwt.InvalidTokenError as error:
            raise Unauthorized(f"the token is not valid: {error}") from error
        return claims


class TokenSigner:
    """Signs principals into tokens; only the gateway (and the dev `token` command) holds one."""

    def __init__(self, private_key: Ed25519PrivateKey, *, issuer: str, ttl: int):
        self._key = private_key
        self.kid = key_id(private_key.public_key())
        self.issuer = issuer
        self.ttl = ttl

    def sign(
        self, principal: Principal, *, audience: str | list[str], ttl: int | None = None
    ) -> str:
        """A token for the service `audience` (a list only where one caller needs several)."""
        now = datetime.now(UTC)
        names = [audience] if isinstance(audience, str) else audience
        claims = {
            **principal.model_dump(mode="json", exclude_none=True),
            "iss": self.issuer,
            "aud": [audience_of(n) for n in names] if len(names) > 1 else audience_of(names[0]),
            "iat": now,
            "nbf": now - timedelta(seconds=5),
            "exp": now + timedelta(seconds=ttl if ttl is not None else self.ttl),
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(
            claims,
            self._key,
            algorithm="EdDSA",
            headers={"typ": SERVICE_TOKEN_TYPE, "kid": self.kid},
        )


#: How long a verified service token is remembered at most, and how many are (defaults chosen
#: here: a gateway replica reuses one token per caller and service for its lifetime).
VERIFIED_SECONDS = 30.0
VERIFIED_MAX = 10_000


class TokenVerifier:
    """Verifies a token's type, key, signature, algorithm, issuer, audience and lifetime."""

    def __init__(self, keys: KeySet, *, issuer: str, audience: str) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self._verified: dict[str, tuple[Principal, float]] = {}

    def verify(self, token: str) -> Principal:
        """The token's principal. The gateway reuses a caller's token for its lifetime, so a
        token verified here is remembered until it expires, and for VERIFIED_SECONDS at most
        (so a key taken out of the key set stops working within that)."""
        now = time.time()
        known = self._verified.get(token)
        if known is not None and now < known[1]:
            return known[0]
        principal, expires = self._verify(token)
        if len(self._verified) >= VERIFIED_MAX:
            self._verified.clear()
        self._verified[token] = (principal, min(expires, now + VERIFIED_SECONDS))
        return principal

    def _verify(self, token: str) -> tuple[Principal, float]:
        claims = self.keys.decode(
            token,
            typ=SERVICE_TOKEN_TYPE,
            issuer=self.issuer,
            audience=self.audience,
            require=["exp", "iat", "iss", "aud", "sub"],
        )
        try:
            principal = Principal.model_validate(
                {k: v for k, v in claims.items() if k in Principal.model_fields}
            )
        except ValidationError as error:
            raise Unauthorized("the token does not describe a principal") from error
        return principal, float(claims["exp"])


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


def load_keys(settings: CommonSettings) -> KeySet:
    ensure_dev_keypair(settings)
    path = settings.public_key_path
    return KeySet.from_pem(path.read_bytes(), path)


def load_verifier(settings: CommonSettings, service: str) -> TokenVerifier:
    """The verifier of the tokens meant for `service`."""
    return TokenVerifier(
        load_keys(settings), issuer=settings.auth_issuer, audience=audience_of(service)
    )


def load_signer(settings: CommonSettings) -> TokenSigner:
    ensure_dev_keypair(settings)
    key = serialization.load_pem_private_key(settings.private_key_path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{settings.private_key_path} is not an Ed25519 private key")
    if key_id(key.public_key()) not in load_keys(settings).keys:
        raise ValueError(
            f"the public key of {settings.private_key_path} is not in {settings.public_key_path}: "
            "add it there first, or the gateway could not verify what it signs"
        )
    return TokenSigner(key, issuer=settings.auth_issuer, ttl=settings.auth_token_ttl_seconds)
