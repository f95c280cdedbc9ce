"""Personal information at rest: AES-256-GCM per field with rotating keys, and a keyed hash for
finding the same person twice without storing their ID number (PIPL)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from services.talent.settings import TalentSettings

log = logging.getLogger(__name__)

NONCE_BYTES = 12
DEV_KEY_FILE = "talent-pii-dev.json"


class UndecryptableField(Exception):
    """A stored value whose key is gone or whose ciphertext was altered or moved."""


@dataclass(frozen=True, slots=True)
class PiiCipher:
    """Encrypts one field of one row; the row and field are bound in as associated data, so a
    ciphertext copied to another row or column does not decrypt."""

    keys: dict[str, bytes]
    active_key_id: str
    hash_key: bytes

    def encrypt(self, value: str | None, *, row: object, field: str) -> str | None:
        if value is None:
            return None
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self.keys[self.active_key_id]).encrypt(
            nonce, value.encode(), _aad(row, field)
        )
        return f"{self.active_key_id}:{base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, stored: str | None, *, row: object, field: str) -> str | None:
        if stored is None:
            return None
        key_id, _, blob = stored.partition(":")
        key = self.keys.get(key_id)
        if key is None:
            raise UndecryptableField(f"no key {key_id!r} for {field}")
        raw = base64.b64decode(blob)
        try:
            plain = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _aad(row, field))
        except InvalidTag as error:
            raise UndecryptableField(f"{field} of {row} does not decrypt") from error
        return plain.decode()

    def key_id_of(self, stored: str | None) -> str | None:
        return stored.partition(":")[0] if stored else None

    def blind_index(self, id_number: str) -> str:
        """The keyed hash of an ID number: equal for the same person, useless without the key."""
        return hmac.new(self.hash_key, id_number.upper().encode(), hashlib.sha256).hexdigest()


def _aad(row: object, field: str) -> bytes:
    return f"{row}:{field}".encode()


def load_cipher(settings: TalentSettings) -> PiiCipher:
    """The keys from settings; outside production, a development key kept under var/."""
    if settings.pii_keys and settings.pii_active_key_id:
        if settings.pii_active_key_id not in settings.pii_keys:
            raise ValueError("TP_TALENT_PII_ACTIVE_KEY_ID names no key in TP_TALENT_PII_KEYS")
        if not settings.pii_hash_key:
            raise ValueError("TP_TALENT_PII_HASH_KEY is required with TP_TALENT_PII_KEYS")
        return PiiCipher(
            keys={k: base64.b64decode(v) for k, v in settings.pii_keys.items()},
            active_key_id=settings.pii_active_key_id,
            hash_key=base64.b64decode(settings.pii_hash_key),
        )
    if settings.common.is_production:
        raise ValueError("TP_TALENT_PII_KEYS and TP_TALENT_PII_ACTIVE_KEY_ID are required")
    return _dev_cipher(settings.common.var_dir / "keys" / DEV_KEY_FILE)


def _dev_cipher(path: Path) -> PiiCipher:
    """A development-only key pair made on first use and kept beside the dev signing keys."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        material = {
            "warning": "development only; production sets TP_TALENT_PII_KEYS",
            "active_key_id": "dev-1",
            "keys": {"dev-1": base64.b64encode(secrets.token_bytes(32)).decode()},
            "hash_key": base64.b64encode(secrets.token_bytes(32)).decode(),
        }
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(material, handle)
        # Two processes starting at once: the first file to land wins, both then read it.
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
        log.warning("made a development PII key at %s", path)
    material = json.loads(path.read_text())
    return PiiCipher(
        keys={k: base64.b64decode(v) for k, v in material["keys"].items()},
        active_key_id=material["active_key_id"],
        hash_key=base64.b64decode(material["hash_key"]),
    )
