"""Request and response models of lessons."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.sharing.types import Reason

MoveStatus = Literal["proposed", "accepted", "declined", "withdrawn"]


class LessonConfirm(BaseModel):
    """The host school's word on a lesson: confirmed, or disputed with a reason."""

    model_config = ConfigDict(extra="forbid")

    confirmed: bool
    reason: Reason | None = None

    @model_validator(mode="after")
    def _dispute_needs_reason(self) -> LessonConfirm:
        if not self.confirmed and not self.reason:
            raise ValueError("a dispute needs a reason")
        return self


class LessonPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    assignment_id: uuid.UUID
    teacher_id: uuid.UUID
    home_unit_id: uuid.UUID
    host_unit_id: uuid.UUID
    taught_on: date
    period: int
    status: str
    dispute_reason: str | None
    settlement_id: uuid.UUID | None
    moved_from: date | None = None
    covered_by: str | None = None
    note: str | None = None


class WeekMark(BaseModel):
    """A week (any day in it) whose lessons are marked given or confirmed at once; each lesson
    is still recorded one by one."""

    model_config = ConfigDict(extra="forbid")

    week_of: date


class CoverCreate(BaseModel):
    """The host school records who covered a lesson the shared teacher missed (代课)."""

    model_config = ConfigDict(extra="forbid")

    covered_by: str = Field(min_length=1, max_length=120)
    note: Reason | None = None


class LessonsMarked(BaseModel):
    lesson_ids: list[uuid.UUID]


class MoveCreate(BaseModel):
    """A proposal to move a scheduled lesson to another school day and period (调课)."""

    model_config = ConfigDict(extra="forbid")

    to_date: date
    to_period: int = Field(ge=1, le=8)
    reason: Reason


class MoveAnswer(BaseModel):
    """The other side's answer to a proposed move, or the proposer withdrawing it."""

    model_config = ConfigDict(extra="forbid")

    accept: bool
    note: Reason | None = None


class LessonMovePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    lesson_id: uuid.UUID
    assignment_id: uuid.UUID
    teacher_id: uuid.UUID
    host_unit_id: uuid.UUID
    home_unit_id: uuid.UUID
    from_date: date
    from_period: int
    to_date: date
    to_period: int
    proposed_by: Literal["teacher", "host"]
    reason: str
    status: MoveStatus
    created_at: datetime
    decided_at: datetime | None
