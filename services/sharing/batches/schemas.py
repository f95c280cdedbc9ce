"""Request and response models of batch matching."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class BatchCreate(BaseModel):
    """Match every open request of a term at once (a district's, or the city's)."""

    model_config = ConfigDict(extra="forbid")

    term_start: date
    term_end: date
    district_id: uuid.UUID | None = None
    time_limit_seconds: float | None = Field(default=None, gt=0, le=300)


class ProposalPublic(BaseModel):
    request_id: uuid.UUID
    teacher_id: uuid.UUID
    periods: int
    distance_km: float | None


class BatchPublic(BaseModel):
    """A proposal HR reviews; `figures` compares it with greedy first-come matching."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    district_id: uuid.UUID | None
    term_start: date
    term_end: date
    status: str
    proposals: list[ProposalPublic]
    figures: dict[str, Any]
    created_by: str
    created_at: datetime


class BatchOffersPublic(BaseModel):
    """Offers made from a proposal, and proposals that no longer held."""

    batch_id: uuid.UUID
    offer_ids: list[uuid.UUID]
    skipped: list[dict[str, Any]]
