"""Value types shared by the sharing API: modes and timetable slots; stages and subjects are the
shared vocabulary's."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from contracts.vocabulary import Stage, Subject
from services.sharing.timetable import PERIODS, WEEKDAYS

__all__ = ["Mode", "Period", "Reason", "Slot", "SlotList", "Stage", "Subject", "Weekday"]

Mode = Literal["in_person", "online", "rotation"]
Weekday = Annotated[int, Field(ge=1, le=WEEKDAYS)]
Period = Annotated[int, Field(ge=1, le=PERIODS)]
Slot = tuple[Weekday, Period]
SlotList = Annotated[list[Slot], Field(max_length=WEEKDAYS * PERIODS)]
Reason = Annotated[str, Field(min_length=1, max_length=500)]
