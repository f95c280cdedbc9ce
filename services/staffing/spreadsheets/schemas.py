"""The rows a spreadsheet may carry, one model per import kind, and the import's answer."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from contracts.vocabulary import Stage
from services.staffing.retirement.schemas import PostCategory
from services.staffing.roster.schemas import Sex

ImportKind = Literal["units", "enrolment", "roster"]
ExportKind = Literal["summary", "loans", "ledger"]
QUOTA_COLUMNS = ("bianzhi", "yuan_e", "control")


class Row(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class UnitRow(Row):
    """A district or a school, with its approved posts per quota type (blank: unchanged)."""

    code: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")
    name: str = Field(min_length=1, max_length=120)
    kind: Literal["district", "school"]
    district_code: str | None = None
    stages: list[Stage] = Field(default_factory=list)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    bianzhi: int | None = Field(default=None, ge=0)
    yuan_e: int | None = Field(default=None, ge=0)
    control: int | None = Field(default=None, ge=0)

    @field_validator("stages", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value


class EnrolmentRow(Row):
    school_code: str = Field(min_length=1)
    school_year: int = Field(ge=2000, le=2100)
    stage: Stage
    pupils: int = Field(ge=0, le=100_000)
    forecast: bool = False


class RosterRow(Row):
    school_code: str = Field(min_length=1)
    quota_type: str = Field(default="bianzhi", pattern=r"^[a-z_]+$", max_length=20)
    name: str = Field(min_length=1, max_length=80)
    sex: Sex
    birth_date: date
    hire_date: date
    subject: str | None = Field(default=None, max_length=40)
    stage: Stage | None = None
    title: str | None = Field(default=None, max_length=40)
    post_category: PostCategory = "professional"


ROW_MODELS: dict[str, type[Row]] = {
    "units": UnitRow,
    "enrolment": EnrolmentRow,
    "roster": RosterRow,
}


class ImportReport(BaseModel):
    """What an import did: every row, or (on any bad row) nothing."""

    kind: str
    sheet: str
    rows: int
    created: int
    updated: int
