"""Settings of the sharing service (environment prefix TP_SHARING_)."""

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from common.settings import ServiceSettings


class SharingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TP_SHARING_", extra="ignore")

    service_name: ClassVar[str] = "sharing"
    database_url: str = "sqlite+aiosqlite:///var/sharing.db"
    port: int = 8002
    travel_speed_kmh: float = Field(default=30.0, gt=0)
    travel_buffer_minutes: float = Field(default=10.0, ge=0)
    period_minutes: int = Field(default=40, ge=20, le=90)
    break_minutes: int = Field(default=10, ge=0, le=60)
    lunch_after_period: int = Field(default=4, ge=1, le=7)
    lunch_minutes: int = Field(default=120, ge=0, le=240)
    offer_ttl_hours: int = Field(default=72, ge=1, le=24 * 30)
    offer_expiry_check_seconds: float = Field(default=60.0, gt=0)
    candidate_limit: int = Field(default=20, ge=1, le=200)
    # Candidate lists a school account may ask for per minute (a default chosen here).
    school_candidates_per_minute: int = Field(default=30, ge=1)
    batch_time_limit_seconds: float = Field(default=20.0, gt=0, le=300)
    batch_candidates_per_request: int = Field(default=8, ge=1, le=100)
