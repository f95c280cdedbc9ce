"""Settings of the staffing service (environment prefix TP_STAFFING_)."""

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from common.settings import ServiceSettings


class StaffingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TP_STAFFING_", extra="ignore")

    service_name: ClassVar[str] = "staffing"
    database_url: str = "sqlite+aiosqlite:///var/staffing.db"
    port: int = 8001
    # Paces the loan check, both overdue loans and loans falling due (the name predates the latter).
    overdue_check_seconds: float = Field(default=300.0, gt=0)
    # A borrowing district hears this many days ahead that a loan falls due, to plan repaying it.
    falling_due_days: int = Field(default=30, ge=1, le=366)
    # How often this month's report snapshot is retaken (a default chosen here): the month's
    # last take stays as its record.
    report_snapshot_seconds: float = Field(default=3600.0, gt=0)
    # Bounds on an uploaded workbook, checked before it is parsed (defaults chosen here, to be
    # set by the operator): the request body, what its zip declares decompressed, sheets and rows.
    import_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    import_max_uncompressed_bytes: int = Field(default=100 * 1024 * 1024, ge=1024)
    import_max_sheets: int = Field(default=10, ge=1)
    import_max_rows: int = Field(default=50_000, ge=1)
