"""Request and response models of retirement rules and of who is due to retire."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

PostCategory = Literal["professional", "senior_professional", "management", "worker"]


class RetirementRulePublic(BaseModel):
    """One row of a dated rule: the age for one group of birth months (出生时间 → 退休年龄)."""

    model_config = ConfigDict(from_attributes=True)

    effective_from: date
    sex: str
    base_age: int
    born_from: date
    born_until: date | None
    age_months: int
    source: str


class RetirementBasePublic(BaseModel):
    """The base retirement age (原法定退休年龄) of a post category and sex."""

    model_config = ConfigDict(from_attributes=True)

    post_category: str
    sex: str
    base_age: int
    source: str


class RetirementRulesPublic(BaseModel):
    bases: list[RetirementBasePublic]
    rules: list[RetirementRulePublic]


class RetirementPublic(BaseModel):
    """When a person of this sex, post category and birth date reaches the statutory age."""

    base_age: int
    age_months: int
    age_years: int
    age_extra_months: int
    retires_on: date
    effective_from: date
    source: str
    base_source: str


class RetirementDue(BaseModel):
    """A person due to retire (预计退休), with the rule that sets the date."""

    staff_id: uuid.UUID
    name: str
    unit_id: uuid.UUID
    unit_name: str
    sex: str
    birth_date: date
    post_category: str
    subject: str | None
    title: str | None
    quota_type: str
    retirement: RetirementPublic


class RetirementsDue(BaseModel):
    until: date
    count: int
    data: list[RetirementDue]
