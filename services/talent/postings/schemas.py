"""Request and response models of postings."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from common.patch import MergePatch
from contracts.vocabulary import Stage

QuotaType = Annotated[str, Field(min_length=1, max_length=20, pattern=r"^[a-z_]+$")]
Degree = Literal["associate", "bachelor", "master", "doctorate"]
TalentTier = Literal["A", "B", "C", "D", "E"]
PostingStatus = Literal["draft", "pending_quota", "open", "blocked", "closed"]


class Requirements(BaseModel):
    """What an applicant must bring (学历, 专业, 教师资格证, 人才层次)."""

    model_config = ConfigDict(extra="forbid")

    degree: Degree | None = None
    major: str | None = Field(default=None, max_length=120)
    certificate: str | None = Field(default=None, max_length=120)
    talent_tier: TalentTier | None = None


class PostingFields(BaseModel):
    title: str = Field(min_length=1, max_length=120)
    subject: str | None = Field(default=None, max_length=40)
    stage: Stage | None = None
    count: int = Field(ge=1, le=1000)
    quota_type: QuotaType = "bianzhi"
    requirements: Requirements = Field(default_factory=Requirements)
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


class PostingUpdate(MergePatch):
    """Changes to a draft posting; subject, stage, requirements and the window may be cleared."""

    not_clearable = frozenset({"title", "count", "quota_type"})

    title: str | None = Field(default=None, min_length=1, max_length=120)
    subject: str | None = Field(default=None, max_length=40)
    stage: Stage | None = None
    count: int | None = Field(default=None, ge=1, le=1000)
    quota_type: QuotaType | None = None
    requirements: Requirements | None = None
    apply_from: date | None = None
    apply_until: date | None = None


class PostingClose(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(default="closed", min_length=1, max_length=200)


class PostingPublic(PostingFields):
    model_config = ConfigDict(from_attributes=True)

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
