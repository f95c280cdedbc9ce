"""Request and response models of the acts on a school's life."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.staffing.quotas.schemas import DocumentNo, QuotaType, Reason
from services.staffing.units.schemas import UnitBase, UnitPublic

PlanSource = Literal["adjustment", "district_pool", "city_pool"]


class PlanLine(BaseModel):
    """Posts of one quota type for the new school, and where they come from: a raise by the
    staffing commission (核增), or a grant from the district's or the city's pool (划拨)."""

    model_config = ConfigDict(extra="forbid")

    quota_type: QuotaType = "bianzhi"
    posts: int = Field(ge=1, le=10_000)
    source: PlanSource = "adjustment"


class OpeningCreate(UnitBase):
    """Open a school with its staffing plan (新开校); no `district_id` for a city-direct school."""

    model_config = ConfigDict(extra="forbid")

    district_id: uuid.UUID | None = None
    document_no: DocumentNo
    reason: Reason
    opened_on: date | None = None
    plan: list[PlanLine] = Field(default_factory=list, max_length=10)

    @model_validator(mode="after")
    def _teaches_and_plans_once(self) -> OpeningCreate:
        if not self.stages:
            raise ValueError("a school teaches at least one stage")
        types = [line.quota_type for line in self.plan]
        if len(types) != len(set(types)):
            raise ValueError("one plan line per quota type")
        return self


class MergerCreate(BaseModel):
    """Merge this school into `into_unit_id` (合并): posts, staff and loans move to it."""

    model_config = ConfigDict(extra="forbid")

    into_unit_id: uuid.UUID
    document_no: DocumentNo
    reason: Reason
    merged_on: date | None = None


class StaffMove(BaseModel):
    model_config = ConfigDict(extra="forbid")

    staff_id: uuid.UUID
    to_unit_id: uuid.UUID


class ClosureCreate(BaseModel):
    """Close this school (撤销): every active person moves by the list; the posts left go back to
    the district's pool (or the city's, where the district runs none or for a city-direct one)."""

    model_config = ConfigDict(extra="forbid")

    document_no: DocumentNo
    reason: Reason
    closed_on: date | None = None
    transfers: list[StaffMove] = Field(default_factory=list, max_length=5000)


class UnitActPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    unit_id: uuid.UUID
    other_unit_id: uuid.UUID | None
    district_id: uuid.UUID | None
    document_no: str
    reason: str
    effective_on: date
    details: dict[str, object]
    actor: str
    correlation_id: str
    at: datetime


class ActResult(BaseModel):
    """The act on record and the school as it now stands."""

    act: UnitActPublic
    unit: UnitPublic
