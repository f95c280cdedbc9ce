"""Request and response models of the school calendar."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.sharing.types import Reason, Weekday

DayKind = Literal["holiday", "workday"]


class CalendarDayPut(BaseModel):
    """A statutory day off, or a weekend day worked (调休上班) following a weekday's timetable."""

    model_config = ConfigDict(extra="forbid")

    kind: DayKind
    name: str = Field(min_length=1, max_length=60)
    follows_weekday: Weekday | None = None
    source: str = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _workday_follows(self) -> CalendarDayPut:
        if self.kind == "workday" and self.follows_weekday is None:
            raise ValueError("a working day names the weekday whose timetable it follows")
        if self.kind == "holiday" and self.follows_weekday is not None:
            raise ValueError("a day off follows no timetable")
        return self


class CalendarDayPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    day: date
    kind: str
    name: str
    follows_weekday: int | None
    source: str
    updated_by: str
    updated_at: datetime


class TermCreate(BaseModel):
    """A term of a school year (e.g. 2026-2027, 第一学期)."""

    model_config = ConfigDict(extra="forbid")

    school_year: str = Field(pattern=r"^(19|20|21)\d{2}-(19|20|21)\d{2}$", examples=["2026-2027"])
    name: str = Field(min_length=1, max_length=40)
    starts_on: date
    ends_on: date

    @model_validator(mode="after")
    def _ordered(self) -> TermCreate:
        if self.ends_on < self.starts_on:
            raise ValueError("the term ends before it starts")
        return self


class TermPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    school_year: str
    name: str
    starts_on: date
    ends_on: date
    updated_by: str


class DayOffPut(BaseModel):
    """A district's own day off."""

    model_config = ConfigDict(extra="forbid")

    reason: Reason


class DayOffPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    district_id: uuid.UUID
    day: date
    reason: str
    created_by: str


class SchoolDay(BaseModel):
    """A day lessons are given, and the weekday whose timetable runs on it."""

    day: date
    timetable_weekday: int


class CalendarChange(BaseModel):
    """What a calendar change did to the lessons already scheduled."""

    assignments_rescheduled: int
    lessons_added: int
    lessons_removed: int


class ImportReport(CalendarChange):
    days_imported: int
