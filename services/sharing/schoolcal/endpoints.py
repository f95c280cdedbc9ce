"""HTTP for the school calendar: statutory days and 调休 working days, terms, districts' days off,
the xlsx import, and the school days a district sees."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Body
from fastapi import status as http

from common.clock import local_today
from common.deps import CurrentPrincipal, SessionDep
from common.errors import InvalidInput
from common.spreadsheets import UploadLimits, WorkbookTooLarge
from services.sharing.schoolcal import repository, service
from services.sharing.schoolcal.schemas import (
    CalendarChange,
    CalendarDayPublic,
    CalendarDayPut,
    DayOffPublic,
    DayOffPut,
    ImportReport,
    SchoolDay,
    TermCreate,
    TermPublic,
)

router = APIRouter(prefix="/v1/calendar", tags=["calendar"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: A calendar sheet is a few hundred rows: these bounds refuse anything far larger.
IMPORT_MAX_BYTES = 2 * 1024 * 1024
IMPORT_LIMITS = UploadLimits(max_uncompressed_bytes=20 * 1024 * 1024, max_sheets=5, max_rows=2_000)
#: The longest span of school days one call lists.
MAX_SPAN_DAYS = 400


@router.get("/days", response_model=list[CalendarDayPublic])
async def list_days(
    session: SessionDep, principal: CurrentPrincipal, year: int | None = None
) -> list[CalendarDayPublic]:
    """Statutory days off and 调休 working days, of one calendar year or all."""
    first, last = (date(year, 1, 1), date(year, 12, 31)) if year else (date.min, date.max)
    rows = await repository.days_between(session, first, last)
    return [CalendarDayPublic.model_validate(r) for r in rows]


@router.put("/days/{day}", response_model=CalendarChange)
async def put_day(
    day: date, body: CalendarDayPut, session: SessionDep, principal: CurrentPrincipal
) -> CalendarChange:
    """City HR sets a day off or a 调休 working day; future lessons are generated again."""
    _, change = await service.put_day(session, principal, day, body, local_today())
    return change


@router.delete("/days/{day}", response_model=CalendarChange)
async def delete_day(day: date, session: SessionDep, principal: CurrentPrincipal) -> CalendarChange:
    return await service.delete_day(session, principal, day, local_today())


@router.post("/import", response_model=ImportReport)
async def import_days(
    session: SessionDep,
    principal: CurrentPrincipal,
    content: Annotated[bytes, Body(media_type=XLSX)],
) -> ImportReport:
    """Import days from an xlsx sheet: 日期 | 类型 (放假/上班) | 名称 | 按星期几上课 | 依据.
    Every row, or none with each problem named."""
    if len(content) > IMPORT_MAX_BYTES:
        raise WorkbookTooLarge(f"the workbook is over {IMPORT_MAX_BYTES:,} bytes")
    count, change = await service.import_days(
        session, principal, content, IMPORT_LIMITS, local_today()
    )
    return ImportReport(days_imported=count, **change.model_dump())


@router.get("/terms", response_model=list[TermPublic])
async def list_terms(session: SessionDep, principal: CurrentPrincipal) -> list[TermPublic]:
    return [TermPublic.model_validate(t) for t in await repository.terms(session)]


@router.post("/terms", status_code=http.HTTP_201_CREATED, response_model=CalendarChange)
async def add_term(
    body: TermCreate, session: SessionDep, principal: CurrentPrincipal
) -> CalendarChange:
    """City HR adds a term; once any term is set, lessons fall only inside terms."""
    _, change = await service.add_term(session, principal, body, local_today())
    return change


@router.delete("/terms/{term_id}", response_model=CalendarChange)
async def delete_term(
    term_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> CalendarChange:
    return await service.delete_term(session, principal, term_id, local_today())


@router.get("/districts/{district_id}/days-off", response_model=list[DayOffPublic])
async def list_days_off(
    district_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> list[DayOffPublic]:
    rows = await repository.days_off_between(session, district_id, date.min, date.max)
    return [DayOffPublic.model_validate(r) for r in rows]


@router.put("/districts/{district_id}/days-off/{day}", response_model=CalendarChange)
async def put_day_off(
    district_id: uuid.UUID,
    day: date,
    body: DayOffPut,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> CalendarChange:
    """A district adds a local day off; the lessons its schools host that day are dropped."""
    _, change = await service.put_day_off(session, principal, district_id, day, body, local_today())
    return change


@router.delete("/districts/{district_id}/days-off/{day}", response_model=CalendarChange)
async def delete_day_off(
    district_id: uuid.UUID, day: date, session: SessionDep, principal: CurrentPrincipal
) -> CalendarChange:
    return await service.delete_day_off(session, principal, district_id, day, local_today())


@router.get("/school-days", response_model=list[SchoolDay])
async def school_days(
    since: date,
    until: date,
    session: SessionDep,
    principal: CurrentPrincipal,
    district_id: uuid.UUID | None = None,
) -> list[SchoolDay]:
    """The school days between two dates as a district sees them, with the timetable each runs."""
    if until < since or until - since > timedelta(days=MAX_SPAN_DAYS):
        raise InvalidInput.field("query.until", f"from since, at most {MAX_SPAN_DAYS} days on")
    calendar = await service.calendar_for(session, district_id, since, until)
    return [SchoolDay(day=d, timetable_weekday=w) for d, w in calendar.school_days(since, until)]
