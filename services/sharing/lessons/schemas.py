"""Request and response models of lessons."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, ConfigDict, model_validator

from services.sharing.types import Reason


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
