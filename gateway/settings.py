"""Settings of the gateway (environment prefix TP_GATEWAY_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from common.settings import CommonSettings


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TP_GATEWAY_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    database_url: str = "sqlite+aiosqlite:///var/gateway.db"
    staffing_url: str = "http://127.0.0.1:8001"
    sharing_url: str = "http://127.0.0.1:8002"
    talent_url: str = "http://127.0.0.1:8003"
    upstream_timeout_seconds: float = Field(default=30.0, gt=0)
    upstream_connect_timeout_seconds: float = Field(default=2.0, gt=0)
    upstream_max_connections: int = Field(default=200, ge=1)
    common: CommonSettings = Field(default_factory=CommonSettings)

    def upstreams(self) -> dict[str, str]:
        return {
            "staffing": self.staffing_url,
            "sharing": self.sharing_url,
            "talent": self.talent_url,
        }
