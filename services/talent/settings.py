"""Settings of the talent service (environment prefix TP_TALENT_)."""

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from common.settings import ServiceSettings


class TalentSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TP_TALENT_", extra="ignore")

    service_name: ClassVar[str] = "talent"
    database_url: str = "sqlite+aiosqlite:///var/talent.db"
    port: int = 8003
