"""Events that the sharing service publishes (stream SHARING, subjects sharing.>)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import Field

from contracts.base import Event, event_model


class RequestFacts(Event):
    """What other services may know of a school's request for a shared teacher."""

    request_id: uuid.UUID
    unit_id: uuid.UUID
    district_id: uuid.UUID | None
    subject: str
    stage: str
    slots: list[tuple[int, int]]
    term_start: date
    term_end: date
    mode: str


@event_model("sharing.request.opened")
class RequestOpened(RequestFacts):
    """A school asked for a shared teacher; `needs_approval` when its district approves first."""

    needs_approval: bool


@event_model("sharing.request.approved")
class RequestApproved(RequestFacts):
    """The district approved a request, which is now open for matching."""


@event_model("sharing.request.cancelled")
class RequestCancelled(RequestFacts):
    """The school or HR withdrew a request."""

    reason: str


@event_model("sharing.request.reopened")
class RequestReopened(RequestFacts):
    """A filled request is open again because its assignment ended early."""

    reason: str


@event_model("sharing.request.filled")
class RequestFilled(RequestFacts):
    """A teacher accepted an offer for the request."""

    teacher_id: uuid.UUID
    assignment_id: uuid.UUID


class OfferFacts(Event):
    """An offer of a request to a teacher."""

    offer_id: uuid.UUID
    request_id: uuid.UUID
    teacher_id: uuid.UUID
    home_unit_id: uuid.UUID
    host_unit_id: uuid.UUID


@event_model("sharing.offer.sent")
class OfferSent(OfferFacts):
    """HR offered a request to a teacher; the home school consents next."""

    expires_at: str


@event_model("sharing.offer.consented")
class OfferConsented(OfferFacts):
    """The home school consented (派出学校同意) or refused to let the teacher go."""

    consented: bool
    reason: str | None = None


@event_model("sharing.offer.accepted")
class OfferAccepted(OfferFacts):
    """The teacher accepted; an assignment started."""

    assignment_id: uuid.UUID


@event_model("sharing.offer.declined")
class OfferDeclined(OfferFacts):
    """The teacher declined."""

    reason: str | None = None


@event_model("sharing.offer.expired")
class OfferExpired(OfferFacts):
    """Nobody answered in time."""


class AssignmentFacts(Event):
    """A teacher's booking at a host school."""

    assignment_id: uuid.UUID
    request_id: uuid.UUID
    teacher_id: uuid.UUID
    home_unit_id: uuid.UUID
    host_unit_id: uuid.UUID
    starts_on: date
    ends_on: date
    periods_per_week: int = Field(ge=1, le=40)


@event_model("sharing.assignment.started")
class AssignmentStarted(AssignmentFacts):
    """A shared teacher is booked at the host school for the term."""

    mode: str


@event_model("sharing.assignment.ended")
class AssignmentEnded(AssignmentFacts):
    """An assignment ended before its term (by hand, or because the teacher left)."""

    reason: str
    #: `teacher_left`: staffing said the teacher left the roster (staffing.staff.left).
    cause: Literal["by_hand", "teacher_left"] = "by_hand"


@event_model("sharing.lesson.confirmed")
class LessonConfirmed(Event):
    """The host school confirmed that a lesson was given, or disputed it."""

    lesson_id: uuid.UUID
    assignment_id: uuid.UUID
    teacher_id: uuid.UUID
    host_unit_id: uuid.UUID
    taught_on: date
    period: int = Field(ge=1, le=8)
    confirmed: bool


@event_model("sharing.settlement.issued")
class SettlementIssued(Event):
    """A teacher's monthly period pay (课时补贴) was issued for payroll."""

    settlement_id: uuid.UUID
    teacher_id: uuid.UUID
    home_unit_id: uuid.UUID
    month: str = Field(pattern=r"^\d{4}-\d{2}$")
    periods: int
    adjustment_periods: int
    total_cents: int


class LibraryFacts(Event):
    """What other services may know of a teacher's application to the sharing library (入库)."""

    application_id: uuid.UUID
    teacher_id: uuid.UUID
    unit_id: uuid.UUID
    district_id: uuid.UUID | None


@event_model("sharing.library.applied")
class LibraryApplied(LibraryFacts):
    """A teacher applied to join the sharing library; their school's consent comes next."""


@event_model("sharing.library.consented")
class LibraryConsented(LibraryFacts):
    """The home school consented to the application, or returned it with a reason."""

    consented: bool
    reason: str | None = None


@event_model("sharing.library.decided")
class LibraryDecided(LibraryFacts):
    """District HR approved the application (the teacher is listed), or returned it."""

    approved: bool
    reason: str | None = None


@event_model("sharing.library.left")
class LibraryLeft(Event):
    """A teacher paused their library membership or left the library: no more offers."""

    teacher_id: uuid.UUID
    unit_id: uuid.UUID
    status: str


@event_model("sharing.lessons.rescheduled")
class LessonsRescheduled(Event):
    """A calendar change moved an assignment's future lessons: days added and days dropped."""

    assignment_id: uuid.UUID
    teacher_id: uuid.UUID
    home_unit_id: uuid.UUID
    host_unit_id: uuid.UUID
    added: list[date]
    removed: list[date]
    reason: str


@event_model("sharing.lesson.move_proposed")
class LessonMoveProposed(Event):
    """One side proposed moving a lesson (调课); the other side is asked to answer."""

    move_id: uuid.UUID
    lesson_id: uuid.UUID
    assignment_id: uuid.UUID
    teacher_id: uuid.UUID
    host_unit_id: uuid.UUID
    proposed_by: Literal["teacher", "host"]
    from_date: date
    from_period: int
    to_date: date
    to_period: int
    reason: str


@event_model("sharing.lesson.move_answered")
class LessonMoveAnswered(Event):
    """A proposed move was accepted (the lesson moved), declined, or withdrawn."""

    move_id: uuid.UUID
    lesson_id: uuid.UUID
    assignment_id: uuid.UUID
    teacher_id: uuid.UUID
    host_unit_id: uuid.UUID
    proposed_by: Literal["teacher", "host"]
    status: Literal["accepted", "declined", "withdrawn"]
    from_date: date
    from_period: int
    to_date: date
    to_period: int


@event_model("sharing.teacher.evaluated")
class TeacherEvaluated(Event):
    """The host school evaluated a shared teacher (考核评价); the rating was derived anew."""

    evaluation_id: uuid.UUID
    assignment_id: uuid.UUID
    teacher_id: uuid.UUID
    home_unit_id: uuid.UUID
    host_unit_id: uuid.UUID
    mean: float
