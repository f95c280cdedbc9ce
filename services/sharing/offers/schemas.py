"""Request and response models of offers."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, model_validator

from services.sharing.types import Reason


class OfferCreate(BaseModel):
    """HR offers the request to a teacher."""

    model_config = ConfigDict(extra="forbid")

    teacher_id: uuid.UUID
    note: Reason | None = None


class ConsentCreate(BaseModel):
    """The home school's answer (派出学校同意); a refusal says why."""

    model_config = ConfigDict(extra="forbid")

    consent: bool
    reason: Reason | None = None

    @model_validator(mode="after")
    def _refusal_needs_reason(self) -> ConsentCreate:
        if not self.consent and not self.reason:
            raise ValueError("a refusal needs a reason")
        return self


class DeclineCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason | None = None


class OfferPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    request_id: uuid.UUID
    teacher_id: uuid.UUID
    home_unit_id: uuid.UUID
    host_unit_id: uuid.UUID
    status: str
    expires_at: datetime
    note: str | None
    batch_id: uuid.UUID | None
    created_by: str
    created_at: datetime
    #: The host school's name as staffing announced it, so a teacher (who may not read another
    #: school's record) sees where the offer would send them; None until the unit is known.
    host_unit_name: str | None = None


class AcceptedPublic(BaseModel):
    """The accepted offer and the assignment it started."""

    offer: OfferPublic
    assignment_id: uuid.UUID
