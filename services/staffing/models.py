"""Tables of the staffing service."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Uuid,
    and_,
)
from sqlmodel import Field, SQLModel, col

from common.db import UTCDateTime, utcnow
from common.models import messaging_tables, new_registry
from common.outbox import Outbox


class StaffingBase(SQLModel, registry=new_registry()):
    """The base of the staffing tables, with metadata of their own."""


messaging = messaging_tables(StaffingBase.metadata)
outbox = Outbox(messaging.outbox, service="staffing")

UnitKind = Literal["district", "school"]


class Unit(StaffingBase, table=True):
    """A county-level district or a school: the holder of approved posts."""

    __tablename__ = "units"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    kind: str = Field(sa_column=Column(String(20), nullable=False, index=True))
    code: str = Field(sa_column=Column(String(40), nullable=False, unique=True))
    name: str = Field(sa_column=Column(String(120), nullable=False))
    district_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(ForeignKey("units.id", ondelete="RESTRICT"), nullable=True, index=True),
    )
    stages: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    lat: float | None = None
    lon: float | None = None
    status: str = Field(
        default="open", sa_column=Column(String(20), nullable=False, server_default="open")
    )
    merged_into_id: uuid.UUID | None = Field(default=None, sa_column=Column(Uuid, nullable=True))
    closed_on: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class UnitAct(StaffingBase, table=True):
    """An auditable act on a school's life: opened (新开校), merged (合并) or closed (撤销),
    under a document number, with what moved."""

    __tablename__ = "unit_acts"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    kind: str = Field(sa_column=Column(String(20), nullable=False, index=True))
    unit_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("units.id", ondelete="RESTRICT"), nullable=False, index=True)
    )
    other_unit_id: uuid.UUID | None = Field(default=None, sa_column=Column(Uuid, nullable=True))
    district_id: uuid.UUID | None = Field(default=None, sa_column=Column(Uuid, nullable=True))
    document_no: str = Field(sa_column=Column(String(80), nullable=False))
    reason: str = Field(sa_column=Column(Text, nullable=False))
    effective_on: date = Field(sa_column=Column(Date, nullable=False))
    details: dict[str, object] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    actor: str = Field(sa_column=Column(String(120), nullable=False))
    correlation_id: str = Field(sa_column=Column(String(64), nullable=False))
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class Enrolment(StaffingBase, table=True):
    """Pupils of one stage at one school in one school year, counted or forecast."""

    __tablename__ = "enrolments"

    unit_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("units.id", ondelete="CASCADE"), primary_key=True)
    )
    school_year: int = Field(primary_key=True, ge=2000, le=2100)
    stage: str = Field(sa_column=Column(String(20), primary_key=True))
    pupils: int = Field(ge=0)
    forecast: bool = False
    source: str = Field(
        default="count", sa_column=Column(String(20), nullable=False, server_default="count")
    )


class GradeCount(StaffingBase, table=True):
    """Pupils of one grade of one stage at a school in a school year: what the cohort
    projection moves up a grade each year."""

    __tablename__ = "grade_counts"

    unit_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("units.id", ondelete="CASCADE"), primary_key=True)
    )
    school_year: int = Field(primary_key=True)
    stage: str = Field(sa_column=Column(String(20), primary_key=True))
    grade: int = Field(primary_key=True)
    pupils: int = Field(ge=0)


class Capacity(StaffingBase, table=True):
    """The places (学位) a school offers in one stage: classes × pupils per class."""

    __tablename__ = "capacities"

    unit_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("units.id", ondelete="CASCADE"), primary_key=True)
    )
    stage: str = Field(sa_column=Column(String(20), primary_key=True))
    classes: int = Field(ge=0)
    class_size: int = Field(ge=1)

    @property
    def places(self) -> int:
        return self.classes * self.class_size


class ClassSizeStandard(StaffingBase, table=True):
    """Pupils per class of one stage, in force from a date (班额标准)."""

    __tablename__ = "class_size_standards"

    effective_from: date = Field(sa_column=Column(Date, primary_key=True))
    stage: str = Field(sa_column=Column(String(20), primary_key=True))
    pupils_per_class: int
    source: str = Field(sa_column=Column(String(300), nullable=False))


class BirthCohort(StaffingBase, table=True):
    """Births in a district in one year: the intake the cohort projection starts from."""

    __tablename__ = "birth_cohorts"

    district_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("units.id", ondelete="CASCADE"), primary_key=True)
    )
    birth_year: int = Field(primary_key=True)
    births: int = Field(ge=0)


class Quota(StaffingBase, table=True):
    """A unit's posts of one quota type: the balance row every movement locks (编制/员额/控制数)."""

    __tablename__ = "quotas"
    __table_args__ = (
        CheckConstraint("approved >= 0", name="approved_not_negative"),
        CheckConstraint("occupied >= 0", name="occupied_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("borrowed >= 0", name="borrowed_not_negative"),
        CheckConstraint("occupied + reserved <= approved", name="within_approved"),
    )

    unit_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("units.id", ondelete="RESTRICT"), primary_key=True)
    )
    quota_type: str = Field(sa_column=Column(String(20), primary_key=True))
    approved: int = 0
    occupied: int = 0
    reserved: int = 0
    borrowed: int = 0

    @property
    def vacant(self) -> int:
        return self.approved - self.occupied - self.reserved


class Pool(StaffingBase, table=True):
    """The turnover pool of one quota type (编制周转池): a balance that never goes negative."""

    __tablename__ = "pools"
    __table_args__ = (CheckConstraint("balance >= 0", name="balance_not_negative"),)

    quota_type: str = Field(sa_column=Column(String(20), primary_key=True))
    balance: int = 0

    @property
    def owner_id(self) -> uuid.UUID | None:
        """The district that runs the pool; None for the city's."""
        return None


class DistrictPool(StaffingBase, table=True):
    """A district's own turnover pool of one quota type (区级编制周转池): its schools' idle posts,
    lent to its schools first; it never goes negative."""

    __tablename__ = "district_pools"
    __table_args__ = (CheckConstraint("balance >= 0", name="balance_not_negative"),)

    district_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("units.id", ondelete="RESTRICT"), primary_key=True)
    )
    quota_type: str = Field(sa_column=Column(String(20), primary_key=True))
    balance: int = 0

    @property
    def owner_id(self) -> uuid.UUID | None:
        return self.district_id


class Standard(StaffingBase, table=True):
    """Pupils per post of one stage, in force from a date (编制标准)."""

    __tablename__ = "standards"

    effective_from: date = Field(sa_column=Column(Date, primary_key=True))
    stage: str = Field(sa_column=Column(String(20), primary_key=True))
    pupils_per_post: float
    source: str = Field(sa_column=Column(String(200), nullable=False))


class RetirementRule(StaffingBase, table=True):
    """The statutory retirement age of one group of birth months, by sex and base age, in force
    from a date (法定退休年龄; the 2025 rows are the decision's annex tables row by row)."""

    __tablename__ = "retirement_rules"

    effective_from: date = Field(sa_column=Column(Date, primary_key=True))
    sex: str = Field(sa_column=Column(String(10), primary_key=True))
    base_age: int = Field(primary_key=True)
    born_from: date = Field(sa_column=Column(Date, primary_key=True))
    born_until: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    age_months: int
    source: str = Field(sa_column=Column(String(300), nullable=False))


class RetirementBase(StaffingBase, table=True):
    """The base (original) retirement age of a post category and sex (原法定退休年龄)."""

    __tablename__ = "retirement_bases"

    post_category: str = Field(sa_column=Column(String(30), primary_key=True))
    sex: str = Field(sa_column=Column(String(10), primary_key=True))
    base_age: int
    source: str = Field(sa_column=Column(String(300), nullable=False))


class PoolApplication(StaffingBase, table=True):
    """A unit's request for posts from the pool (申请), and its decision."""

    __tablename__ = "pool_applications"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    unit_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("units.id", ondelete="RESTRICT"), nullable=False, index=True)
    )
    quota_type: str = Field(sa_column=Column(String(20), nullable=False))
    lender_district_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(ForeignKey("units.id", ondelete="RESTRICT"), nullable=True, index=True),
    )
    referred_by: str | None = Field(default=None, sa_column=Column(String(120), nullable=True))
    requested: int
    reason_kind: str = Field(sa_column=Column(String(40), nullable=False))
    reason: str = Field(sa_column=Column(Text, nullable=False))
    term_years: int
    forecast_attrition: int
    status: str = Field(sa_column=Column(String(20), nullable=False, index=True))
    granted: int = 0
    decision_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    decided_by: str | None = Field(default=None, sa_column=Column(String(120), nullable=True))
    decided_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    submitted_by: str = Field(sa_column=Column(String(120), nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class Loan(StaffingBase, table=True):
    """Posts lent from the pool to a unit (借用), repaid as its staff leave (有借有还)."""

    __tablename__ = "loans"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    application_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(ForeignKey("pool_applications.id", ondelete="RESTRICT"), nullable=True),
    )
    unit_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("units.id", ondelete="RESTRICT"), nullable=False, index=True)
    )
    quota_type: str = Field(sa_column=Column(String(20), nullable=False))
    lender_district_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(ForeignKey("units.id", ondelete="RESTRICT"), nullable=True, index=True),
    )
    granted: int
    outstanding: int
    due_date: date = Field(sa_column=Column(Date, nullable=False, index=True))
    document_no: str | None = Field(default=None, sa_column=Column(String(80), nullable=True))
    overdue_announced_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    falling_due_announced_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    repaid_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )

    # The one overdue rule (逾期: posts still owed after the due date), in Python and in SQL.
    def is_overdue(self, today: date) -> bool:
        """Whether the loan still owes posts after its due date."""
        return self.outstanding > 0 and self.due_date < today

    @classmethod
    def overdue_on(cls, today: date) -> ColumnElement[bool]:
        """`is_overdue` as a SQL clause, for queries over many loans."""
        return and_(col(cls.outstanding) > 0, col(cls.due_date) < today)


class Reservation(StaffingBase, table=True):
    """Posts held at a unit for one talent posting, all or nothing."""

    __tablename__ = "reservations"

    posting_id: uuid.UUID = Field(primary_key=True)
    unit_id: uuid.UUID = Field(sa_column=Column(Uuid, nullable=False, index=True))
    quota_type: str = Field(sa_column=Column(String(20), nullable=False))
    requested: int
    held: int = 0
    filled: int = 0
    status: str = Field(sa_column=Column(String(20), nullable=False))
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    #: The posting's opening attempt this answers; a reopened posting asks again with +1.
    attempt: int = Field(default=1, sa_column=Column(Integer, nullable=False, server_default="1"))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class StaffColumns(StaffingBase):
    """A person's columns as a plain model, `Staff`'s fields without the table: a hire on
    PostgreSQL writes the person with a statement of its own (`roster.repository.hiring`), so
    nothing needs the ORM's instrumented instance, which costs several times this to build."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    unit_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("units.id", ondelete="RESTRICT"), nullable=False, index=True)
    )
    quota_type: str = Field(sa_column=Column(String(20), nullable=False))
    name: str = Field(sa_column=Column(String(80), nullable=False))
    sex: str = Field(sa_column=Column(String(10), nullable=False))
    birth_date: date = Field(sa_column=Column(Date, nullable=False))
    hire_date: date = Field(sa_column=Column(Date, nullable=False))
    subject: str | None = Field(default=None, sa_column=Column(String(40), nullable=True))
    stage: str | None = Field(default=None, sa_column=Column(String(20), nullable=True))
    title: str | None = Field(default=None, sa_column=Column(String(40), nullable=True))
    post_category: str = Field(
        default="professional",
        sa_column=Column(String(30), nullable=False, server_default="professional"),
    )
    status: str = Field(sa_column=Column(String(20), nullable=False, index=True))
    left_on: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    posting_id: uuid.UUID | None = Field(default=None, sa_column=Column(Uuid, nullable=True))
    talent_application_id: uuid.UUID | None = Field(
        default=None, sa_column=Column(Uuid, nullable=True, unique=True)
    )
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class Staff(StaffColumns, table=True):
    """One person on a unit's real-name roster (实名制)."""

    __tablename__ = "staff"


class StaffTitle(StaffingBase, table=True):
    """A title (职称) a person holds from a date, until the next row of their history."""

    __tablename__ = "staff_titles"

    staff_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True)
    )
    effective_from: date = Field(sa_column=Column(Date, primary_key=True))
    title: str = Field(sa_column=Column(String(40), nullable=False))
    document_no: str | None = Field(default=None, sa_column=Column(String(80), nullable=True))
    recorded_by: str = Field(sa_column=Column(String(120), nullable=False))
    recorded_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class HireRefusal(StaffingBase, table=True):
    """A hire from talent that staffing could not record, with its reason (one per attempt)."""

    __tablename__ = "hire_refusals"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    application_id: uuid.UUID = Field(sa_column=Column(Uuid, nullable=False, index=True))
    posting_id: uuid.UUID = Field(sa_column=Column(Uuid, nullable=False, index=True))
    code: str = Field(sa_column=Column(String(30), nullable=False))
    reason: str = Field(sa_column=Column(Text, nullable=False))
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class LedgerEntry(StaffingBase, table=True):
    """One movement of one balance: the audit trail every balance is recomputed from."""

    __tablename__ = "ledger_entries"
    __table_args__ = (Index("ix_ledger_entries_unit_account", "unit_id", "quota_type", "account"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(sa_column=Column(String(30), nullable=False, index=True))
    unit_id: uuid.UUID | None = Field(default=None, sa_column=Column(Uuid, nullable=True))
    quota_type: str = Field(sa_column=Column(String(20), nullable=False))
    account: str = Field(sa_column=Column(String(20), nullable=False))
    delta: int
    balance_after: int
    actor: str = Field(sa_column=Column(String(120), nullable=False))
    document_no: str | None = Field(default=None, sa_column=Column(String(80), nullable=True))
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    correlation_id: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True)
    )


class LibraryMember(StaffingBase, table=True):
    """A teacher listed in sharing's library, as sharing's events tell it (for reports)."""

    __tablename__ = "library_members"

    teacher_id: uuid.UUID = Field(primary_key=True)
    unit_id: uuid.UUID = Field(sa_column=Column(Uuid, nullable=False))
    listed: bool = True
    changed_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class SettledPeriods(StaffingBase, table=True):
    """A teacher's settled shared periods and their pay of one month, from sharing's events."""

    __tablename__ = "settled_periods"

    settlement_id: uuid.UUID = Field(primary_key=True)
    home_unit_id: uuid.UUID = Field(sa_column=Column(Uuid, nullable=False, index=True))
    month: str = Field(sa_column=Column(String(7), nullable=False, index=True))
    periods: int
    total_cents: int


class MonthlyReport(StaffingBase, table=True):
    """Leadership's monthly snapshot of the city (no district) or one district (月报)."""

    __tablename__ = "monthly_reports"

    month: date = Field(sa_column=Column(Date, primary_key=True))
    scope: str = Field(sa_column=Column(String(60), primary_key=True))
    district_id: uuid.UUID | None = Field(default=None, sa_column=Column(Uuid, nullable=True))
    approved: int
    occupied: int
    vacant: int
    required: int
    shortage: int
    loans_out: int
    loans_overdue: int
    pool_balance: int
    library_size: int
    library_by_subject: dict[str, int] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    periods_taught: int
    period_pay_cents: int
    hires_via_talent: int
    taken_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
