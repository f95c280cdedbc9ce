"""Request and response models of quotas and their adjustments."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

QuotaType = Annotated[
    str,
    Field(
        min_length=1,
        max_length=20,
        pattern=r"^[a-z_]+$",
        description="bianzhi (编制), yuan_e (员额), control (控制数) or another type",
    ),
]
DocumentNo = Annotated[str, Field(min_length=1, max_length=80)]
Reason = Annotated[str, Field(min_length=1, max_length=500)]


class QuotaPublic(BaseModel):
    """A unit's posts of one quota type."""

    model_config = ConfigDict(from_attributes=True)

    unit_id: uuid.UUID
    quota_type: str
    approved: int
    occupied: int
    reserved: int
    vacant: int
    borrowed: int


class AdjustmentCreate(BaseModel):
    """Raise (核增, delta > 0) or cut (核减, delta < 0) a unit's approved posts."""

    model_config = ConfigDict(extra="forbid")

    quota_type: QuotaType
    delta: int = Field(ge=-10_000, le=10_000)
    document_no: DocumentNo
    reason: Reason

    @field_validator("delta")
    @classmethod
    def _not_zero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("an adjustment changes the posts: delta may not be 0")
        return value


class LedgerEntryPublic(BaseModel):
    """One movement of one balance."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    unit_id: uuid.UUID | None
    quota_type: str
    account: str
    delta: int
    balance_after: int
    actor: str
    document_no: str | None
    reason: str | None
    correlation_id: str
    at: datetime
