"""FastAPI dependencies of the sharing service: the school day and the matching index (async:
FastAPI would run a plain function in a worker thread on every request)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.sharing.matching.index import TeacherIndex
from services.sharing.settings import SharingSettings
from services.sharing.timetable import SchoolDay


def school_day(settings: SharingSettings) -> SchoolDay:
    """The bell schedule and travel speed from the settings."""
    return SchoolDay(
        period_minutes=settings.period_minutes,
        break_minutes=settings.break_minutes,
        lunch_after_period=settings.lunch_after_period,
        lunch_minutes=settings.lunch_minutes,
        speed_kmh=settings.travel_speed_kmh,
        buffer_minutes=settings.travel_buffer_minutes,
    )


async def get_settings(request: Request) -> SharingSettings:
    return request.app.state.settings


async def get_school_day(request: Request) -> SchoolDay:
    return request.app.state.school_day


async def get_index(request: Request) -> TeacherIndex:
    return request.app.state.index


SettingsDep = Annotated[SharingSettings, Depends(get_settings)]
SchoolDayDep = Annotated[SchoolDay, Depends(get_school_day)]
IndexDep = Annotated[TeacherIndex, Depends(get_index)]
