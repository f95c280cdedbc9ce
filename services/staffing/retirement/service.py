"""Rules of retirement: each person's statutory date, forecasts of attrition, who is due."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.errors import InvalidInput
from services.staffing.retirement import repository
from services.staffing.retirement.rules import Retirement, RuleBook, UnknownCategory, add_months
from services.staffing.retirement.schemas import RetirementDue, RetirementPublic, RetirementsDue
from services.staffing.units.repository import get as get_unit
from services.staffing.units.service import ensure_visible

# Nobody reaches a statutory retirement age before 50, whatever the rule.
YOUNGEST_RETIREMENT_MONTHS = 50 * 12
MOST_LISTED = 2000


def public(retirement: Retirement) -> RetirementPublic:
    return RetirementPublic(
        base_age=retirement.base_age,
        age_months=retirement.age_months,
        age_years=retirement.age_years,
        age_extra_months=retirement.age_extra_months,
        retires_on=retirement.retires_on,
        effective_from=retirement.effective_from,
        source=retirement.source,
        base_source=retirement.base_source,
    )


async def retirement_of(
    session: AsyncSession, sex: str, post_category: str, born: date
) -> RetirementPublic:
    """The statutory retirement date of one person, as the rule book gives it."""
    book = await repository.rule_book(session)
    try:
        return public(book.retirement(sex, post_category, born))
    except UnknownCategory as error:
        raise InvalidInput.field("query.post_category", str(error)) from error


async def forecast_attrition(
    session: AsyncSession, unit_id: uuid.UUID, quota_type: str, until: date
) -> int:
    """Active staff of the unit who reach their statutory retirement date before `until`
    (自然减员), by the dated rules."""
    book = await repository.rule_book(session)
    return sum(
        1
        for sex, category, born in await repository.active_people(session, unit_id, quota_type)
        if _retires_before(book, sex, category, born, until)
    )


def _retires_before(book: RuleBook, sex: str, category: str, born: date, until: date) -> bool:
    try:
        return book.retirement(sex, category, born).retires_on < until
    except UnknownCategory:
        return False


async def due(
    session: AsyncSession,
    principal: Principal,
    today: date,
    within_months: int,
    unit_id: uuid.UUID | None,
    district_id: uuid.UUID | None,
) -> RetirementsDue:
    """Active staff in scope who reach their retirement date before `within_months` from today
    (those already past it first), soonest first; a district's unit id means all its schools."""
    for value in (unit_id, district_id):
        if value is not None:
            unit = ensure_visible(principal, await get_unit(session, value))
            if unit.kind == "district" and value == unit_id:
                unit_id, district_id = None, unit.id
    until = add_months(today, within_months)
    book = await repository.rule_book(session)
    people = await repository.born_by(
        session, principal, add_months(until, -YOUNGEST_RETIREMENT_MONTHS), unit_id, district_id
    )
    listed: list[RetirementDue] = []
    for staff, unit_name in people:
        try:
            retirement = book.retirement(staff.sex, staff.post_category, staff.birth_date)
        except UnknownCategory:
            continue
        if retirement.retires_on < until:
            listed.append(
                RetirementDue(
                    staff_id=staff.id,
                    name=staff.name,
                    unit_id=staff.unit_id,
                    unit_name=unit_name,
                    sex=staff.sex,
                    birth_date=staff.birth_date,
                    post_category=staff.post_category,
                    subject=staff.subject,
                    title=staff.title,
                    quota_type=staff.quota_type,
                    retirement=public(retirement),
                )
            )
    listed.sort(key=lambda r: (r.retirement.retires_on, r.name, str(r.staff_id)))
    return RetirementsDue(until=until, count=len(listed), data=listed[:MOST_LISTED])
