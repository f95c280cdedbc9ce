"""Rules of the monthly reports: what a month's snapshot holds, where each figure comes from.

Staffing's own figures come from its tables; the sharing library and settled periods come from
sharing's events (`sharing.library.decided`, `sharing.library.left`,
`sharing.settlement.issued`), kept here as they arrive; hires through talent are roster rows
made from talent's hire events. No other service's tables are read.
"""

from __future__ import annotations

import io
import uuid
from datetime import date

from openpyxl import Workbook
from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import CITY_ROLES, Principal
from common.db import utcnow
from common.errors import Forbidden
from contracts.sharing import LibraryDecided, LibraryLeft, SettlementIssued
from services.staffing.models import LibraryMember, MonthlyReport, SettledPeriods
from services.staffing.reports import repository
from services.staffing.summaries.service import area_figures
from services.staffing.units import repository as units
from services.staffing.units.service import ensure_visible

CITY = "city"


def scope_of(district_id: uuid.UUID | None) -> str:
    return CITY if district_id is None else f"district:{district_id}"


def month_of(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


async def figures(
    session: AsyncSession, district_id: uuid.UUID | None, month: date, today: date
) -> MonthlyReport:
    """The month's snapshot of the city or one district, as the books stand `today`."""
    summary = await area_figures(session, district_id, today)
    loans_out, overdue = await repository.loans(session, district_id, today)
    library = await repository.library_by_subject(session, district_id)
    taught, cents = await repository.periods(session, district_id, f"{month:%Y-%m}")
    return MonthlyReport(
        month=month,
        scope=scope_of(district_id),
        district_id=district_id,
        approved=summary.approved,
        occupied=summary.occupied,
        vacant=summary.vacant,
        required=summary.required or 0,
        shortage=max(0, summary.shortage_now or 0),
        loans_out=loans_out,
        loans_overdue=overdue,
        pool_balance=await repository.pool_balance(session, district_id),
        library_size=sum(library.values()),
        library_by_subject=library,
        periods_taught=taught,
        period_pay_cents=cents,
        hires_via_talent=await repository.hires_via_talent(
            session, district_id, month, next_month(month)
        ),
    )


async def snapshot(session: AsyncSession, today: date) -> int:
    """Take (or retake) this month's snapshot for the city and every district."""
    month = month_of(today)
    scopes = [None, *[d.id for d in await repository.districts(session)]]
    for district_id in scopes:
        fresh = await figures(session, district_id, month, today)
        found = await repository.report(session, month, fresh.scope)
        if found is None:
            session.add(fresh)
            continue
        for name in MonthlyReport.model_fields:
            if name not in ("month", "scope"):
                setattr(found, name, getattr(fresh, name))
        found.taken_at = utcnow()
    await session.flush()
    return len(scopes)


async def history(
    session: AsyncSession, principal: Principal, district_id: uuid.UUID | None
) -> list[MonthlyReport]:
    """The months on record for the city, or one district in the caller's scope."""
    if district_id is None and principal.role == "district_hr":
        district_id = principal.district_id
    if district_id is None:
        if not principal.is_city_wide:
            raise Forbidden("the city's reports are for city-wide roles")
    else:
        ensure_visible(principal, await units.get(session, district_id))
    return await repository.reports(session, scope_of(district_id))


def require_city(principal: Principal) -> None:
    if principal.role not in CITY_ROLES:
        raise Forbidden("only city HR or the staffing commission takes the snapshot")


HEADER = [
    "月份",
    "范围",
    "核定编制",
    "在编人数",
    "空编",
    "按标准应配",
    "缺编",
    "借出未还编制",
    "逾期借用笔数",
    "周转池余额",
    "共享库人数",
    "共享库学科构成",
    "共享课时",
    "课时补贴（元）",
    "人才引进入编人数",
]


async def workbook(
    session: AsyncSession, principal: Principal, district_id: uuid.UUID | None
) -> bytes:
    """The months on record as xlsx: Chinese headers, district names, no ids."""
    rows = await history(session, principal, district_id)
    names = {d.id: d.name for d in await repository.districts(session)}
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "月报"
    sheet.append(HEADER)
    for r in rows:
        sheet.append(
            [
                f"{r.month:%Y-%m}",
                "成都市" if r.district_id is None else names.get(r.district_id, ""),
                r.approved,
                r.occupied,
                r.vacant,
                r.required,
                r.shortage,
                r.loans_out,
                r.loans_overdue,
                r.pool_balance,
                r.library_size,
                "、".join(f"{k} {v}" for k, v in sorted(r.library_by_subject.items())),
                r.periods_taught,
                round(r.period_pay_cents / 100, 2),
                r.hires_via_talent,
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def library_decided(session: AsyncSession, event: LibraryDecided) -> None:
    """A teacher listed in (or returned from) the sharing library."""
    if not event.approved:
        return
    found = await repository.member(session, event.teacher_id)
    if found is None:
        session.add(LibraryMember(teacher_id=event.teacher_id, unit_id=event.unit_id))
    else:
        found.listed, found.unit_id, found.changed_at = True, event.unit_id, utcnow()
    await session.flush()


async def library_left(session: AsyncSession, event: LibraryLeft) -> None:
    """A teacher paused or left the library."""
    found = await repository.member(session, event.teacher_id)
    if found is not None:
        found.listed, found.changed_at = False, utcnow()
        await session.flush()


async def settlement_issued(session: AsyncSession, event: SettlementIssued) -> None:
    """A teacher's settled periods of a month, once per settlement."""
    if await repository.settled(session, event.settlement_id) is None:
        session.add(
            SettledPeriods(
                settlement_id=event.settlement_id,
                home_unit_id=event.home_unit_id,
                month=event.month,
                periods=event.periods + event.adjustment_periods,
                total_cents=event.total_cents,
            )
        )
        await session.flush()
