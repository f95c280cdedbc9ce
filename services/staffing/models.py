"""Tables of the staffing service."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from sqlalchemy import JSON, Column, ForeignKey, String
from sqlmodel import Field

from common.db import UTCDateTime, utcnow
from common.models import messaging_tables, new_base
from common.outbox import Outbox

StaffingBase = new_base("StaffingBase")
messaging = messaging_tables(StaffingBase.metadata)
outbox = Outbox(messaging.outbox, service="staffing")

UnitKind = Literal["district", "school"]


class Unit(StaffingBase, table=True):  # type: ignore[call-arg]
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
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class Enrolment(StaffingBase, table=True):  # type: ignore[call-arg]
    """Pupils of one stage at one school in one school year, counted or forecast."""

    __tablename__ = "enrolments"

    unit_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("units.id", ondelete="CASCADE"), primary_key=True)
    )
    school_year: int = Field(primary_key=True, ge=2000, le=2100)
    stage: str = Field(sa_column=Column(String(20), primary_key=True))
    pupils: int = Field(ge=0)
    forecast: bool = False
