"""Tables of the sharing service."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlmodel import Field, SQLModel

from common.db import UTCDateTime, utcnow
from common.models import messaging_tables, new_registry
from common.outbox import Outbox
from common.projections import UnitProjectionFields


class SharingBase(SQLModel, registry=new_registry()):
    """The base of the sharing tables, with metadata of their own."""


messaging = messaging_tables(SharingBase.metadata)
outbox = Outbox(messaging.outbox, service="sharing")


def _created() -> Any:
    return Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


def _updated() -> Any:
    return Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True)
    )


class Unit(SharingBase, UnitProjectionFields, table=True):
    """A district or school as staffing announced it."""

    __tablename__ = "units"


class Teacher(SharingBase, table=True):
    """A teacher's sharing profile: the roster facts plus what sharing needs (共享档案).

    `home_timetable` is a 40-bit set of weekday × period (bit (weekday-1)*8 + period-1); the
    row is also the lock every booking of this teacher takes.
    """

    __tablename__ = "teachers"
    __table_args__ = (
        CheckConstraint("weekly_cap >= 0 AND weekly_cap <= 40", name="weekly_cap_range"),
        CheckConstraint("rating >= 0 AND rating <= 5", name="rating_range"),
    )

    id: uuid.UUID = Field(primary_key=True)
    unit_id: uuid.UUID = Field(sa_column=Column(Uuid(), nullable=False, index=True))
    district_id: uuid.UUID | None = Field(default=None, sa_column=Column(Uuid(), index=True))
    name: str = Field(sa_column=Column(String(120), nullable=False))
    quota_type: str | None = Field(default=None, sa_column=Column(String(20), nullable=True))
    title: str | None = Field(default=None, sa_column=Column(String(40), nullable=True))
    #: The roster's dated titles, oldest first: [{"title": …, "effective_from": "YYYY-MM-DD"}].
    title_history: list[dict[str, str]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    subjects: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    stages: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    certificates: list[dict[str, str]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    modes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    home_timetable: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    weekly_cap: int = Field(default=4, sa_column=Column(Integer, nullable=False))
    #: Where the teacher stands in the sharing library (入库): none, listed, paused or left.
    library_status: str = Field(default="none", sa_column=Column(String(20), nullable=False))
    #: The (subject, stage) pairs the library approved the teacher for, as [subject, stage].
    offered: list[list[str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    #: Districts the teacher will travel to for 走教 and 轮岗 (ids as strings).
    areas: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    #: 骨干教师 / 学科带头人 / 名师, each with the document that conferred it.
    honours: list[dict[str, str]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    #: Derived from the host schools' evaluations (考核评价), never typed; 3.0 until the first.
    rating: float = Field(default=3.0, sa_column=Column(Float, nullable=False))
    evaluations: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    active: bool = Field(default=True, sa_column=Column(Boolean, nullable=False))
    left_on: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    as_of: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = _updated()

    def certificate_pairs(self) -> list[tuple[str, str]]:
        """The (level, subject) of each certificate held, as `vocabulary.qualified` reads them."""
        return [(c.get("level", ""), c.get("subject", "")) for c in self.certificates]


class DistrictSetting(SharingBase, table=True):
    """Whether a district approves its schools' requests before they open."""

    __tablename__ = "district_settings"

    district_id: uuid.UUID = Field(primary_key=True)
    requires_approval: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    updated_by: str = Field(sa_column=Column(String(120), nullable=False))
    updated_at: datetime = _updated()


class ShareRequest(SharingBase, table=True):
    """A school's request for a shared teacher at given weekly slots over a term (共享需求)."""

    __tablename__ = "requests"
    __table_args__ = (
        CheckConstraint("term_end >= term_start", name="term_ordered"),
        Index("ix_requests_status_term", "status", "term_start"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    unit_id: uuid.UUID = Field(sa_column=Column(Uuid(), nullable=False, index=True))
    district_id: uuid.UUID | None = Field(default=None, sa_column=Column(Uuid(), index=True))
    subject: str = Field(sa_column=Column(String(40), nullable=False))
    stage: str = Field(sa_column=Column(String(20), nullable=False))
    slots: list[list[int]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    slot_mask: int = Field(sa_column=Column(BigInteger, nullable=False))
    periods: int = Field(sa_column=Column(Integer, nullable=False))
    term_start: date = Field(sa_column=Column(Date, nullable=False))
    term_end: date = Field(sa_column=Column(Date, nullable=False))
    mode: str = Field(sa_column=Column(String(20), nullable=False))
    reason: str = Field(sa_column=Column(Text, nullable=False))
    #: The class taught (班级), e.g. 三年级2班, when the school names one.
    class_name: str | None = Field(default=None, sa_column=Column(String(40), nullable=True))
    status: str = Field(sa_column=Column(String(20), nullable=False))
    created_by: str = Field(sa_column=Column(String(120), nullable=False))
    decided_by: str | None = Field(default=None, sa_column=Column(String(120), nullable=True))
    created_at: datetime = _created()
    updated_at: datetime = _updated()


class Offer(SharingBase, table=True):
    """HR's offer of a request to a teacher, then the home school's consent and the answer."""

    __tablename__ = "offers"
    __table_args__ = (Index("ix_offers_status_expires", "status", "expires_at"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    request_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("requests.id", ondelete="RESTRICT"), nullable=False, index=True)
    )
    teacher_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("teachers.id", ondelete="RESTRICT"), nullable=False, index=True)
    )
    home_unit_id: uuid.UUID = Field(sa_column=Column(Uuid(), nullable=False, index=True))
    home_district_id: uuid.UUID | None = Field(default=None, sa_column=Column(Uuid()))
    host_unit_id: uuid.UUID = Field(sa_column=Column(Uuid(), nullable=False, index=True))
    host_district_id: uuid.UUID | None = Field(default=None, sa_column=Column(Uuid()))
    status: str = Field(sa_column=Column(String(20), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    batch_id: uuid.UUID | None = Field(default=None, sa_column=Column(Uuid(), nullable=True))
    created_by: str = Field(sa_column=Column(String(120), nullable=False))
    consented_by: str | None = Field(default=None, sa_column=Column(String(120), nullable=True))
    answered_by: str | None = Field(default=None, sa_column=Column(String(120), nullable=True))
    created_at: datetime = _created()
    updated_at: datetime = _updated()


class Assignment(SharingBase, table=True):
    """A teacher booked at a host school's weekly slots for a term (走教/线上/轮岗)."""

    __tablename__ = "assignments"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="dates_ordered"),
        Index("ix_assignments_teacher_status", "teacher_id", "status"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    offer_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("offers.id", ondelete="RESTRICT"), nullable=False, unique=True)
    )
    request_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("requests.id", ondelete="RESTRICT"), nullable=False, index=True)
    )
    teacher_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("teachers.id", ondelete="RESTRICT"), nullable=False)
    )
    home_unit_id: uuid.UUID = Field(sa_column=Column(Uuid(), nullable=False, index=True))
    host_unit_id: uuid.UUID = Field(sa_column=Column(Uuid(), nullable=False, index=True))
    host_district_id: uuid.UUID | None = Field(default=None, sa_column=Column(Uuid()))
    subject: str = Field(sa_column=Column(String(40), nullable=False))
    stage: str = Field(sa_column=Column(String(20), nullable=False))
    mode: str = Field(sa_column=Column(String(20), nullable=False))
    #: The class taught (班级), from the request.
    class_name: str | None = Field(default=None, sa_column=Column(String(40), nullable=True))
    slot_mask: int = Field(sa_column=Column(BigInteger, nullable=False))
    periods: int = Field(sa_column=Column(Integer, nullable=False))
    starts_on: date = Field(sa_column=Column(Date, nullable=False))
    ends_on: date = Field(sa_column=Column(Date, nullable=False))
    status: str = Field(sa_column=Column(String(20), nullable=False))
    end_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = _created()
    updated_at: datetime = _updated()


class Lesson(SharingBase, table=True):
    """One scheduled period of an assignment, logged by the teacher and confirmed by the host."""

    __tablename__ = "lessons"
    __table_args__ = (
        UniqueConstraint("assignment_id", "taught_on", "period", name="one_per_period"),
        Index("ix_lessons_teacher_date", "teacher_id", "taught_on"),
        Index("ix_lessons_host_date", "host_unit_id", "taught_on"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    assignment_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("assignments.id", ondelete="RESTRICT"), nullable=False)
    )
    teacher_id: uuid.UUID = Field(sa_column=Column(Uuid(), nullable=False))
    home_unit_id: uuid.UUID = Field(sa_column=Column(Uuid(), nullable=False))
    host_unit_id: uuid.UUID = Field(sa_column=Column(Uuid(), nullable=False))
    taught_on: date = Field(sa_column=Column(Date, nullable=False))
    period: int = Field(sa_column=Column(Integer, nullable=False))
    status: str = Field(sa_column=Column(String(20), nullable=False))
    dispute_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    confirmed_by: str | None = Field(default=None, sa_column=Column(String(120), nullable=True))
    #: Where a lesson moved by agreement (调课) was first scheduled.
    moved_from: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    moved_from_period: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    #: Who taught it instead when the shared teacher was absent (代课); then it is not paid.
    covered_by: str | None = Field(default=None, sa_column=Column(String(120), nullable=True))
    #: Why it was moved or covered.
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    settlement_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(ForeignKey("settlements.id", ondelete="RESTRICT"), nullable=True),
    )
    updated_at: datetime = _updated()


class LessonMove(SharingBase, table=True):
    """A proposal to move one lesson to another school day and period (调课).

    One side (the shared teacher or the host school) proposes; the other accepts or declines, and
    the proposer may withdraw. Accepting moves the lesson; the proposal stays as its record.
    """

    __tablename__ = "lesson_moves"
    __table_args__ = (Index("ix_lesson_moves_lesson", "lesson_id", "status"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    lesson_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("lessons.id", ondelete="RESTRICT"), nullable=False)
    )
    assignment_id: uuid.UUID = Field(sa_column=Column(Uuid(), nullable=False))
    teacher_id: uuid.UUID = Field(sa_column=Column(Uuid(), nullable=False, index=True))
    host_unit_id: uuid.UUID = Field(sa_column=Column(Uuid(), nullable=False, index=True))
    home_unit_id: uuid.UUID = Field(sa_column=Column(Uuid(), nullable=False))
    from_date: date = Field(sa_column=Column(Date, nullable=False))
    from_period: int = Field(sa_column=Column(Integer, nullable=False))
    to_date: date = Field(sa_column=Column(Date, nullable=False))
    to_period: int = Field(sa_column=Column(Integer, nullable=False))
    #: "teacher" or "host": who proposed; the other side answers.
    proposed_by: str = Field(sa_column=Column(String(10), nullable=False))
    reason: str = Field(sa_column=Column(Text, nullable=False))
    #: proposed → accepted | declined | withdrawn
    status: str = Field(sa_column=Column(String(12), nullable=False))
    created_by: str = Field(sa_column=Column(String(120), nullable=False))
    decided_by: str | None = Field(default=None, sa_column=Column(String(120), nullable=True))
    created_at: datetime = _created()
    decided_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )


class PeriodRate(SharingBase, table=True):
    """Pay per shared period for a title and mode, in force from a date until an optional last
    day (课时补贴标准). Mode "any" applies where no row names the lesson's own mode."""

    __tablename__ = "period_rates"

    effective_from: date = Field(sa_column=Column(Date, primary_key=True))
    title: str = Field(sa_column=Column(String(40), primary_key=True))
    mode: str = Field(default="any", sa_column=Column(String(12), primary_key=True))
    effective_to: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    rate_cents: int = Field(sa_column=Column(Integer, nullable=False))
    source: str = Field(sa_column=Column(String(200), nullable=False))


class TravelAllowance(SharingBase, table=True):
    """Pay per lesson taught in person (走教, 轮岗) by the distance band from the home school to
    the host school (交通补贴), in force from a date until an optional last day."""

    __tablename__ = "travel_allowances"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    effective_from: date = Field(sa_column=Column(Date, nullable=False))
    effective_to: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    #: The band: at least `min_km`, and below `max_km` when it is set.
    min_km: float = Field(sa_column=Column(Float, nullable=False))
    max_km: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    cents: int = Field(sa_column=Column(Integer, nullable=False))
    source: str = Field(sa_column=Column(String(200), nullable=False))
    created_by: str = Field(sa_column=Column(String(120), nullable=False))
    created_at: datetime = _created()


class Settlement(SharingBase, table=True):
    """A teacher's period pay for one month, issued once and never changed (月度结算)."""

    __tablename__ = "settlements"
    __table_args__ = (UniqueConstraint("teacher_id", "month", name="one_per_month"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    teacher_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("teachers.id", ondelete="RESTRICT"), nullable=False)
    )
    home_unit_id: uuid.UUID = Field(sa_column=Column(Uuid(), nullable=False, index=True))
    home_district_id: uuid.UUID | None = Field(default=None, sa_column=Column(Uuid()))
    month: str = Field(sa_column=Column(String(7), nullable=False, index=True))
    title: str = Field(sa_column=Column(String(40), nullable=False))
    #: Periods by host district, title, mode and rate: [{"host_district_id", "title", "mode",
    #: "rate_cents", "travel_cents", "periods", "amount_cents", "late"}].
    lines: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    periods: int = Field(sa_column=Column(Integer, nullable=False))
    amount_cents: int = Field(sa_column=Column(Integer, nullable=False))
    adjustment_periods: int = Field(sa_column=Column(Integer, nullable=False))
    adjustment_cents: int = Field(sa_column=Column(Integer, nullable=False))
    total_cents: int = Field(sa_column=Column(Integer, nullable=False))
    issued_by: str = Field(sa_column=Column(String(120), nullable=False))
    issued_at: datetime = _created()


class BatchMatch(SharingBase, table=True):
    """A solver's proposal for a term's open requests, which HR turns into offers."""

    __tablename__ = "batch_matches"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    district_id: uuid.UUID | None = Field(default=None, sa_column=Column(Uuid()))
    term_start: date = Field(sa_column=Column(Date, nullable=False))
    term_end: date = Field(sa_column=Column(Date, nullable=False))
    status: str = Field(sa_column=Column(String(20), nullable=False))
    proposals: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    figures: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_by: str = Field(sa_column=Column(String(120), nullable=False))
    created_at: datetime = _created()


class LibraryApplication(SharingBase, table=True):
    """A teacher's application to join the sharing library (入库申请), and its review.

    applied → consented (home school) → approved (district HR), or returned with a reason by
    either; the teacher may withdraw while it is under review.
    """

    __tablename__ = "library_applications"
    __table_args__ = (
        CheckConstraint("weekly_cap >= 1 AND weekly_cap <= 40", name="weekly_cap_range"),
        Index("ix_library_applications_status", "status", "district_id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    teacher_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("teachers.id", ondelete="RESTRICT"), nullable=False, index=True)
    )
    unit_id: uuid.UUID = Field(sa_column=Column(Uuid(), nullable=False, index=True))
    district_id: uuid.UUID | None = Field(default=None, sa_column=Column(Uuid(), nullable=True))
    offered: list[list[str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    modes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    weekly_cap: int = Field(sa_column=Column(Integer, nullable=False))
    areas: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    statement: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    status: str = Field(sa_column=Column(String(20), nullable=False))
    return_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    consented_by: str | None = Field(default=None, sa_column=Column(String(120), nullable=True))
    decided_by: str | None = Field(default=None, sa_column=Column(String(120), nullable=True))
    created_at: datetime = _created()
    updated_at: datetime = _updated()


class CalendarDay(SharingBase, table=True):
    """A city-wide day off (statutory holiday) or weekend day worked (调休上班), with its source.

    A worked day follows the timetable of `follows_weekday` (1 = Monday).
    """

    __tablename__ = "calendar_days"
    __table_args__ = (
        CheckConstraint("kind IN ('holiday', 'workday')", name="kind_known"),
        CheckConstraint(
            "(kind = 'workday' AND follows_weekday BETWEEN 1 AND 5)"
            " OR (kind = 'holiday' AND follows_weekday IS NULL)",
            name="workday_follows_a_weekday",
        ),
    )

    day: date = Field(sa_column=Column(Date, primary_key=True))
    kind: str = Field(sa_column=Column(String(10), nullable=False))
    name: str = Field(sa_column=Column(String(60), nullable=False))
    follows_weekday: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    source: str = Field(sa_column=Column(String(200), nullable=False))
    updated_by: str = Field(sa_column=Column(String(120), nullable=False))
    updated_at: datetime = _updated()


class SchoolTerm(SharingBase, table=True):
    """A term of a school year (学期), as city HR sets it: lessons happen only inside terms."""

    __tablename__ = "school_terms"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="dates_ordered"),
        UniqueConstraint("school_year", "name", name="one_name_per_year"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    school_year: str = Field(sa_column=Column(String(9), nullable=False))
    name: str = Field(sa_column=Column(String(40), nullable=False))
    starts_on: date = Field(sa_column=Column(Date, nullable=False))
    ends_on: date = Field(sa_column=Column(Date, nullable=False))
    updated_by: str = Field(sa_column=Column(String(120), nullable=False))
    updated_at: datetime = _updated()


class DistrictDayOff(SharingBase, table=True):
    """A local day off a district adds to the city's calendar (e.g. a local event)."""

    __tablename__ = "district_days_off"

    district_id: uuid.UUID = Field(sa_column=Column(Uuid(), primary_key=True))
    day: date = Field(sa_column=Column(Date, primary_key=True))
    reason: str = Field(sa_column=Column(Text, nullable=False))
    created_by: str = Field(sa_column=Column(String(120), nullable=False))
    created_at: datetime = _created()


class EvaluationForm(SharingBase, table=True):
    """The short form host schools fill in (考核评价表): items scored 1-5, each with a comment.

    City HR replaces it with a new version; evaluations keep the version they were made on.
    """

    __tablename__ = "evaluation_forms"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    items: list[dict[str, str]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    active: bool = Field(default=True, sa_column=Column(Boolean, nullable=False))
    source: str = Field(sa_column=Column(String(200), nullable=False))
    created_by: str = Field(sa_column=Column(String(120), nullable=False))
    created_at: datetime = _created()


class Evaluation(SharingBase, table=True):
    """The host school's evaluation of a shared teacher for a term or the whole assignment."""

    __tablename__ = "evaluations"
    __table_args__ = (
        UniqueConstraint("assignment_id", "period", name="one_evaluation_per_period"),
        Index("ix_evaluations_teacher", "teacher_id", "created_at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    assignment_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("assignments.id", ondelete="RESTRICT"), nullable=False)
    )
    form_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("evaluation_forms.id", ondelete="RESTRICT"), nullable=False)
    )
    teacher_id: uuid.UUID = Field(sa_column=Column(Uuid(), nullable=False))
    home_unit_id: uuid.UUID = Field(sa_column=Column(Uuid(), nullable=False, index=True))
    host_unit_id: uuid.UUID = Field(sa_column=Column(Uuid(), nullable=False, index=True))
    #: "final" for the whole assignment, or the id of the school term it covers.
    period: str = Field(sa_column=Column(String(40), nullable=False))
    scores: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    comments: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    mean: float = Field(sa_column=Column(Float, nullable=False))
    response: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    responded_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    created_by: str = Field(sa_column=Column(String(120), nullable=False))
    created_at: datetime = _created()
