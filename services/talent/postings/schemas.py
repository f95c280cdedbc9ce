"""Request and response models of postings."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from common.patch import MergePatch
from contracts.vocabulary import CertificateKind, Stage, Subject, check_subject_in_stage

QuotaType = Annotated[str, Field(min_length=1, max_length=20, pattern=r"^[a-z_]+$")]
Degree = Literal["associate", "bachelor", "master", "doctorate"]
TalentTier = Literal["A", "B", "C", "D", "E"]
PostingStatus = Literal["draft", "pending_quota", "open", "blocked", "closed"]


class Requirements(BaseModel):
    """What an applicant must bring (学历, 专业, 教师资格证, 人才层次)."""

    model_config = ConfigDict(extra="forbid")

    degree: Degree | None = None
    major: str | None = Field(default=None, max_length=120)
    certificate: CertificateKind | None = Field(
        default=None, description="the certificate level needed, for the posting's subject"
    )
    talent_tier: TalentTier | None = None


class RequirementsPublic(Requirements):
    """Requirements as stored: rows from before the vocabulary may name a certificate freely."""

    model_config = ConfigDict(extra="ignore")

    certificate: str | None = None  # type: ignore[assignment]  # widens the field on purpose


def _taught_in_stage(subject: str | None, info: ValidationInfo) -> str | None:
    check_subject_in_stage(subject, info.data.get("stage"))
    return subject


class PostingFields(BaseModel):
    title: str = Field(min_length=1, max_length=120)
    count: int = Field(ge=1, le=1000)
    quota_type: QuotaType = "bianzhi"
    apply_from: date | None = None
    apply_until: date | None = None

    @model_validator(mode="after")
    def _window_in_order(self) -> PostingFields:
        if self.apply_from and self.apply_until and self.apply_until < self.apply_from:
            raise ValueError("apply_until must not come before apply_from")
        return self


class PostingCreate(PostingFields):
    """A new posting at a unit; it starts as a draft."""

    model_config = ConfigDict(extra="forbid")

    unit_id: uuid.UUID
    stage: Stage | None = None
    subject: Subject | None = None
    requirements: Requirements = Field(default_factory=Requirements)

    _subject_in_stage = field_validator("subject")(_taught_in_stage)


class PostingUpdate(MergePatch):
    """Changes to a draft posting; subject, stage, requirements and the window may be cleared."""

    not_clearable = frozenset({"title", "count", "quota_type"})

    title: str | None = Field(default=None, min_length=1, max_length=120)
    stage: Stage | None = None
    subject: Subject | None = None
    count: int | None = Field(default=None, ge=1, le=1000)
    quota_type: QuotaType | None = None
    requirements: Requirements | None = None
    apply_from: date | None = None
    apply_until: date | None = None

    _subject_in_stage = field_validator("subject")(_taught_in_stage)


class PostingClose(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(default="closed", min_length=1, max_length=200)


class PostingPublic(PostingFields):
    """A posting; rows kept from before the vocabulary may hold unlisted values."""

    model_config = ConfigDict(from_attributes=True)

    subject: str | None
    stage: str | None
    requirements: RequirementsPublic
    id: uuid.UUID
    unit_id: uuid.UUID
    district_id: uuid.UUID | None
    status: PostingStatus
    reservation: str
    reservation_attempt: int
    blocked_reason: str | None
    hired: int
    created_at: datetime
    updated_at: datetime
    opened_at: datetime | None
    closed_at: datetime | None
