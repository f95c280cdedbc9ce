"""Value types shared by the sharing API: modes, subjects and timetable slots."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from services.sharing.timetable import PERIODS, WEEKDAYS

Mode = Literal["in_person", "online", "rotation"]
Subject = Annotated[str, Field(min_length=1, max_length=20)]
Weekday = Annotated[int, Field(ge=1, le=WEEKDAYS)]
Period = Annotated[int, Field(ge=1, le=PERIODS)]
Slot = tuple[Weekday, Period]
SlotList = Annotated[list[Slot], Field(max_length=WEEKDAYS * PERIODS)]
Reason = Annotated[str, Field(min_length=1, max_length=500)]
