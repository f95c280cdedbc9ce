"""Events that the staffing service publishes (stream STAFFING, subjects staffing.>)."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import Field

from contracts.base import Event, event_model

UnitKind = Literal["district", "school"]


class UnitFacts(Event):
    """What other services may know of a unit (a district or a school)."""

    unit_id: uuid.UUID
    kind: UnitKind
    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=120)
    district_id: uuid.UUID | None = None
    stages: list[str] = Field(default_factory=list)
    lat: float | None = None
    lon: float | None = None


@event_model("staffing.unit.registered")
class UnitRegistered(UnitFacts):
    """A district or a school was registered."""


@event_model("staffing.unit.updated")
class UnitUpdated(UnitFacts):
    """A unit's name, stages or location changed."""
