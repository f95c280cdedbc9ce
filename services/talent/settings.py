"""Settings of the talent service (environment prefix TP_TALENT_)."""

from __future__ import annotations

import base64
import binascii
from typing import ClassVar

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from common.settings import ServiceSettings, refuse_placeholder

#: Svix-like schedule, about 28 hours in all: seconds to wait before each retry.
DEFAULT_WEBHOOK_RETRIES = (5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)


class TalentSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TP_TALENT_", extra="ignore")

    service_name: ClassVar[str] = "talent"
    database_url: str = "sqlite+aiosqlite:///var/talent.db"
    port: int = 8003
    #: Key id → base64 AES-256 key for personal fields; older ids stay to read old rows.
    pii_keys: dict[str, str] = Field(default_factory=dict)
    pii_active_key_id: str = ""
    #: Base64 key of the keyed hash (HMAC-SHA256) of ID numbers used to find duplicates;
    #: unlike the encryption keys it cannot rotate without rehashing every candidate.
    pii_hash_key: str = ""
    default_retention_days: int = Field(default=3 * 365, ge=1)
    retention_check_seconds: float = Field(default=3600.0, gt=0)
    webhook_retry_seconds: tuple[float, ...] = DEFAULT_WEBHOOK_RETRIES
    webhook_poll_seconds: float = Field(default=1.0, gt=0)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    webhook_batch: int = Field(default=50, ge=1, le=1000)
    #: Loopback, private, link-local, CGNAT and metadata webhook targets (and plain http): only
    #: when an operator opts in, and never in production (SSRF).
    webhook_allow_private_targets: bool = False

    @property
    def private_targets_allowed(self) -> bool:
        return self.webhook_allow_private_targets and not self.common.is_production

    @model_validator(mode="after")
    def _production_needs_real_pii_keys(self) -> TalentSettings:
        if not self.common.is_production:
            return self
        if not self.pii_keys or self.pii_active_key_id not in self.pii_keys:
            raise ValueError(
                "TP_TALENT_PII_KEYS must hold TP_TALENT_PII_ACTIVE_KEY_ID's key in production"
            )
        for key_id, value in self.pii_keys.items():
            refuse_placeholder(f"TP_TALENT_PII_KEYS[{key_id}]", value, self.common)
            _require_key_bytes(f"TP_TALENT_PII_KEYS[{key_id}]", value)
        refuse_placeholder("TP_TALENT_PII_HASH_KEY", self.pii_hash_key, self.common)
        _require_key_bytes("TP_TALENT_PII_HASH_KEY", self.pii_hash_key)
        return self


def _require_key_bytes(name: str, value: str) -> None:
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValueError(f"{name} is not base64") from error
    if len(raw) != 32:
        raise ValueError(f"{name} must be 32 bytes (base64 of 256 bits)")
