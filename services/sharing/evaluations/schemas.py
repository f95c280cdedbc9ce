"""Request and response models of evaluations (考核评价)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Score = Annotated[int, Field(ge=1, le=5)]
Comment = Annotated[str, Field(max_length=500)]


class FormItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,30}$")
    zh: str = Field(min_length=1, max_length=40)
    en: str = Field(min_length=1, max_length=80)


class FormCreate(BaseModel):
    """A new version of the form; it replaces the one in use."""

    model_config = ConfigDict(extra="forbid")

    items: list[FormItem] = Field(min_length=1, max_length=12)
    source: str = Field(min_length=1, max_length=200)


class FormPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    items: list[FormItem]
    active: bool
    source: str
    created_at: datetime


class EvaluationCreate(BaseModel):
    """The host school's scores (1-5) and comments on each item of the form in use."""

    model_config = ConfigDict(extra="forbid")

    period: str = Field(
        min_length=1, max_length=40, description='"final", or the id of a school term that ended'
    )
    scores: dict[str, Score]
    comments: dict[str, Comment] = Field(default_factory=dict)


class ResponseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    response: str = Field(min_length=1, max_length=1000)


class EvaluationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    assignment_id: uuid.UUID
    form_id: uuid.UUID
    teacher_id: uuid.UUID
    home_unit_id: uuid.UUID
    host_unit_id: uuid.UUID
    #: The host school by name, for the home school and the teacher, who cannot look it up.
    host_unit_name: str | None = None
    period: str
    scores: dict[str, int]
    comments: dict[str, str]
    mean: float
    response: str | None
    responded_at: datetime | None
    created_by: str
    created_at: datetime


class EvaluationsPage(BaseModel):
    data: list[EvaluationPublic]
    next_cursor: str | None = None


class ReportQuery(BaseModel):
    since: date
    until: date
