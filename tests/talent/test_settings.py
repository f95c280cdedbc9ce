"""Production refuses placeholder or missing keys for personal data."""

from __future__ import annotations

import base64
import secrets

import pytest
from pydantic import ValidationError

from common.settings import CommonSettings
from services.talent.settings import TalentSettings

PG = "postgresql+asyncpg://u@db/talent"


def production(tmp_path) -> CommonSettings:
    return CommonSettings(env="production", auth_public_key_file=tmp_path / "k.pub")


def key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def test_production_needs_pii_keys(tmp_path):
    with pytest.raises(ValidationError, match="TP_TALENT_PII_KEYS"):
        TalentSettings(database_url=PG, common=production(tmp_path))


@pytest.mark.parametrize("bad", ["change-me", "c2hvcnQ="])
def test_production_refuses_placeholder_or_short_keys(tmp_path, bad):
    with pytest.raises(ValidationError, match="TP_TALENT_PII_KEYS"):
        TalentSettings(
            database_url=PG,
            common=production(tmp_path),
            pii_keys={"k1": bad},
            pii_active_key_id="k1",
            pii_hash_key=key(),
        )


def test_production_accepts_real_keys_and_refuses_private_webhooks(tmp_path):
    settings = TalentSettings(
        database_url=PG,
        common=production(tmp_path),
        pii_keys={"k1": key()},
        pii_active_key_id="k1",
        pii_hash_key=key(),
    )
    assert not settings.private_targets_allowed
