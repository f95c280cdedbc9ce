"""Request and response models of the sharing library (入库)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts.vocabulary import Stage
from services.sharing.types import Mode, Reason, Subject

#: Honours HR may flag on a profile, with their Chinese names.
HONOURS: dict[str, str] = {
    "backbone": "骨干教师",
    "subject_leader": "学科带头人",
    "famous": "名师",
}
Honour = Literal["backbone", "subject_leader", "famous"]


class Teaching(BaseModel):
    """A subject in a stage the teacher offers to teach."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    subject: Subject
    stage: Stage


class ApplicationCreate(BaseModel):
    """A teacher's application to join the library (入库申请)."""

    model_config = ConfigDict(extra="forbid")

    offered: list[Teaching] = Field(min_length=1, max_length=10)
    modes: list[Mode] = Field(min_length=1, max_length=3)
    weekly_cap: int = Field(ge=1, le=40)
    areas: list[uuid.UUID] = Field(default_factory=list, max_length=30)
    statement: str | None = Field(default=None, max_length=1000)


class Verdict(BaseModel):
    """A yes, or a no with the reason the applicant reads."""

    model_config = ConfigDict(extra="forbid")

    approve: bool
    reason: Reason | None = None

    @model_validator(mode="after")
    def _return_needs_reason(self) -> Verdict:
        if not self.approve and not self.reason:
            raise ValueError("returning an application needs a reason")
        return self


class ApplicationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    teacher_id: uuid.UUID
    unit_id: uuid.UUID
    district_id: uuid.UUID | None
    offered: list[tuple[str, str]]
    modes: list[str]
    weekly_cap: int
    areas: list[uuid.UUID]
    statement: str | None
    status: str
    return_reason: str | None
    consented_by: str | None
    decided_by: str | None
    created_at: datetime
    updated_at: datetime


class AreaPublic(BaseModel):
    """A district a teacher may name as somewhere they travel to."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    code: str
    name: str


class MembershipChange(BaseModel):
    """Pause, resume or leave the library; assignments already confirmed go on."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["pause", "resume", "leave"]
    reason: Reason | None = None


class HonourCreate(BaseModel):
    """HR flags 骨干教师 / 学科带头人 / 名师 with the document that conferred it."""

    model_config = ConfigDict(extra="forbid")

    kind: Honour
    document_no: str = Field(min_length=1, max_length=120)
    conferred_on: date
    conferred_by: str = Field(min_length=1, max_length=120)
