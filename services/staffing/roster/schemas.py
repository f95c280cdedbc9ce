"""Request and response models of the roster."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from contracts.vocabulary import Stage, Subject, Title, check_subject_in_stage
from services.staffing.quotas.schemas import DocumentNo, QuotaType
from services.staffing.retirement.schemas import PostCategory

Sex = Literal["female", "male"]
LeaveReason = Literal["retired", "resigned", "transferred_out", "dismissed", "deceased", "other"]


class StaffBase(BaseModel):
    name: str = Field(min_length=1, max_length=80)
    sex: Sex
    birth_date: date
    post_category: PostCategory = "professional"


class StaffCreate(StaffBase):
    """Hire a person into a vacant post of a unit."""

    model_config = ConfigDict(extra="forbid")

    stage: Stage | None = None
    subject: Subject | None = None
    title: Title | None = None
    unit_id: uuid.UUID
    quota_type: QuotaType = "bianzhi"
    hire_date: date | None = None

    @field_validator("subject")
    @classmethod
    def _taught_in_stage(cls, subject: str | None, info: ValidationInfo) -> str | None:
        check_subject_in_stage(subject, info.data.get("stage"))
        return subject

    @model_validator(mode="after")
    def _born_before_hired(self) -> StaffCreate:
        if self.hire_date is not None and self.hire_date <= self.birth_date:
            raise ValueError("hire_date must come after birth_date")
        return self


class StaffPublic(StaffBase):
    """A person on the roster; rows kept from before the vocabulary may hold unlisted values."""

    model_config = ConfigDict(from_attributes=True)

    subject: str | None = None
    stage: str | None = None
    title: str | None = None
    id: uuid.UUID
    unit_id: uuid.UUID
    quota_type: str
    hire_date: date
    status: str
    left_on: date | None
    posting_id: uuid.UUID | None
    created_at: datetime


class StaffUpdate(BaseModel):
    """What a person teaches; a title is recorded with its date (POST …/titles) instead."""

    model_config = ConfigDict(extra="forbid")

    stage: Stage | None = None
    subject: Subject | None = None

    @field_validator("subject")
    @classmethod
    def _taught_in_stage(cls, subject: str | None, info: ValidationInfo) -> str | None:
        check_subject_in_stage(subject, info.data.get("stage"))
        return subject


class TitleCreate(BaseModel):
    """A title conferred from a date (职称评聘), under a document."""

    model_config = ConfigDict(extra="forbid")

    title: Title
    effective_from: date
    document_no: DocumentNo | None = None


class TitlePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    title: str
    effective_from: date
    document_no: str | None
    recorded_by: str
    recorded_at: datetime


class DepartureCreate(BaseModel):
    """A person leaves: the post is freed, or repays the unit's earliest loan."""

    model_config = ConfigDict(extra="forbid")

    reason: LeaveReason
    left_on: date | None = None
    document_no: DocumentNo | None = None


class TransferCreate(BaseModel):
    """Move a person to another unit in one step (调动)."""

    model_config = ConfigDict(extra="forbid")

    to_unit_id: uuid.UUID
    transferred_on: date | None = None
    document_no: DocumentNo | None = None
