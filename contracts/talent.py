"""Events that the talent service publishes (stream TALENT, subjects talent.>)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

from pydantic import Field, model_validator

from contracts.base import PERSONAL, Event, event_model
from contracts.vocabulary import Stage, Subject, Title, check_subject_in_stage

QuotaType = Annotated[str, Field(min_length=1, max_length=20, pattern=r"^[a-z_]+$")]


@event_model("talent.posting.opened")
class PostingOpened(Event):
    """A posting for `count` posts of a quota type at a unit opened; staffing must hold them."""

    posting_id: uuid.UUID
    unit_id: uuid.UUID
    quota_type: QuotaType
    count: int = Field(ge=1, le=1000)
    subject: Subject | None = None
    stage: Stage | None = None
    title: str | None = Field(default=None, max_length=120)
    #: 1 when first opened, +1 each time HR reopens it after staffing refused the posts.
    attempt: int = Field(default=1, ge=1)

    @model_validator(mode="after")
    def _subject_taught_in_stage(self) -> PostingOpened:
        check_subject_in_stage(self.subject, self.stage)
        return self


@event_model("talent.posting.closed")
class PostingClosed(Event):
    """A posting closed (filled, withdrawn or expired); posts it still holds are released."""

    posting_id: uuid.UUID
    reason: str = Field(default="closed", max_length=200)


@event_model("talent.candidate.hired")
class CandidateHired(Event):
    """A candidate's application for a posting reached `hired`; staffing puts them on the roster."""

    posting_id: uuid.UUID
    application_id: uuid.UUID
    candidate_id: uuid.UUID
    name: str = Field(min_length=1, max_length=80, json_schema_extra=PERSONAL)
    sex: Literal["female", "male"]
    birth_date: date = Field(json_schema_extra=PERSONAL)
    hire_date: date
    subject: Subject | None = None
    stage: Stage | None = None
    title: Title | None = None
    #: 1 for the first request, +1 for each retry after staffing refused.
    attempt: int = Field(default=1, ge=1)

    @model_validator(mode="after")
    def _subject_taught_in_stage(self) -> CandidateHired:
        check_subject_in_stage(self.subject, self.stage)
        return self


ApplicationStatus = Literal[
    "applied",
    "screened",
    "exam",
    "interview",
    "assessment",
    "offered",
    "hiring",
    "hire_failed",
    "hired",
    "rejected",
    "withdrawn",
]


@event_model("talent.posting.published")
class PostingPublished(Event):
    """A posting became open to applicants: staffing holds its posts (of any quota type)."""

    posting_id: uuid.UUID
    unit_id: uuid.UUID
    quota_type: QuotaType
    count: int = Field(ge=1, le=1000)


@event_model("talent.posting.blocked")
class PostingBlocked(Event):
    """A posting could not open because staffing could not hold its posts; the reason says why."""

    posting_id: uuid.UUID
    unit_id: uuid.UUID
    quota_type: QuotaType
    reason: str = Field(max_length=1000)


@event_model("talent.application.status_changed")
class ApplicationStatusChanged(Event):
    """An application moved one step in the pipeline, by whom and why (no personal data)."""

    application_id: uuid.UUID
    posting_id: uuid.UUID
    candidate_id: uuid.UUID
    partner_id: str | None = Field(default=None, max_length=120)
    from_status: ApplicationStatus | None
    to_status: ApplicationStatus
    actor: str = Field(max_length=120)
    note: str | None = Field(default=None, max_length=2000)


@event_model("talent.hire.failed")
class HireFailed(Event):
    """Staffing refused to put a hired candidate on the roster; the application is
    `hire_failed` with the reason and HR may retry once the cause is fixed."""

    application_id: uuid.UUID
    posting_id: uuid.UUID
    unit_id: uuid.UUID
    quota_type: QuotaType
    code: str = Field(max_length=30)
    reason: str = Field(max_length=1000)
    requested_by: str | None = Field(default=None, max_length=120)
    attempt: int = Field(default=1, ge=1)


@event_model("talent.candidate.erased")
class CandidateErased(Event):
    """A candidate's personal fields were anonymised (PIPL), on request or when retention ended."""

    candidate_id: uuid.UUID
    reason: Literal["request", "retention", "merged"]


@event_model("talent.webhook.disabled")
class WebhookDisabled(Event):
    """A partner's webhook endpoint was disabled after a delivery failed its last retry."""

    endpoint_id: uuid.UUID
    partner_id: str = Field(max_length=120)
    host: str = Field(max_length=255)
    reason: str = Field(max_length=2000)
