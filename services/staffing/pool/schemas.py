"""Request and response models of the pool, its applications and its loans."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.staffing.quotas.schemas import DocumentNo, QuotaType, Reason

ReasonKind = Literal["new_school", "enrolment_growth", "subject_shortage", "high_level_talent"]


class PoolPublic(BaseModel):
    """A pool's balance and what it has lent."""

    quota_type: str
    balance: int
    lent_outstanding: int
    overdue_loans: int
    pending_applications: int


class DistrictPoolPublic(PoolPublic):
    """A district's own pool: its balance and what it has lent to its schools."""

    district_id: uuid.UUID
    district_name: str


class DistrictPoolsPublic(BaseModel):
    data: list[DistrictPoolPublic]


class ReferralCreate(BaseModel):
    """Pass a pending application on from the district's pool to the city's (上报市级周转池)."""

    model_config = ConfigDict(extra="forbid")

    reason: Reason


class DepositCreate(BaseModel):
    """Move a unit's vacant posts into the pool (收储)."""

    model_config = ConfigDict(extra="forbid")

    unit_id: uuid.UUID
    count: int = Field(ge=1, le=10_000)
    document_no: DocumentNo
    reason: Reason


class DepositPublic(BaseModel):
    unit_id: uuid.UUID
    quota_type: str
    count: int
    pool_balance: int
    unit_approved: int


class ApplicationCreate(BaseModel):
    """A unit asks the pool for posts for a term of 3 to 5 years (申请)."""

    model_config = ConfigDict(extra="forbid")

    unit_id: uuid.UUID
    quota_type: QuotaType = "bianzhi"
    requested: int = Field(ge=1, le=10_000)
    reason_kind: ReasonKind
    reason: Reason
    term_years: int = Field(ge=3, le=5)
    pool: Literal["district", "city"] | None = Field(
        default=None,
        description="the pool asked: the unit's district's when it pools the type, else the city's",
    )


class ApplicationPublic(BaseModel):
    """An application, with the unit's forecast natural attrition (自然减员) over its term."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    unit_id: uuid.UUID
    quota_type: str
    requested: int
    reason_kind: str
    reason: str
    term_years: int
    forecast_attrition: int
    lender_district_id: uuid.UUID | None
    referred_by: str | None
    status: str
    granted: int
    decision_reason: str | None
    decided_by: str | None
    decided_at: datetime | None
    submitted_by: str
    created_at: datetime


class DecisionCreate(BaseModel):
    """Approve in full or in part (`granted` below `requested`), or reject; always with a reason."""

    model_config = ConfigDict(extra="forbid")

    outcome: Literal["approve", "reject"]
    granted: int | None = Field(default=None, ge=1, le=10_000)
    reason: Reason
    document_no: DocumentNo | None = None
    due_date: date | None = None

    @model_validator(mode="after")
    def _reject_grants_nothing(self) -> DecisionCreate:
        if self.outcome == "reject" and self.granted is not None:
            raise ValueError("a rejection grants nothing: leave granted out")
        return self


class LoanPublic(BaseModel):
    """Posts lent to a unit, what is still owed, and whether it is overdue."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    application_id: uuid.UUID | None
    unit_id: uuid.UUID
    quota_type: str
    lender_district_id: uuid.UUID | None
    granted: int
    outstanding: int
    due_date: date
    document_no: str | None
    overdue: bool
    overdue_announced_at: datetime | None
    repaid_at: datetime | None
    created_at: datetime


class DecisionPublic(BaseModel):
    application: ApplicationPublic
    loan: LoanPublic | None = None


class RepaymentCreate(BaseModel):
    """Repay posts of a loan early, from the unit's vacant posts (提前归还)."""

    model_config = ConfigDict(extra="forbid")

    count: int = Field(ge=1, le=10_000)
    document_no: DocumentNo
    reason: Reason = "early repayment"
