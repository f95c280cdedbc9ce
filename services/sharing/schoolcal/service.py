"""Rules of the school calendar: which days are school days, and what a change does to lessons.

A day is a school day when it lies inside a term (once city HR has set any), is not a statutory
day off nor a day off of the host's district, and is a weekday, or a weekend day worked (调休上班),
which follows the timetable of the weekday it gives back. When the calendar changes, every active
assignment's future lessons are generated again and the teacher and host school are told.
"""

from __future__ import annotations

import io
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.db import utcnow
from common.errors import AlreadyTaken, Forbidden, InvalidInput, NotFound
from common.spreadsheets import UploadLimits, bounded_rows, check_upload
from contracts.sharing import LessonsRescheduled
from services.sharing.access import is_hr_for
from services.sharing.models import (
    Assignment,
    CalendarDay,
    DistrictDayOff,
    Lesson,
    SchoolTerm,
    Unit,
    outbox,
)
from services.sharing.schoolcal import repository
from services.sharing.schoolcal.schemas import CalendarChange, CalendarDayPut, DayOffPut, TermCreate
from services.sharing.timetable import slots_of

#: Spreadsheet words for the kinds of day, as city HR types them.
KIND_WORDS = {
    "holiday": "holiday",
    "workday": "workday",
    "放假": "holiday",
    "休息": "holiday",
    "节假日": "holiday",
    "上班": "workday",
    "调休上班": "workday",
    "补班": "workday",
}
#: Headers of the import sheet, in order.
IMPORT_HEADERS = ("日期", "类型", "名称", "按星期几上课", "依据")


@dataclass(slots=True)
class SchoolCalendar:
    """The calendar one host district sees over a span of dates."""

    days: dict[date, tuple[str, int | None]] = field(default_factory=dict)
    off: set[date] = field(default_factory=set)
    terms: list[tuple[date, date]] = field(default_factory=list)

    def timetable_weekday(self, day: date) -> int | None:
        """The weekday (1-5) whose timetable runs on `day`; None when it is not a school day."""
        if self.terms and not any(first <= day <= last for first, last in self.terms):
            return None
        if day in self.off:
            return None
        entry = self.days.get(day)
        if entry is not None:
            kind, follows = entry
            return follows if kind == "workday" else None
        weekday = day.isoweekday()
        return weekday if weekday <= 5 else None

    def school_days(self, first: date, last: date) -> list[tuple[date, int]]:
        found, day = [], first
        while day <= last:
            weekday = self.timetable_weekday(day)
            if weekday is not None:
                found.append((day, weekday))
            day += timedelta(days=1)
        return found


async def calendar_for(
    session: AsyncSession, district_id: uuid.UUID | None, first: date, last: date
) -> SchoolCalendar:
    days = await repository.days_between(session, first, last)
    off = await repository.days_off_between(session, district_id, first, last)
    terms = await repository.terms(session)
    return SchoolCalendar(
        days={d.day: (d.kind, d.follows_weekday) for d in days},
        off={d.day for d in off},
        terms=[(t.starts_on, t.ends_on) for t in terms],
    )


def planned(assignment: Assignment, calendar: SchoolCalendar, after: date) -> set[tuple[date, int]]:
    """The (day, period) lessons the assignment should have after `after`."""
    by_weekday: dict[int, list[int]] = defaultdict(list)
    for weekday, period in slots_of(assignment.slot_mask):
        by_weekday[weekday].append(period)
    first = max(assignment.starts_on, after + timedelta(days=1))
    return {
        (day, period)
        for day, weekday in calendar.school_days(first, assignment.ends_on)
        for period in by_weekday.get(weekday, ())
    }


def new_lesson(assignment: Assignment, day: date, period: int) -> Lesson:
    return Lesson(
        assignment_id=assignment.id,
        teacher_id=assignment.teacher_id,
        home_unit_id=assignment.home_unit_id,
        host_unit_id=assignment.host_unit_id,
        taught_on=day,
        period=period,
        status="scheduled",
    )


async def reschedule(
    session: AsyncSession, assignment: Assignment, after: date, reason: str
) -> tuple[int, int]:
    """Bring the assignment's lessons after `after` in line with the calendar.

    Lessons already given, confirmed or disputed stay as they are; a scheduled lesson on a day
    that is no longer a school day is cancelled; a new school day gets its lessons (a cancelled
    one on that day and period comes back). Returns (added, removed).
    """
    calendar = await calendar_for(session, assignment.host_district_id, after, assignment.ends_on)
    # A lesson moved by agreement (调课) keeps its new day; its old slot stays free.
    moved_away = {
        (x.moved_from, x.moved_from_period)
        for x in await repository.moved_lessons(session, assignment.id)
    }
    wanted = planned(assignment, calendar, after) - moved_away
    lessons = await repository.lessons_after(session, assignment.id, after)
    existing = {(x.taught_on, x.period): x for x in lessons}
    added: set[date] = set()
    removed: set[date] = set()
    for key, lesson in existing.items():
        if key not in wanted and lesson.status == "scheduled" and lesson.moved_from is None:
            lesson.status = "cancelled"
            lesson.updated_at = utcnow()
            removed.add(key[0])
        elif key in wanted and lesson.status == "cancelled":
            lesson.status = "scheduled"
            lesson.updated_at = utcnow()
            added.add(key[0])
    for day, period in sorted(wanted - existing.keys()):
        session.add(new_lesson(assignment, day, period))
        added.add(day)
    await session.flush()
    if added or removed:
        await outbox.add(
            session,
            LessonsRescheduled(
                assignment_id=assignment.id,
                teacher_id=assignment.teacher_id,
                home_unit_id=assignment.home_unit_id,
                host_unit_id=assignment.host_unit_id,
                added=sorted(added),
                removed=sorted(removed),
                reason=reason,
            ),
            subject=str(assignment.id),
        )
    return len(added), len(removed)


async def reschedule_all(
    session: AsyncSession, today: date, reason: str, district_id: uuid.UUID | None = None
) -> CalendarChange:
    """Regenerate the future lessons of every active assignment (of one host district)."""
    touched = added = removed = 0
    for assignment in await repository.active_after(session, today, district_id):
        plus, minus = await reschedule(session, assignment, today, reason)
        touched += bool(plus or minus)
        added += plus
        removed += minus
    return CalendarChange(
        assignments_rescheduled=touched, lessons_added=added, lessons_removed=removed
    )


def require_city_hr(principal: Principal) -> None:
    if principal.role != "city_hr":
        raise Forbidden("only city HR maintains the school calendar")


async def put_day(
    session: AsyncSession, principal: Principal, day: date, data: CalendarDayPut, today: date
) -> tuple[CalendarDay, CalendarChange]:
    """City HR sets a statutory day off or a 调休 working day; future lessons follow."""
    require_city_hr(principal)
    row = await session.get(CalendarDay, day)
    if data.kind == "workday" and day.isoweekday() <= 5:
        raise InvalidInput.field("body.kind", f"{day} is a weekday: it is a school day already")
    if row is None:
        row = CalendarDay(day=day, **data.model_dump(), updated_by=principal.sub)
        session.add(row)
    else:
        for name, value in data.model_dump().items():
            setattr(row, name, value)
        row.updated_by = principal.sub
        row.updated_at = utcnow()
    await session.flush()
    change = await reschedule_all(session, today, f"校历调整：{day} {data.name}")
    return row, change


async def delete_day(
    session: AsyncSession, principal: Principal, day: date, today: date
) -> CalendarChange:
    require_city_hr(principal)
    row = await session.get(CalendarDay, day)
    if row is None:
        raise NotFound(f"{day} is not in the calendar")
    await session.delete(row)
    await session.flush()
    return await reschedule_all(session, today, f"校历调整：{day} {row.name} 取消")


async def add_term(
    session: AsyncSession, principal: Principal, data: TermCreate, today: date
) -> tuple[SchoolTerm, CalendarChange]:
    require_city_hr(principal)
    for other in await repository.terms(session):
        if other.school_year == data.school_year and other.name == data.name:
            raise AlreadyTaken(
                "body.name", f"{data.school_year} already has a term named {data.name}"
            )
        if other.starts_on <= data.ends_on and data.starts_on <= other.ends_on:
            raise InvalidInput.field("body.starts_on", f"overlaps {other.school_year} {other.name}")
    term = SchoolTerm(**data.model_dump(), updated_by=principal.sub)
    session.add(term)
    await session.flush()
    change = await reschedule_all(session, today, f"校历调整：{data.school_year} {data.name}")
    return term, change


async def delete_term(
    session: AsyncSession, principal: Principal, term_id: uuid.UUID, today: date
) -> CalendarChange:
    require_city_hr(principal)
    term = await session.get(SchoolTerm, term_id)
    if term is None:
        raise NotFound("no such term")
    await session.delete(term)
    await session.flush()
    return await reschedule_all(session, today, f"校历调整：{term.school_year} {term.name} 删除")


async def district_of(session: AsyncSession, principal: Principal, district_id: uuid.UUID) -> Unit:
    district = await session.get(Unit, district_id)
    if district is None or district.kind != "district":
        raise NotFound("no such district")
    if not is_hr_for(principal, district.id, district.id):
        raise Forbidden("only the district's HR (or city HR) sets its days off")
    return district


async def put_day_off(
    session: AsyncSession,
    principal: Principal,
    district_id: uuid.UUID,
    day: date,
    data: DayOffPut,
    today: date,
) -> tuple[DistrictDayOff, CalendarChange]:
    """A district adds a local day off; its hosted lessons that day are cancelled."""
    await district_of(session, principal, district_id)
    row = await session.get(DistrictDayOff, (district_id, day))
    if row is None:
        row = DistrictDayOff(
            district_id=district_id, day=day, reason=data.reason, created_by=principal.sub
        )
        session.add(row)
    else:
        row.reason = data.reason
    await session.flush()
    change = await reschedule_all(session, today, f"区县放假：{day} {data.reason}", district_id)
    return row, change


async def delete_day_off(
    session: AsyncSession, principal: Principal, district_id: uuid.UUID, day: date, today: date
) -> CalendarChange:
    await district_of(session, principal, district_id)
    row = await session.get(DistrictDayOff, (district_id, day))
    if row is None:
        raise NotFound(f"{day} is not a day off of this district")
    await session.delete(row)
    await session.flush()
    return await reschedule_all(session, today, f"区县放假取消：{day}", district_id)


def _cell_date(value: object, where: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidInput.field(where, f"{value!r} is not a date (YYYY-MM-DD)") from None


def read_days(content: bytes, limits: UploadLimits) -> list[tuple[date, CalendarDayPut]]:
    """The import sheet (日期 | 类型 放假/上班 | 名称 | 按星期几上课 | 依据), each problem named."""
    check_upload(content, limits)
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:
        raise InvalidInput.field("body", "the file cannot be read as an xlsx workbook") from None
    sheet = book.worksheets[0]
    rows = bounded_rows(sheet.iter_rows(values_only=True), limits.max_rows)
    header = [str(c).strip() if c is not None else "" for c in next(rows, ())]
    if tuple(header[: len(IMPORT_HEADERS)]) != IMPORT_HEADERS:
        raise InvalidInput.field("body", f"the first row must be {' | '.join(IMPORT_HEADERS)}")
    found: list[tuple[date, CalendarDayPut]] = []
    errors: list[dict[str, str]] = []
    for number, row in enumerate(rows, start=2):
        cells = list(row) + [None] * (5 - len(row))
        if all(c is None or str(c).strip() == "" for c in cells[:5]):
            continue
        where = f"row {number}"
        try:
            day = _cell_date(cells[0], where)
            kind = KIND_WORDS.get(str(cells[1] or "").strip())
            if kind is None:
                raise InvalidInput.field(where, f"类型 {cells[1]!r}: use 放假 or 上班")
            follows = cells[3]
            found.append(
                (
                    day,
                    CalendarDayPut(
                        kind=kind,
                        name=str(cells[2] or "").strip() or kind,
                        follows_weekday=int(follows) if follows not in (None, "") else None,
                        source=str(cells[4] or "").strip() or "xlsx import",
                    ),
                )
            )
        except InvalidInput as error:
            errors.extend(error.errors or [{"field": where, "message": str(error)}])
        except ValueError as error:
            errors.append({"field": where, "message": str(error).splitlines()[0]})
    if errors:
        raise InvalidInput("the calendar sheet has errors; nothing was imported", errors=errors)
    return found


async def import_days(
    session: AsyncSession,
    principal: Principal,
    content: bytes,
    limits: UploadLimits,
    today: date,
) -> tuple[int, CalendarChange]:
    """Set every day of the sheet, then regenerate future lessons once."""
    require_city_hr(principal)
    days = read_days(content, limits)
    for day, data in days:
        if data.kind == "workday" and day.isoweekday() <= 5:
            raise InvalidInput.field("body", f"{day} is a weekday: it is a school day already")
        row = await session.get(CalendarDay, day)
        if row is None:
            session.add(CalendarDay(day=day, **data.model_dump(), updated_by=principal.sub))
        else:
            for name, value in data.model_dump().items():
                setattr(row, name, value)
            row.updated_by = principal.sub
            row.updated_at = utcnow()
    await session.flush()
    return len(days), await reschedule_all(session, today, "校历导入")
