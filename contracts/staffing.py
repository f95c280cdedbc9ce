"""Events that the staffing service publishes (stream STAFFING, subjects staffing.>)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts.base import PERSONAL, Event, event_model
from contracts.vocabulary import Stage, Subject, Title, check_subject_in_stage

UnitKind = Literal["district", "school"]


class UnitFacts(Event):
    """What other services may know of a unit (a district or a school)."""

    unit_id: uuid.UUID
    kind: UnitKind
    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=120)
    district_id: uuid.UUID | None = None
    stages: list[Stage] = Field(default_factory=list)
    lat: float | None = None
    lon: float | None = None


@event_model("staffing.unit.registered")
class UnitRegistered(UnitFacts):
    """A district or a school was registered."""


@event_model("staffing.unit.updated")
class UnitUpdated(UnitFacts):
    """A unit's name, stages or location changed."""


QuotaType = Annotated[str, Field(min_length=1, max_length=20, pattern=r"^[a-z_]+$")]


@event_model("staffing.quota.adjusted")
class QuotaAdjusted(Event):
    """The staffing commission raised (核增) or cut (核减) a unit's approved posts."""

    unit_id: uuid.UUID
    quota_type: QuotaType
    delta: int
    approved: int
    document_no: str
    reason: str


@event_model("staffing.pool.deposited")
class PoolDeposited(Event):
    """Idle posts moved from a unit into the turnover pool (收储)."""

    unit_id: uuid.UUID
    quota_type: QuotaType
    count: int = Field(ge=1)
    pool_balance: int = Field(ge=0)
    document_no: str
    pool_district_id: uuid.UUID | None = Field(
        default=None, description="the district whose own pool took the posts; none: the city's"
    )


@event_model("staffing.application.submitted")
class ApplicationSubmitted(Event):
    """A unit applied for posts from the pool."""

    application_id: uuid.UUID
    unit_id: uuid.UUID
    quota_type: QuotaType
    requested: int = Field(ge=1)
    reason_kind: str
    term_years: int
    forecast_attrition: int
    pool_district_id: uuid.UUID | None = Field(
        default=None, description="the district whose pool is asked; none: the city's"
    )


@event_model("staffing.application.referred")
class ApplicationReferred(Event):
    """A district short of posts passed a pending application on to the city's pool."""

    application_id: uuid.UUID
    unit_id: uuid.UUID
    quota_type: QuotaType
    requested: int = Field(ge=1)
    from_district_id: uuid.UUID
    reason: str


@event_model("staffing.application.decided")
class ApplicationDecided(Event):
    """An application was approved in full or in part, or rejected, with a reason."""

    application_id: uuid.UUID
    unit_id: uuid.UUID
    quota_type: QuotaType
    outcome: Literal["approved", "partially_approved", "rejected"]
    requested: int
    granted: int = Field(ge=0)
    reason: str


@event_model("staffing.loan.granted")
class LoanGranted(Event):
    """Posts moved from the pool to a unit as a loan (借用) with a due date."""

    loan_id: uuid.UUID
    application_id: uuid.UUID | None
    unit_id: uuid.UUID
    quota_type: QuotaType
    count: int = Field(ge=1)
    due_date: date
    pool_district_id: uuid.UUID | None = Field(
        default=None, description="the district whose own pool lent; none: the city's"
    )


@event_model("staffing.loan.repaid")
class LoanRepaid(Event):
    """Posts went back from a unit to the pool (归还), on a departure or early by hand."""

    loan_id: uuid.UUID
    unit_id: uuid.UUID
    quota_type: QuotaType
    count: int = Field(ge=1)
    outstanding: int = Field(ge=0)
    how: Literal["departure", "early"]
    staff_id: uuid.UUID | None = None
    pool_district_id: uuid.UUID | None = Field(
        default=None, description="the district whose own pool was repaid; none: the city's"
    )


@event_model("staffing.loan.overdue")
class LoanOverdue(Event):
    """A loan passed its due date with posts still outstanding."""

    loan_id: uuid.UUID
    unit_id: uuid.UUID
    quota_type: QuotaType
    outstanding: int = Field(ge=1)
    due_date: date


@event_model("staffing.loan.due_approached")
class LoanDueApproached(Event):
    """A loan with posts outstanding came within the reminder window before its due date."""

    loan_id: uuid.UUID
    unit_id: uuid.UUID
    district_id: uuid.UUID | None = None
    quota_type: QuotaType
    outstanding: int = Field(ge=1)
    due_date: date


class ReservationFacts(Event):
    """Posts at a unit and the talent posting they concern."""

    posting_id: uuid.UUID
    unit_id: uuid.UUID
    quota_type: QuotaType
    count: int = Field(ge=0)
    #: The posting's opening attempt (`talent.posting.opened` `attempt`) this answers.
    attempt: int = Field(default=1, ge=1)


@event_model("staffing.reservation.confirmed")
class ReservationConfirmed(ReservationFacts):
    """All the posts a posting needs are held for it."""


@event_model("staffing.reservation.rejected")
class ReservationRejected(ReservationFacts):
    """A posting's posts could not be held; nothing was reserved."""

    reason: str


@event_model("staffing.reservation.released")
class ReservationReleased(ReservationFacts):
    """The posts a closed posting still held are vacant again."""


class DatedTitle(BaseModel):
    """A title (职称) held from a date until the next one in the history."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str = Field(min_length=1, max_length=40)
    effective_from: date


class StaffFacts(Event):
    """What other services may know of a person on the roster.

    `title` is the title in force now; `title_history` every title with the date it took
    effect, oldest first, so a consumer can tell the title held on any day (empty from an
    older publisher: then `title` is all that is known).
    """

    staff_id: uuid.UUID
    unit_id: uuid.UUID
    district_id: uuid.UUID | None
    quota_type: QuotaType
    name: str = Field(json_schema_extra=PERSONAL)
    subject: Subject | None = None
    stage: Stage | None = None
    title: Title | None = None
    title_history: list[DatedTitle] = Field(default_factory=list)

    @model_validator(mode="after")
    def _subject_taught_in_stage(self) -> StaffFacts:
        check_subject_in_stage(self.subject, self.stage)
        return self


@event_model("staffing.staff.hired")
class StaffHired(StaffFacts):
    """A person took a post at a unit."""

    hire_date: date
    posting_id: uuid.UUID | None = None
    application_id: uuid.UUID | None = None


@event_model("staffing.staff.left")
class StaffLeft(StaffFacts):
    """A person left a unit: retired, resigned or otherwise gone; the post was freed or repaid."""

    reason: str
    left_on: date
    repaid_loan_id: uuid.UUID | None = None


@event_model("staffing.staff.updated")
class StaffUpdated(StaffFacts):
    """A person's title or subject changed on the roster; `changed` names which, from when."""

    changed: list[Literal["title", "subject", "stage"]] = Field(min_length=1)
    effective_on: date
    previous_subject: str | None = None
    previous_stage: str | None = None


HireRefusalCode = Literal[
    "no_reservation", "no_vacancy", "no_quota", "unit_unknown", "unit_closed", "invalid"
]


@event_model("staffing.hire.refused")
class HireRefused(Event):
    """Staffing could not put a hired candidate on the roster; nothing was recorded.

    `code` is for machines (and the UI's label), `reason` for people: the unit's figures.
    """

    application_id: uuid.UUID
    posting_id: uuid.UUID
    candidate_id: uuid.UUID | None = None
    unit_id: uuid.UUID | None = None
    quota_type: QuotaType | None = None
    code: HireRefusalCode
    reason: str = Field(max_length=1000)
    #: The talent request's attempt this answers (`talent.candidate.hired` `attempt`).
    attempt: int = Field(default=1, ge=1)


@event_model("staffing.staff.transferred")
class StaffTransferred(StaffFacts):
    """A person moved from one unit to another in one step; `unit_id` is the new unit."""

    from_unit_id: uuid.UUID
    transferred_on: date
    repaid_loan_id: uuid.UUID | None = None


@event_model("staffing.school.opened")
class SchoolOpened(Event):
    """A new school was opened (新开校) with its staffing plan, under a document."""

    unit_id: uuid.UUID
    district_id: uuid.UUID | None = None
    name: str
    document_no: str
    posts: dict[str, int] = Field(default_factory=dict, description="posts granted by quota type")


@event_model("staffing.school.merged")
class SchoolsMerged(Event):
    """A school was merged into another (合并): its posts, staff and loans moved to the survivor."""

    unit_id: uuid.UUID
    into_unit_id: uuid.UUID
    district_id: uuid.UUID | None = None
    document_no: str
    staff_moved: int = Field(ge=0)
    posts_moved: dict[str, int] = Field(default_factory=dict)


@event_model("staffing.school.closed")
class SchoolClosed(Event):
    """A school was closed (撤销): its staff transferred by a list, its posts returned to a pool."""

    unit_id: uuid.UUID
    district_id: uuid.UUID | None = None
    document_no: str
    staff_transferred: int = Field(ge=0)
    posts_returned: dict[str, int] = Field(default_factory=dict)
    returned_to_district_pool: bool
