"""The rows a spreadsheet may carry, one model per import kind, and the import's answer."""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from contracts.vocabulary import (
    Stage,
    Subject,
    Title,
    normalize_stage,
    normalize_subject,
    normalize_title,
)
from services.staffing.retirement.schemas import PostCategory
from services.staffing.roster.schemas import Sex

ImportKind = Literal["units", "enrolment", "roster"]
ExportKind = Literal["summary", "loans", "ledger"]
QUOTA_COLUMNS = ("bianzhi", "yuan_e", "control")


class Row(BaseModel):
    """One sheet row; stages, subjects and titles may use the names people write (小学, 体育,
    中学高级): they are mapped onto the shared vocabulary, and an unknown one is the row's
    problem."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    @field_validator("stage", mode="before", check_fields=False)
    @classmethod
    def _listed_stage(cls, value: object) -> object:
        return normalize_stage(value) if isinstance(value, str) else value

    @field_validator("subject", mode="before", check_fields=False)
    @classmethod
    def _listed_subject(cls, value: object, info: ValidationInfo) -> object:
        if isinstance(value, str):
            return normalize_subject(value, info.data.get("stage"))
        return value

    @field_validator("title", mode="before", check_fields=False)
    @classmethod
    def _listed_title(cls, value: object) -> object:
        return normalize_title(value) if isinstance(value, str) else value


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
    def _listed_stages(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part for part in re.split(r"[,，、;；\s]+", value) if part]
        if isinstance(value, list):
            return [normalize_stage(v) if isinstance(v, str) else v for v in value]
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
    stage: Stage | None = None
    subject: Subject | None = None
    title: Title | None = None
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
