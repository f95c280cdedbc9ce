"""What each service tells `teacherpool reconcile` about its side of every hand-over.

Each service answers `GET /v1/internal/reconciliation` (city HR and the auditor only) with its
own rows and nothing else: no service reads another's tables, and the comparison happens in
the gateway (`gateway/reconciliation`), the one place that sees every side.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict


class Row(BaseModel):
    model_config = ConfigDict(frozen=True)


class OutboxBacklog(Row):
    """Events committed but not yet published by the relay."""

    unpublished: int
    oldest: datetime | None = None


class StaffRow(Row):
    """A person on the roster (实名制); `application_id` when talent's hire made the record."""

    id: uuid.UUID
    unit_id: uuid.UUID
    status: str
    title: str | None = None
    subject: str | None = None
    posting_id: uuid.UUID | None = None
    application_id: uuid.UUID | None = None
    left_on: date | None = None
    at: datetime


class ReservationRow(Row):
    """Posts staffing holds (or refused to hold) for one of talent's postings."""

    posting_id: uuid.UUID
    unit_id: uuid.UUID
    quota_type: str
    requested: int
    held: int
    filled: int
    status: str
    at: datetime


class StaffingSide(Row):
    service: str = "staffing"
    as_of: datetime
    outbox: OutboxBacklog
    staff: list[StaffRow]
    reservations: list[ReservationRow]


class TeacherRow(Row):
    """A sharing profile, the projection of a roster record."""

    id: uuid.UUID
    unit_id: uuid.UUID
    active: bool
    title: str | None = None
    subjects: list[str] = []
    left_on: date | None = None
    at: datetime


class AssignmentRow(Row):
    """An assignment still running (not ended): the teacher is booked at the host school."""

    id: uuid.UUID
    teacher_id: uuid.UUID
    host_unit_id: uuid.UUID
    status: str
    ends_on: date
    at: datetime


class SharingSide(Row):
    service: str = "sharing"
    as_of: datetime
    outbox: OutboxBacklog
    teachers: list[TeacherRow]
    assignments: list[AssignmentRow]


class PostingRow(Row):
    """A posting past its draft: what talent believes staffing holds for it."""

    id: uuid.UUID
    unit_id: uuid.UUID
    quota_type: str
    count: int
    hired: int
    status: str
    reservation: str
    at: datetime


class ApplicationRow(Row):
    """An application that reached a hire (or a hire's failure), with the staff record it got."""

    id: uuid.UUID
    posting_id: uuid.UUID
    status: str
    staff_id: uuid.UUID | None = None
    at: datetime


class TalentSide(Row):
    service: str = "talent"
    as_of: datetime
    outbox: OutboxBacklog
    postings: list[PostingRow]
    applications: list[ApplicationRow]


class ReplayedDeadLetter(Row):
    """A dead letter the service applied again and took off the list."""

    sequence: int
    event_id: str | None = None
    event_type: str | None = None
