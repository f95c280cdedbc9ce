"""Tables of the talent service."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlmodel import Field, SQLModel, col

from common.db import UTCDateTime, utcnow
from common.models import messaging_tables, new_registry
from common.outbox import Outbox
from common.projections import UnitProjectionFields
from contracts.talent import ApplicationStatus


class TalentBase(SQLModel, registry=new_registry()):
    """The base of the talent tables, with metadata of their own."""


messaging = messaging_tables(TalentBase.metadata)
outbox = Outbox(messaging.outbox, service="talent")


def _now_column(**kwargs: Any) -> Any:
    return Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, **kwargs))


class Unit(TalentBase, UnitProjectionFields, table=True):
    """A district or school as staffing announced it."""

    __tablename__ = "units"


class Posting(TalentBase, table=True):
    """A job at a unit (岗位) that holds posts: draft → pending_quota → open / blocked → closed."""

    __tablename__ = "postings"
    __table_args__ = (Index("ix_postings_sync", "updated_at", "id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    unit_id: uuid.UUID = Field(sa_column=Column(Uuid, nullable=False, index=True))
    district_id: uuid.UUID | None = Field(
        default=None, sa_column=Column(Uuid, nullable=True, index=True)
    )
    title: str = Field(sa_column=Column(String(120), nullable=False))
    subject: str | None = Field(default=None, sa_column=Column(String(40), nullable=True))
    stage: str | None = Field(default=None, sa_column=Column(String(20), nullable=True))
    count: int
    quota_type: str = Field(sa_column=Column(String(20), nullable=False))
    requirements: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    apply_from: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    apply_until: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    status: str = Field(sa_column=Column(String(20), nullable=False, index=True))
    reservation: str = Field(sa_column=Column(String(20), nullable=False))
    blocked_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    #: 1 when first opened; each reopening after staffing refused the posts asks again with +1.
    reservation_attempt: int = Field(
        default=1, sa_column=Column(Integer, nullable=False, server_default="1")
    )
    #: Applications hired or being hired (`hiring`) against `count`.
    hired: int = 0
    created_by: str = Field(sa_column=Column(String(120), nullable=False))
    created_at: datetime = _now_column()
    updated_at: datetime = _now_column()
    opened_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class Candidate(TalentBase, table=True):
    """A person in the talent pool. Personal fields are AES-GCM ciphertexts (`*_enc`); the ID
    number is found by its keyed hash only. Erasure empties them and keeps the statistics."""

    __tablename__ = "candidates"
    __table_args__ = (Index("ix_candidates_retention", "retention_until", "erased_at"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    id_hash: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    name_enc: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    id_number_enc: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    phone_enc: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    email_enc: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    birth_date_enc: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    sex: str = Field(sa_column=Column(String(10), nullable=False))
    birth_year: int
    degree: str | None = Field(default=None, sa_column=Column(String(20), nullable=True))
    school: str | None = Field(default=None, sa_column=Column(String(120), nullable=True))
    major: str | None = Field(default=None, sa_column=Column(String(120), nullable=True))
    certificates: list[dict[str, str]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    title: str | None = Field(default=None, sa_column=Column(String(40), nullable=True))
    talent_tier: str | None = Field(default=None, sa_column=Column(String(20), nullable=True))
    source: str = Field(sa_column=Column(String(20), nullable=False))
    consent_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    retention_until: date = Field(sa_column=Column(Date, nullable=False))
    erased_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    erased_reason: str | None = Field(default=None, sa_column=Column(String(20), nullable=True))
    merged_into_id: uuid.UUID | None = Field(default=None, sa_column=Column(Uuid, nullable=True))
    created_by: str = Field(sa_column=Column(String(120), nullable=False))
    created_at: datetime = _now_column()
    updated_at: datetime = _now_column()


# A unique index that allows many NULLs (erased candidates) on SQLite and PostgreSQL alike.
Index("uq_candidates_id_hash", col(Candidate.id_hash), unique=True)


class CandidateLink(TalentBase, table=True):
    """A partner pushed this candidate (under its own external id): what it may see.

    `submission_enc` is the partner's own submission, sealed: a partner is shown what it sent,
    never what another source sent about the same person."""

    __tablename__ = "candidate_links"

    partner_id: str = Field(sa_column=Column(String(120), primary_key=True))
    candidate_id: uuid.UUID = Field(
        sa_column=Column(
            ForeignKey("candidates.id", ondelete="CASCADE"), primary_key=True, index=True
        )
    )
    external_id: str | None = Field(default=None, sa_column=Column(String(120), nullable=True))
    submission_enc: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = _now_column()


class PiiAccess(TalentBase, table=True):
    """One whole view of a candidate's personal fields: who, when, which candidate."""

    __tablename__ = "pii_access_log"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    candidate_id: uuid.UUID = Field(sa_column=Column(Uuid, nullable=False, index=True))
    actor: str = Field(sa_column=Column(String(120), nullable=False))
    role: str = Field(sa_column=Column(String(40), nullable=False))
    purpose: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    at: datetime = _now_column()


class Application(TalentBase, table=True):
    """One candidate applying for one posting, and where it stands in the pipeline."""

    __tablename__ = "applications"
    __table_args__ = (
        UniqueConstraint("candidate_id", "posting_id", name="uq_applications_candidate_posting"),
        Index("ix_applications_sync", "updated_at", "id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    candidate_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("candidates.id", ondelete="RESTRICT"), nullable=False)
    )
    posting_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("postings.id", ondelete="RESTRICT"), nullable=False, index=True)
    )
    partner_id: str | None = Field(
        default=None, sa_column=Column(String(120), nullable=True, index=True)
    )
    status: ApplicationStatus = Field(sa_column=Column(String(20), nullable=False, index=True))
    staff_id: uuid.UUID | None = Field(default=None, sa_column=Column(Uuid, nullable=True))
    #: Who last asked staffing to hire (notified if it refuses), and how many times.
    hire_requested_by: str | None = Field(
        default=None, sa_column=Column(String(120), nullable=True)
    )
    hire_attempts: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default="0")
    )
    hire_failure_code: str | None = Field(default=None, sa_column=Column(String(30), nullable=True))
    hire_failure_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    onboarded_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    created_by: str = Field(sa_column=Column(String(120), nullable=False))
    created_at: datetime = _now_column()
    updated_at: datetime = _now_column()


class Transition(TalentBase, table=True):
    """One move of an application in the pipeline, with who made it and why."""

    __tablename__ = "application_transitions"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    application_id: uuid.UUID = Field(
        sa_column=Column(
            ForeignKey("applications.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    from_status: ApplicationStatus | None = Field(
        default=None, sa_column=Column(String(20), nullable=True)
    )
    to_status: ApplicationStatus = Field(sa_column=Column(String(20), nullable=False))
    actor: str = Field(sa_column=Column(String(120), nullable=False))
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    at: datetime = _now_column()


class IdempotencyRecord(TalentBase, table=True):
    """The first response to a caller's `Idempotency-Key`, replayed to its retries."""

    __tablename__ = "idempotency_keys"

    owner: str = Field(sa_column=Column(String(120), primary_key=True))
    key: str = Field(sa_column=Column(String(200), primary_key=True))
    request_hash: str = Field(sa_column=Column(String(64), nullable=False))
    status_code: int
    body: str = Field(sa_column=Column(Text, nullable=False))
    resource_id: uuid.UUID | None = Field(
        default=None, sa_column=Column(Uuid, nullable=True, index=True)
    )
    created_at: datetime = _now_column(index=True)


class WebhookEndpoint(TalentBase, table=True):
    """A partner's URL for the webhook event types it chose; the secret is kept encrypted."""

    __tablename__ = "webhook_endpoints"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    partner_id: str = Field(sa_column=Column(String(120), nullable=False, index=True))
    url: str = Field(sa_column=Column(String(2000), nullable=False))
    event_types: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    secret_enc: str = Field(sa_column=Column(Text, nullable=False))
    description: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    disabled_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    disabled_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = _now_column()


class WebhookDelivery(TalentBase, table=True):
    """One event for one endpoint: the message (its id is `webhook-id`) and how sending went."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id", name="uq_webhook_deliveries_endpoint_event"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    endpoint_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), nullable=False)
    )
    event_id: uuid.UUID = Field(sa_column=Column(Uuid, nullable=False))
    event_type: str = Field(sa_column=Column(String(60), nullable=False))
    payload: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(sa_column=Column(String(20), nullable=False))
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    next_attempt_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    last_attempt_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    delivered_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    created_at: datetime = _now_column()
