"""Password hashing (argon2id) and the random secrets behind cookies, tokens and keys."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

KEY_PREFIX = "tpk_"
_hasher = PasswordHasher()
#: Checked against when a username is unknown, so a miss takes as long as a wrong password.
_DECOY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; always spends one argon2 verification."""
    try:
        return _hasher.verify(password_hash or _DECOY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def new_secret() -> str:
    """256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def same_digest(secret: str, stored_hex: str) -> bool:
    """Constant-time comparison of a presented secret with a stored SHA-256."""
    return hmac.compare_digest(digest(secret), stored_hex)


def new_api_key() -> tuple[str, str]:
    """A partner key and its visible prefix: `tpk_<8 hex>_<256-bit secret>`."""
    prefix = f"{KEY_PREFIX}{secrets.token_hex(4)}"
    return f"{prefix}_{new_secret()}", prefix


def key_prefix(api_key: str) -> str | None:
    """The visible prefix of a presented key, or None when it has not the key's shape."""
    if not api_key.startswith(KEY_PREFIX):
        return None
    prefix, sep, rest = api_key.partition("_")[2].partition("_")
    if not sep or len(prefix) != 8 or len(rest) < 40:
        return None
    return f"{KEY_PREFIX}{prefix}"
