"""Request and response models of monthly settlements."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from contracts.vocabulary import RateTitle

Month = Annotated[str, Field(pattern=r"^(19|20|21)\d{2}-(0[1-9]|1[0-2])$", examples=["2026-09"])]


class SettlementCreate(BaseModel):
    """Issue the month's settlements for the teachers in your scope."""

    model_config = ConfigDict(extra="forbid")

    month: Month


class SettlementLine(BaseModel):
    """Periods taught for one host district at one title's rate for one mode, with the travel
    allowance per period; `late` ones were taught before the month (调整)."""

    host_district_id: uuid.UUID | None = None
    title: str
    mode: str | None = None
    rate_cents: int
    travel_cents: int = 0
    periods: int
    amount_cents: int
    late: bool


class HostDistrictTotal(BaseModel):
    """What one host district owes for the teacher's month (cross-district sharing)."""

    host_district_id: uuid.UUID | None
    periods: int
    amount_cents: int


class SettlementPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    teacher_id: uuid.UUID
    home_unit_id: uuid.UUID
    month: str
    title: str
    lines: list[SettlementLine]
    by_host_district: list[HostDistrictTotal] = []
    periods: int
    amount_cents: int
    adjustment_periods: int
    adjustment_cents: int
    total_cents: int
    issued_by: str
    issued_at: datetime

    @model_validator(mode="after")
    def _totals_by_host_district(self) -> SettlementPublic:
        self.by_host_district = host_district_totals(self.lines)
        return self


def host_district_totals(lines: list[SettlementLine]) -> list[HostDistrictTotal]:
    """What each host district owes, from a settlement's lines (regular and late together)."""
    totals: dict[uuid.UUID | None, HostDistrictTotal] = {}
    for line in lines:
        district = line.host_district_id
        total = totals.setdefault(
            district, HostDistrictTotal(host_district_id=district, periods=0, amount_cents=0)
        )
        total.periods += line.periods
        total.amount_cents += line.amount_cents
    return list(totals.values())


RateMode = Literal["any", "in_person", "online", "rotation"]


def _not_before(value: date | None, info: ValidationInfo) -> date | None:
    start = info.data.get("effective_from")
    if value is not None and start is not None and value < start:
        raise ValueError("the last day is before effective_from")
    return value


class RateCreate(BaseModel):
    """A new pay per period for a title and mode from a date, until an optional last day
    (课时补贴标准). Mode "any" prices every mode that has no row of its own."""

    model_config = ConfigDict(extra="forbid")

    effective_from: date
    effective_to: date | None = None
    title: RateTitle
    mode: RateMode = "any"
    rate_cents: int = Field(ge=0, le=1_000_000)
    source: str = Field(min_length=1, max_length=200)

    @field_validator("effective_to")
    @classmethod
    def _ends_after_it_starts(cls, value: date | None, info: ValidationInfo) -> date | None:
        return _not_before(value, info)


class RatePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    effective_from: date
    effective_to: date | None = None
    title: str
    mode: str = "any"
    rate_cents: int
    source: str


class AllowanceCreate(BaseModel):
    """A travel allowance per lesson taught in person, for a band of distance from the home
    school to the host school (交通补贴), from a date until an optional last day."""

    model_config = ConfigDict(extra="forbid")

    effective_from: date
    effective_to: date | None = None
    min_km: float = Field(ge=0, le=1000)
    max_km: float | None = Field(default=None, gt=0, le=1000)
    cents: int = Field(ge=0, le=1_000_000)
    source: str = Field(min_length=1, max_length=200)

    @field_validator("effective_to")
    @classmethod
    def _ends_after_it_starts(cls, value: date | None, info: ValidationInfo) -> date | None:
        return _not_before(value, info)

    @field_validator("max_km")
    @classmethod
    def _above_min(cls, value: float | None, info: ValidationInfo) -> float | None:
        low = info.data.get("min_km")
        if value is not None and low is not None and value <= low:
            raise ValueError("the band's max_km must be above its min_km")
        return value


class AllowancePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    effective_from: date
    effective_to: date | None
    min_km: float
    max_km: float | None
    cents: int
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
