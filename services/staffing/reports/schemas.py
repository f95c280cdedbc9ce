"""Response models of the monthly reports."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict


class MonthlyReportPublic(BaseModel):
    """One month's figures of the city or a district (月报)."""

    model_config = ConfigDict(from_attributes=True)

    month: date
    scope: str
    district_id: uuid.UUID | None
    approved: int
    occupied: int
    vacant: int
    required: int
    shortage: int
    loans_out: int
    loans_overdue: int
    pool_balance: int
    library_size: int
    library_by_subject: dict[str, int]
    periods_taught: int
    period_pay_cents: int
    hires_via_talent: int
    taken_at: datetime


class MonthlyReportsPublic(BaseModel):
    scope: str
    data: list[MonthlyReportPublic]


class SnapshotPublic(BaseModel):
    month: date
    scopes: int
