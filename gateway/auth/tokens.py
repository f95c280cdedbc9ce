"""The gateway's bearer tokens for API clients, and the internal tokens it sends to services."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import ValidationError

from common.auth import ACCESS_TOKEN_TYPE, Principal, ensure_dev_keypair, key_id, load_keys
from common.errors import Unauthorized
from common.settings import CommonSettings


class ApiTokens:
    """Access tokens for API clients: EdDSA, an audience of their own, bound to a token family.

    The audience differs from the services' one, so a client's token is useless at a service
    and an internal token is useless at the gateway.
    """

    def __init__(self, common: CommonSettings, *, audience: str, ttl: int) -> None:
        ensure_dev_keypair(common)
        key = serialization.load_pem_private_key(
            common.private_key_path.read_bytes(), password=None
        )
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{common.private_key_path} is not an Ed25519 private key")
        self._key = key
        self.kid = key_id(key.public_key())
        self.keys = load_keys(common)
        if self.kid not in self.keys.keys:
            raise ValueError(f"the public key of {common.private_key_path} is not in the key set")
        self.issuer = common.auth_issuer
        self.audience = audience
        self.ttl = ttl

    def issue(self, principal: Principal, family_id: uuid.UUID) -> str:
        now = datetime.now(UTC)
        claims = {
            **principal.model_dump(mode="json", exclude_none=True),
            "fam": str(family_id),
            "iss": self.issuer,
            "aud": self.audience,
            "iat": now,
            "exp": now + timedelta(seconds=self.ttl),
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(
            claims,
            self._key,
            algorithm="EdDSA",
            headers={"typ": ACCESS_TOKEN_TYPE, "kid": self.kid},
        )

    def verify(self, token: str) -> tuple[Principal, uuid.UUID, float]:
        """The principal, token family and expiry (epoch seconds) of a valid access token."""
        claims: dict[str, Any] = self.keys.decode(
            token,
            typ=ACCESS_TOKEN_TYPE,
            issuer=self.issuer,
            audience=self.audience,
            require=["exp", "iat", "iss", "aud", "sub", "fam"],
        )
        try:
            principal = Principal.model_validate(
                {k: v for k, v in claims.items() if k in Principal.model_fields}
            )
            return principal, uuid.UUID(claims["fam"]), float(claims["exp"])
        except (ValidationError, ValueError) as error:
            raise Unauthorized("the token does not describe a principal") from error
