"""Request and response models of school requests for shared teachers."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from contracts.vocabulary import Stage, check_subject_in_stage
from services.sharing.timetable import slots_of
from services.sharing.types import Mode, Reason, Slot, Subject

if TYPE_CHECKING:
    from services.sharing.models import ShareRequest


class RequestCreate(BaseModel):
    """A school asks for a teacher of a subject and stage at weekly slots over a term."""

    model_config = ConfigDict(extra="forbid")

    unit_id: uuid.UUID | None = Field(default=None, description="the school; yours when absent")
    stage: Stage
    subject: Subject
    slots: list[Slot] = Field(min_length=1, max_length=40)
    term_start: date
    term_end: date
    mode: Mode = "in_person"
    reason: Reason
    class_name: str | None = Field(
        default=None, min_length=1, max_length=40, description="the class taught (班级)"
    )

    @field_validator("subject")
    @classmethod
    def _taught_in_stage(cls, subject: str, info: ValidationInfo) -> str:
        check_subject_in_stage(subject, info.data.get("stage"))
        return subject

    @field_validator("slots")
    @classmethod
    def _distinct(cls, slots: list[tuple[int, int]]) -> list[tuple[int, int]]:
        if len(set(slots)) != len(slots):
            raise ValueError("a slot is listed twice")
        return sorted(slots)


class RequestCancel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason


class RequestPublic(BaseModel):
    id: uuid.UUID
    unit_id: uuid.UUID
    district_id: uuid.UUID | None
    subject: str
    stage: str
    slots: list[tuple[int, int]]
    periods: int
    term_start: date
    term_end: date
    mode: str
    reason: str
    class_name: str | None = None
    status: str
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, r: ShareRequest) -> RequestPublic:
        fields = {name: getattr(r, name) for name in cls.model_fields if name != "slots"}
        return cls(**fields, slots=slots_of(r.slot_mask))


class DistrictSettingUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    requires_approval: bool


class DistrictSettingPublic(BaseModel):
    district_id: uuid.UUID
    requires_approval: bool
