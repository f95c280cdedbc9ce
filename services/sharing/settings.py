"""Settings of the sharing service (environment prefix TP_SHARING_)."""

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from common.settings import ServiceSettings


class SharingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TP_SHARING_", extra="ignore")

    service_name: ClassVar[str] = "sharing"
    database_url: str = "sqlite+aiosqlite:///var/sharing.db"
    port: int = 8002
