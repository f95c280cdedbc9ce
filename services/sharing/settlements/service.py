"""Rules of monthly settlement (月度结算): confirmed periods × the rate for the title held on
each lesson's date and the lesson's mode, plus a travel allowance by distance band for lessons
taught in person, in a line per host district so each district sees what it owes.

A settlement is issued once per teacher and month and never changes. A lesson confirmed after
its month was settled is paid in the next settlement issued, as an adjustment.
"""

from __future__ import annotations

import io
import math
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from openpyxl import Workbook
from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.errors import AlreadyTaken, Forbidden, InvalidInput
from common.spreadsheets import safe_row
from contracts.sharing import SettlementIssued
from contracts.vocabulary import UNTITLED
from services.sharing.access import require_hr
from services.sharing.lessons import repository as lessons
from services.sharing.models import (
    Lesson,
    PeriodRate,
    Settlement,
    Teacher,
    TravelAllowance,
    Unit,
    outbox,
)
from services.sharing.places import places_of
from services.sharing.settlements import repository
from services.sharing.settlements.schemas import (
    AllowanceCreate,
    RateCreate,
    SettlementCreate,
    SettlementLine,
    Unpriced,
    host_district_totals,
)
from services.sharing.timetable import TRAVELLING_MODES

#: The rate row used for a teacher without a title (未定职称).
NO_TITLE = UNTITLED


def month_bounds(month: str) -> tuple[date, date]:
    year, number = (int(part) for part in month.split("-"))
    first = date(year, number, 1)
    following = date(year + number // 12, number % 12 + 1, 1)
    return first, following - timedelta(days=1)


def in_force(row: PeriodRate | TravelAllowance, on: date) -> bool:
    return row.effective_from <= on and (row.effective_to is None or on <= row.effective_to)


class RateTable:
    """Pay per period by title and mode, each row in force from its date to its last day; a row
    for the lesson's own mode wins over one for "any", then the latest in force."""

    def __init__(self, rows: list[PeriodRate]) -> None:
        self._by_title: dict[str, list[PeriodRate]] = defaultdict(list)
        for row in rows:
            self._by_title[row.title].append(row)

    def rate(self, title: str, on: date, mode: str = "any") -> int | None:
        """The rate in force for `title` and `mode` on `on`, or None when the table has none."""
        rows = [r for r in self._by_title.get(title, []) if in_force(r, on)]
        own = [r for r in rows if r.mode == mode] or [r for r in rows if r.mode == "any"]
        if not own:
            return None
        return max(own, key=lambda r: r.effective_from).rate_cents


class Allowances:
    """Travel allowance per lesson taught in person, by distance band, each in force by date."""

    def __init__(self, rows: list[TravelAllowance]) -> None:
        self._rows = rows

    def per_lesson(self, km: float | None, mode: str, on: date) -> int:
        """The allowance for one lesson; none online, or where a school's location is unknown."""
        if mode not in TRAVELLING_MODES or km is None or math.isinf(km):
            return 0
        bands = [
            r
            for r in self._rows
            if in_force(r, on) and r.min_km <= km and (r.max_km is None or km < r.max_km)
        ]
        return max(bands, key=lambda r: r.effective_from).cents if bands else 0


def title_on(teacher: Teacher, day: date) -> str:
    """The title the teacher held on `day` by the roster's dated titles (职称), else the one
    on record; before the first dated title, the earliest one known."""
    history = sorted(teacher.title_history, key=lambda t: t["effective_from"])
    held = [t for t in history if date.fromisoformat(t["effective_from"]) <= day]
    if held:
        return held[-1]["title"]
    if history:
        return history[0]["title"]
    return teacher.title or NO_TITLE


#: A settlement line's key: host district, title, mode, rate, travel allowance, late.
LineKey = tuple[str, str, str, int, int, bool]


@dataclass(frozen=True, slots=True)
class Taught:
    """Where a lesson's assignment was taught: the host's district, the mode, the distance."""

    host_district_id: uuid.UUID | None
    mode: str
    km: float | None


@dataclass
class Priced:
    """One teacher's lessons for a month, split into those the rate table prices and not."""

    teacher: Teacher
    lines: dict[LineKey, list[Lesson]] = field(default_factory=dict)
    unpriced: dict[str, list[Lesson]] = field(default_factory=dict)

    @property
    def paid(self) -> list[Lesson]:
        return [lesson for group in self.lines.values() for lesson in group]


def price(
    teacher: Teacher,
    due: list[Lesson],
    first: date,
    table: RateTable,
    allowances: Allowances,
    taught: dict[uuid.UUID, Taught],
) -> Priced:
    """Each lesson at the rate for the title held on its date and its mode, plus the travel
    allowance for its distance; grouped by host district. Without a rate, set apart."""
    priced = Priced(teacher)
    for lesson in due:
        title = title_on(teacher, lesson.taught_on)
        where = taught.get(lesson.assignment_id, Taught(None, "any", None))
        rate = table.rate(title, lesson.taught_on, where.mode)
        if rate is None:
            priced.unpriced.setdefault(title, []).append(lesson)
            continue
        travel = allowances.per_lesson(where.km, where.mode, lesson.taught_on)
        district = str(where.host_district_id) if where.host_district_id else ""
        key = (district, title, where.mode, rate, travel, lesson.taught_on < first)
        priced.lines.setdefault(key, []).append(lesson)
    return priced


async def where_taught(session: AsyncSession, lessons_due: list[Lesson]) -> dict[uuid.UUID, Taught]:
    """The host district, mode and home-to-host distance of each due lesson's assignment."""
    assignments = await repository.assignments(session, {x.assignment_id for x in lessons_due})
    places = await places_of(
        session, {u for a in assignments for u in (a.home_unit_id, a.host_unit_id)}
    )
    return {
        a.id: Taught(
            a.host_district_id, a.mode, places[a.home_unit_id].km_to(places[a.host_unit_id])
        )
        for a in assignments
    }


async def _due(
    session: AsyncSession, principal: Principal, month: str, today: date, *, issuing: bool
) -> tuple[list[Priced], date]:
    require_hr(principal, "issue settlements")
    first, last = month_bounds(month)
    if last >= today:
        field_name = "body.month" if issuing else "query.month"
        raise InvalidInput.field(field_name, "the month is not over yet")
    teachers = {t.id: t for t in await repository.teachers_in_scope(session, principal)}
    done = await repository.settled_teachers(session, month, list(teachers))
    due = await lessons.unsettled_confirmed(
        session, [t for t in teachers if t not in done], last, lock=issuing
    )
    table = RateTable(await repository.rates(session))
    allowances = Allowances(await repository.allowances(session))
    taught = await where_taught(session, due)
    by_teacher: dict[uuid.UUID, list[Lesson]] = defaultdict(list)
    for lesson in due:
        by_teacher[lesson.teacher_id].append(lesson)
    return [
        price(teachers[t], paid, first, table, allowances, taught) for t, paid in by_teacher.items()
    ], first


def unpriced_rows(priced: list[Priced], month: str) -> list[Unpriced]:
    """The lessons no rate prices, one row per teacher and title: reported, never paid wrong."""
    return [
        Unpriced(
            teacher_id=p.teacher.id,
            name=p.teacher.name,
            home_unit_id=p.teacher.unit_id,
            month=month,
            title=title,
            periods=len(group),
            first_day=min(lesson.taught_on for lesson in group),
            last_day=max(lesson.taught_on for lesson in group),
            reason=f"no period rate for {title} on {min(lesson.taught_on for lesson in group)}; "
            "add one to the rate table and settle again",
        )
        for p in priced
        for title, group in sorted(p.unpriced.items())
    ]


async def issue(
    session: AsyncSession, principal: Principal, data: SettlementCreate, today: date
) -> tuple[list[Settlement], list[Unpriced]]:
    """Settle a finished month for every teacher in scope with confirmed, unpaid periods.

    A lesson whose title has no rate is left unpaid and reported on its own row; it never
    holds up anyone's pay, and is paid as an adjustment once the rate exists.
    """
    priced, first = await _due(session, principal, data.month, today, issuing=True)
    issued = [await _settle(session, principal, p, data.month, first) for p in priced if p.lines]
    return issued, unpriced_rows(priced, data.month)


async def unpriced(
    session: AsyncSession, principal: Principal, month: str, today: date
) -> list[Unpriced]:
    """What settling `month` now would leave unpaid for want of a rate."""
    priced, _ = await _due(session, principal, month, today, issuing=False)
    return unpriced_rows(priced, month)


async def _settle(
    session: AsyncSession, principal: Principal, priced: Priced, month: str, first: date
) -> Settlement:
    teacher = priced.teacher
    lines = [
        SettlementLine(
            host_district_id=uuid.UUID(district) if district else None,
            title=title,
            mode=mode,
            rate_cents=rate,
            travel_cents=travel,
            periods=len(group),
            amount_cents=(rate + travel) * len(group),
            late=late,
        )
        for (district, title, mode, rate, travel, late), group in sorted(priced.lines.items())
    ]
    regular = [line for line in lines if not line.late]
    late = [line for line in lines if line.late]
    amount = sum(line.amount_cents for line in regular)
    adjustment = sum(line.amount_cents for line in late)
    last_paid = max(priced.paid, key=lambda lesson: lesson.taught_on)
    settlement = Settlement(
        teacher_id=teacher.id,
        home_unit_id=teacher.unit_id,
        home_district_id=teacher.district_id,
        month=month,
        title=title_on(teacher, last_paid.taught_on),
        lines=[line.model_dump(mode="json") for line in lines],
        periods=sum(line.periods for line in regular),
        amount_cents=amount,
        adjustment_periods=sum(line.periods for line in late),
        adjustment_cents=adjustment,
        total_cents=amount + adjustment,
        issued_by=principal.sub,
    )
    session.add(settlement)
    await session.flush()
    for lesson in priced.paid:
        lesson.settlement_id = settlement.id
    await outbox.add(
        session,
        SettlementIssued(
            settlement_id=settlement.id,
            teacher_id=teacher.id,
            home_unit_id=teacher.unit_id,
            month=month,
            periods=settlement.periods,
            adjustment_periods=settlement.adjustment_periods,
            total_cents=settlement.total_cents,
        ),
        subject=str(settlement.id),
    )
    return settlement


async def add_rate(session: AsyncSession, principal: Principal, data: RateCreate) -> PeriodRate:
    """City HR adds a dated rate; rates already in force stay as they were."""
    if principal.role != "city_hr":
        raise Forbidden("only city HR sets period rates")
    if await session.get(PeriodRate, (data.effective_from, data.title, data.mode)) is not None:
        raise AlreadyTaken(
            "body.effective_from",
            f"a rate for {data.title} ({data.mode}) from {data.effective_from} exists",
        )
    rate = PeriodRate(**data.model_dump())
    session.add(rate)
    await session.flush()
    return rate


async def add_allowance(
    session: AsyncSession, principal: Principal, data: AllowanceCreate
) -> TravelAllowance:
    """City HR adds a dated travel allowance band; bands already in force stay as they were."""
    if principal.role != "city_hr":
        raise Forbidden("only city HR sets travel allowances")
    allowance = TravelAllowance(**data.model_dump(), created_by=principal.sub)
    session.add(allowance)
    await session.flush()
    return allowance


def workbook(
    rows: list[tuple[Settlement, Teacher | None, Unit | None]],
    month: str,
    districts: dict[uuid.UUID, str] | None = None,
) -> bytes:
    """The month's settlements as an xlsx sheet for payroll, and a second sheet with what each
    host district owes for each teacher (cross-district sharing)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = month
    sheet.append(
        [
            "月份 month",
            "教师编号 teacher id",
            "姓名 name",
            "派出学校 home school",
            "职称 title",
            "课时 periods",
            "金额 amount (元)",
            "调整课时 adjustment periods",
            "调整金额 adjustment (元)",
            "合计 total (元)",
        ]
    )
    for settlement, teacher, unit in rows:
        sheet.append(
            safe_row(
                sheet,
                [
                    settlement.month,
                    str(settlement.teacher_id),
                    teacher.name if teacher else "",
                    unit.name if unit else str(settlement.home_unit_id),
                    settlement.title,
                    settlement.periods,
                    settlement.amount_cents / 100,
                    settlement.adjustment_periods,
                    settlement.adjustment_cents / 100,
                    settlement.total_cents / 100,
                ],
            )
        )
    owed = book.create_sheet("按接收区县 by host district")
    owed.append(
        [
            "月份 month",
            "接收区县 host district",
            "教师编号 teacher id",
            "姓名 name",
            "派出学校 home school",
            "课时 periods",
            "金额 amount (元)",
        ]
    )
    for settlement, teacher, unit in rows:
        lines = [SettlementLine.model_validate(line) for line in settlement.lines]
        for total in host_district_totals(lines):
            district = total.host_district_id
            owed.append(
                safe_row(
                    owed,
                    [
                        settlement.month,
                        (districts or {}).get(district, str(district)) if district else "",
                        str(settlement.teacher_id),
                        teacher.name if teacher else "",
                        unit.name if unit else str(settlement.home_unit_id),
                        total.periods,
                        total.amount_cents / 100,
                    ],
                )
            )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
