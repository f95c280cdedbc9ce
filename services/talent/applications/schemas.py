"""Request and response models of applications."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, computed_field

from contracts.talent import ApplicationStatus


class ApplicationCreate(BaseModel):
    """A candidate applies for a posting; one application per candidate and posting."""

    model_config = ConfigDict(extra="forbid")

    candidate_id: uuid.UUID
    posting_id: uuid.UUID
    note: str | None = Field(default=None, max_length=2000)


class TransitionCreate(BaseModel):
    """Move an application one step; `note` says why."""

    model_config = ConfigDict(extra="forbid")

    to: ApplicationStatus
    note: str | None = Field(default=None, max_length=2000)


class TransitionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    from_status: ApplicationStatus | None
    to_status: ApplicationStatus
    actor: str
    note: str | None
    at: datetime


class ApplicationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    candidate_id: uuid.UUID
    posting_id: uuid.UUID
    status: ApplicationStatus
    staff_id: uuid.UUID | None
    onboarded_at: datetime | None
    hire_attempts: int
    hire_failure_code: str | None
    hire_failure_reason: str | None
    created_at: datetime
    updated_at: datetime

    @computed_field  # type: ignore[prop-decorator]  # mypy rejects decorators over @property
    @property
    def onboarded(self) -> bool:
        """Staffing put the hired candidate on the roster."""
        return self.onboarded_at is not None


class ApplicationDetail(ApplicationPublic):
    transitions: list[TransitionPublic]
