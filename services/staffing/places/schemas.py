"""Request and response models of places, grades, birth cohorts, projections and 学位预警."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from contracts.vocabulary import Stage


class CapacityRow(BaseModel):
    """A stage's classes and pupils per class; places = classes × class_size."""

    model_config = ConfigDict(extra="forbid", from_attributes=True)

    stage: Stage
    classes: int = Field(ge=0, le=500)
    class_size: int | None = Field(
        default=None, ge=1, le=80, description="left out: the class-size standard in force"
    )


class CapacityPublic(BaseModel):
    stage: str
    classes: int
    class_size: int
    places: int


class CapacitiesPublic(BaseModel):
    unit_id: uuid.UUID
    data: list[CapacityPublic]


class ClassSizeStandardPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    effective_from: date
    stage: str
    pupils_per_class: int
    source: str


class GradeRow(BaseModel):
    model_config = ConfigDict(extra="forbid", from_attributes=True)

    school_year: int = Field(ge=2000, le=2100)
    stage: Stage
    grade: int = Field(ge=1, le=6)
    pupils: int = Field(ge=0, le=10_000)


class GradesPublic(BaseModel):
    unit_id: uuid.UUID
    data: list[GradeRow]


class BirthCohortRow(BaseModel):
    model_config = ConfigDict(extra="forbid", from_attributes=True)

    birth_year: int = Field(ge=1990, le=2100)
    births: int = Field(ge=0, le=1_000_000)


class BirthCohortsPublic(BaseModel):
    district_id: uuid.UUID
    data: list[BirthCohortRow]


class ProjectionCreate(BaseModel):
    """Project enrolment by cohort for the schools of a district (or all in scope)."""

    model_config = ConfigDict(extra="forbid")

    district_id: uuid.UUID | None = None
    years: int = Field(default=5, ge=1, le=10)


class ProjectionPublic(BaseModel):
    schools: int
    rows_written: int
    kept_imported: int
    first_year: int | None
    last_year: int | None


class PlaceWarning(BaseModel):
    """A stage of a school whose forecast pupils exceed its places (学位预警), from `bites_in`."""

    unit_id: uuid.UUID
    code: str
    name: str
    district_id: uuid.UUID | None
    stage: str
    places: int
    bites_in: int
    pupils: int
    shortfall: int
    forecast: bool


class PlaceWarningsPage(BaseModel):
    data: list[PlaceWarning]
