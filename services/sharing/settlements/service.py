"""Rules of monthly settlement (月度结算): confirmed periods × the rate for the title.

A settlement is issued once per teacher and month and never changes. A lesson confirmed after
its month was settled is paid in the next settlement issued, as an adjustment.
"""

from __future__ import annotations

import io
import uuid
from collections import defaultdict
from datetime import date, timedelta

from openpyxl import Workbook
from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.errors import AlreadyTaken, Forbidden, InvalidInput
from common.spreadsheets import safe_row
from contracts.sharing import SettlementIssued
from services.sharing.access import require_hr
from services.sharing.errors import NoPeriodRate
from services.sharing.lessons import repository as lessons
from services.sharing.models import Lesson, PeriodRate, Settlement, Teacher, Unit, outbox
from services.sharing.settlements import repository
from services.sharing.settlements.schemas import RateCreate, SettlementCreate

#: The rate row used for a teacher without a title (未定职称).
NO_TITLE = "未定职称"


def month_bounds(month: str) -> tuple[date, date]:
    year, number = (int(part) for part in month.split("-"))
    first = date(year, number, 1)
    following = date(year + number // 12, number % 12 + 1, 1)
    return first, following - timedelta(days=1)


class RateTable:
    """Pay per period by title, each in force from its date."""

    def __init__(self, rows: list[PeriodRate]) -> None:
        self._by_title: dict[str, list[PeriodRate]] = defaultdict(list)
        for row in rows:
            self._by_title[row.title].append(row)

    def rate(self, title: str, on: date) -> int:
        rows = [r for r in self._by_title.get(title, []) if r.effective_from <= on]
        if not rows:
            raise NoPeriodRate(f"no period rate for {title} on {on}; add one to the rate table")
        return max(rows, key=lambda r: r.effective_from).rate_cents


async def issue(
    session: AsyncSession, principal: Principal, data: SettlementCreate, today: date
) -> list[Settlement]:
    """Settle a finished month for every teacher in scope with confirmed, unpaid periods."""
    require_hr(principal, "issue settlements")
    first, last = month_bounds(data.month)
    if last >= today:
        raise InvalidInput.field("body.month", "the month is not over yet")
    teachers = {t.id: t for t in await repository.teachers_in_scope(session, principal)}
    done = await repository.settled_teachers(session, data.month, list(teachers))
    due = await lessons.unsettled_confirmed(session, [t for t in teachers if t not in done], last)
    table = RateTable(await repository.rates(session))
    by_teacher: dict[uuid.UUID, list[Lesson]] = defaultdict(list)
    for lesson in due:
        by_teacher[lesson.teacher_id].append(lesson)
    issued = []
    for teacher_id, paid in by_teacher.items():
        issued.append(
            await _settle(session, principal, teachers[teacher_id], paid, data.month, first, table)
        )
    return issued


async def _settle(
    session: AsyncSession,
    principal: Principal,
    teacher: Teacher,
    paid: list[Lesson],
    month: str,
    first: date,
    table: RateTable,
) -> Settlement:
    title = teacher.title or NO_TITLE
    regular = [lesson for lesson in paid if lesson.taught_on >= first]
    late = [lesson for lesson in paid if lesson.taught_on < first]
    amount = sum(table.rate(title, lesson.taught_on) for lesson in regular)
    adjustment = sum(table.rate(title, lesson.taught_on) for lesson in late)
    settlement = Settlement(
        teacher_id=teacher.id,
        home_unit_id=teacher.unit_id,
        home_district_id=teacher.district_id,
        month=month,
        title=title,
        periods=len(regular),
        amount_cents=amount,
        adjustment_periods=len(late),
        adjustment_cents=adjustment,
        total_cents=amount + adjustment,
        issued_by=principal.sub,
    )
    session.add(settlement)
    await session.flush()
    for lesson in paid:
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
    if await session.get(PeriodRate, (data.effective_from, data.title)) is not None:
        raise AlreadyTaken(
            "body.effective_from", f"a rate for {data.title} from {data.effective_from} exists"
        )
    rate = PeriodRate(**data.model_dump())
    session.add(rate)
    await session.flush()
    return rate


def workbook(rows: list[tuple[Settlement, Teacher | None, Unit | None]], month: str) -> bytes:
    """The month's settlements as an xlsx sheet for payroll."""
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
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
