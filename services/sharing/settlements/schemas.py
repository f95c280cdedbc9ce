"""Request and response models of monthly settlements."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from contracts.vocabulary import RateTitle

Month = Annotated[str, Field(pattern=r"^(19|20|21)\d{2}-(0[1-9]|1[0-2])$", examples=["2026-09"])]


class SettlementCreate(BaseModel):
    """Issue the month's settlements for the teachers in your scope."""

    model_config = ConfigDict(extra="forbid")

    month: Month


class SettlementLine(BaseModel):
    """Periods paid at one title's rate; `late` ones were taught before the month (调整)."""

    title: str
    rate_cents: int
    periods: int
    amount_cents: int
    late: bool


class SettlementPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    teacher_id: uuid.UUID
    home_unit_id: uuid.UUID
    month: str
    title: str
    lines: list[SettlementLine]
    periods: int
    amount_cents: int
    adjustment_periods: int
    adjustment_cents: int
    total_cents: int
    issued_by: str
    issued_at: datetime


class RateCreate(BaseModel):
    """A new pay per period for a title from a date (课时补贴标准)."""

    model_config = ConfigDict(extra="forbid")

    effective_from: date
    title: RateTitle
    rate_cents: int = Field(ge=0, le=1_000_000)
    source: str = Field(min_length=1, max_length=200)


class RatePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    effective_from: date
    title: str
    rate_cents: int
    source: str


class Unpriced(BaseModel):
    """Confirmed periods left unpaid because the rate table has no rate for the title held."""

    teacher_id: uuid.UUID
    name: str
    home_unit_id: uuid.UUID
    month: str
    title: str
    periods: int
    first_day: date
    last_day: date
    reason: str


class SettlementRun(BaseModel):
    """What issuing a month did: the settlements made and the periods no rate could price."""

    data: list[SettlementPublic]
    unpriced: list[Unpriced]
