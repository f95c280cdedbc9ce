"""Request and response models of units."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from common.patch import MergePatch
from contracts.vocabulary import Stage


class UnitBase(BaseModel):
    code: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")
    name: str = Field(min_length=1, max_length=120)
    stages: list[Stage] = Field(default_factory=list)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class UnitCreate(UnitBase):
    """A district (no `district_id`), a school in the district `district_id`, or a city-direct
    school (市直属学校: a school without `district_id`, registered and run by city HR)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["district", "school"]
    district_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _school_in_a_district(self) -> UnitCreate:
        if self.kind == "district" and self.district_id is not None:
            raise ValueError("a district has no district_id")
        if self.kind == "school" and not self.stages:
            raise ValueError("a school teaches at least one stage")
        return self


class UnitPublic(UnitBase):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: Literal["district", "school"]
    district_id: uuid.UUID | None
    status: str = "open"
    merged_into_id: uuid.UUID | None = None
    closed_on: date | None = None
    created_at: datetime
    updated_at: datetime


class UnitUpdate(MergePatch):
    """Change a unit's name, stages or location. A school keeps its stages and its location; a
    district's location may be cleared (lat and lon together)."""

    not_clearable = frozenset({"name", "stages"})

    name: str | None = Field(default=None, min_length=1, max_length=120)
    stages: list[Stage] | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class EnrolmentRow(BaseModel):
    """Pupils of one stage in one school year, counted or forecast."""

    model_config = ConfigDict(extra="forbid", from_attributes=True)

    school_year: int = Field(ge=2000, le=2100)
    stage: Stage
    pupils: int = Field(ge=0, le=100_000)
    forecast: bool = False


class EnrolmentPublic(BaseModel):
    unit_id: uuid.UUID
    data: list[EnrolmentRow]
