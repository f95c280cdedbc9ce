"""Response and request models of summaries, standards and warnings."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from common.pagination import Page
from contracts.vocabulary import Stage
from services.staffing.quotas.schemas import QuotaPublic


class QuotaTotals(BaseModel):
    """Posts of one quota type over an area."""

    quota_type: str
    approved: int
    occupied: int
    reserved: int
    vacant: int
    borrowed: int


class DataProblem(BaseModel):
    """A stored row a read could not use (written before a check existed, or by a migration); the
    rest of the answer stands without it."""

    table: str
    key: str
    problem: str


class Requirement(BaseModel):
    """Posts the staffing standard requires for one school year's enrolment."""

    school_year: int
    forecast: bool
    pupils: int
    required: int
    shortage: int


class Summary(BaseModel):
    """Posts held and needed by a unit, a district or the city.

    `approved` counts every quota type, since a teacher on any of them teaches; `shortage` is
    required minus approved (negative: a surplus).
    """

    scope: str
    unit_id: uuid.UUID | None = None
    quotas: list[QuotaTotals]
    approved: int
    occupied: int
    reserved: int
    vacant: int
    borrowed: int
    required: int | None
    shortage_now: int | None
    shortage_forecast: int | None
    requirements: list[Requirement]
    pool_balances: dict[str, int] = Field(default_factory=dict)
    problems: list[DataProblem] = Field(default_factory=list)


class UnitSummary(Summary):
    unit_quotas: list[QuotaPublic] = Field(default_factory=list)


class StandardPublic(BaseModel):
    """Pupils per post of one stage, in force from a date."""

    model_config = ConfigDict(from_attributes=True)

    effective_from: date
    stage: Stage
    pupils_per_post: float = Field(gt=0, le=100)
    source: str = Field(min_length=1, max_length=200)


class StandardsPublic(BaseModel):
    data: list[StandardPublic]
    in_force: dict[str, float]


class Warning(BaseModel):
    """A school short of posts now or by its enrolment forecast (编制预警)."""

    unit_id: uuid.UUID
    code: str
    name: str
    district_id: uuid.UUID | None
    approved: int
    required_now: int | None
    shortage_now: int | None
    forecast_year: int | None
    bites_in: int | None = Field(
        default=None, description="the first school year the school is short (编制预警)"
    )
    required_forecast: int | None
    shortage_forecast: int | None


class WarningsPage(Page[Warning]):
    """Warnings, and the units whose stored figures could not be used."""

    problems: list[DataProblem] = Field(default_factory=list)
