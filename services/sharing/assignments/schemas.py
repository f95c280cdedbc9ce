"""Request and response models of assignments."""

from __future__ import annotations

import uuid
from datetime import date
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from services.sharing.timetable import slots_of
from services.sharing.types import Reason

if TYPE_CHECKING:
    from services.sharing.models import Assignment


class AssignmentEnd(BaseModel):
    """End an assignment early: the last day taught (today when absent) and why."""

    model_config = ConfigDict(extra="forbid")

    reason: Reason
    last_day: date | None = None


class AssignmentPublic(BaseModel):
    id: uuid.UUID
    offer_id: uuid.UUID
    request_id: uuid.UUID
    teacher_id: uuid.UUID
    home_unit_id: uuid.UUID
    host_unit_id: uuid.UUID
    subject: str
    stage: str
    mode: str
    class_name: str | None = None
    slots: list[tuple[int, int]]
    periods: int
    starts_on: date
    ends_on: date
    status: str
    end_reason: str | None

    @classmethod
    def of(cls, a: Assignment) -> AssignmentPublic:
        fields = {name: getattr(a, name) for name in cls.model_fields if name != "slots"}
        return cls(**fields, slots=slots_of(a.slot_mask))
