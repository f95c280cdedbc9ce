"""Rules of summaries: posts held against posts the dated staffing standard requires."""

from __future__ import annotations

import logging
import math
import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from common.auth import Principal
from common.errors import Forbidden
from common.scoping import unit_scope
from services.staffing.models import Standard, Unit
from services.staffing.quotas import repository as quotas
from services.staffing.quotas.schemas import QuotaPublic
from services.staffing.summaries import repository
from services.staffing.summaries.schemas import (
    DataProblem,
    QuotaTotals,
    Requirement,
    StandardPublic,
    Summary,
    UnitSummary,
    Warning,
)
from services.staffing.units import repository as units
from services.staffing.units.service import ensure_visible, require_manager

log = logging.getLogger(__name__)

#: A fraction of a post below this is rounding noise, not a post required.
EPSILON = 1e-9


async def usable_ratios(
    session: AsyncSession, today: date, problems: list[DataProblem]
) -> dict[str, float]:
    """The standards in force; a stored ratio that is not a positive number is reported, unused."""
    ratios = {}
    for stage, ratio in (await repository.standards_in_force(session, today)).items():
        if isinstance(ratio, int | float) and math.isfinite(ratio) and ratio > 0:
            ratios[stage] = float(ratio)
        else:
            found(problems, "standards", stage, f"pupils_per_post {ratio!r} is not positive")
    return ratios


def found(problems: list[DataProblem], table: str, key: str, problem: str) -> None:
    log.warning("unusable %s row %s: %s", table, key, problem)
    problems.append(DataProblem(table=table, key=key, problem=problem))


def required_posts(pupils_by_stage: dict[str, int], ratios: dict[str, float]) -> int:
    """Posts required for these pupils; stages without a standard in force count for nothing."""
    exact = sum(n / ratios[stage] for stage, n in pupils_by_stage.items() if stage in ratios)
    return math.ceil(exact - EPSILON)


def requirements(
    rows: Iterable[tuple[int, str, bool, int]], ratios: dict[str, float], approved: int
) -> list[Requirement]:
    """This school year's requirement (the newest counted year) and each forecast year after it."""
    by_year: dict[tuple[int, bool], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for school_year, stage, forecast, pupils in rows:
        by_year[(school_year, bool(forecast))][stage] += int(pupils)
    counted = [year for year, forecast in by_year if not forecast]
    current = max(counted) if counted else None
    found = []
    for (school_year, forecast), stages in sorted(by_year.items()):
        if (school_year == current and not forecast) or (forecast and school_year > (current or 0)):
            required = required_posts(stages, ratios)
            found.append(
                Requirement(
                    school_year=school_year,
                    forecast=forecast,
                    pupils=sum(stages.values()),
                    required=required,
                    shortage=required - approved,
                )
            )
    return found


def _totals(rows: list[tuple[str, int, int, int, int]]) -> list[QuotaTotals]:
    return [
        QuotaTotals(
            quota_type=quota_type,
            approved=int(approved),
            occupied=int(occupied),
            reserved=int(reserved),
            vacant=int(approved) - int(occupied) - int(reserved),
            borrowed=int(borrowed),
        )
        for quota_type, approved, occupied, reserved, borrowed in rows
    ]


async def _summary(
    session: AsyncSession,
    scope: str,
    unit_id: uuid.UUID | None,
    district_id: uuid.UUID | None,
    today: date,
) -> Summary:
    area = repository.in_area(unit_id, district_id)
    totals = _totals(await repository.quota_totals(session, area))
    approved = sum(t.approved for t in totals)
    problems: list[DataProblem] = []
    ratios = await usable_ratios(session, today, problems)
    needs = requirements(await repository.pupils(session, area), ratios, approved)
    now = next((r for r in needs if not r.forecast), None)
    ahead = [r.shortage for r in needs if r.forecast]
    return Summary(
        scope=scope,
        unit_id=unit_id or district_id,
        quotas=totals,
        approved=approved,
        occupied=sum(t.occupied for t in totals),
        reserved=sum(t.reserved for t in totals),
        vacant=sum(t.vacant for t in totals),
        borrowed=sum(t.borrowed for t in totals),
        required=now.required if now else None,
        shortage_now=now.shortage if now else None,
        shortage_forecast=max(ahead) if ahead else None,
        requirements=needs,
        pool_balances=await repository.pool_balances(session) if scope == "city" else {},
        problems=problems,
    )


async def area_figures(
    session: AsyncSession, district_id: uuid.UUID | None, today: date
) -> Summary:
    """The city's or one district's summary, for reports (the caller checked the scope)."""
    scope = "city" if district_id is None else "district"
    return await _summary(session, scope, None, district_id, today)


async def unit_summary(
    session: AsyncSession, principal: Principal, unit_id: uuid.UUID, today: date
) -> UnitSummary:
    """A school's posts and needs, or a district's over its schools."""
    unit = ensure_visible(principal, await units.get(session, unit_id))
    if unit.kind == "district":
        summary = await _summary(session, "district", None, unit.id, today)
    else:
        summary = await _summary(session, "unit", unit.id, None, today)
    return UnitSummary(
        **summary.model_dump(),
        unit_quotas=[QuotaPublic.model_validate(q) for q in await quotas.of_unit(session, unit.id)],
    )


async def area_summary(
    session: AsyncSession, principal: Principal, district_id: uuid.UUID | None, today: date
) -> Summary:
    """The city's summary, or one district's; district HR sees its own district by default."""
    if district_id is None and principal.role == "district_hr":
        district_id = principal.district_id
    if district_id is None:
        if not principal.is_city_wide:
            raise Forbidden("the city summary is for city-wide roles")
        return await _summary(session, "city", None, None, today)
    district = ensure_visible(principal, await units.get(session, district_id))
    if district.kind != "district" or principal.role in ("school_admin", "teacher"):
        raise Forbidden("a district summary needs a district in your scope")
    return await _summary(session, "district", None, district.id, today)


async def warnings(
    session: AsyncSession,
    principal: Principal,
    district_id: uuid.UUID | None,
    today: date,
    problems: list[DataProblem],
) -> list[Warning]:
    """Schools short of posts now or by their enrolment forecast, by code; a school whose stored
    rows cannot be read is added to `problems` and the others are still answered."""
    area = repository.in_area(None, district_id)
    scope = unit_scope(principal, col(Unit.id), col(Unit.district_id))
    ratios = await usable_ratios(session, today, problems)
    approved = await repository.approved_by_unit(session, area)
    rows: dict[uuid.UUID, list[tuple[int, str, bool, int]]] = defaultdict(list)
    for unit_id, school_year, stage, forecast, pupils in await repository.pupils_by_unit(
        session, area
    ):
        rows[unit_id].append((school_year, stage, forecast, pupils))
    short = []
    for school in await repository.schools(session, area, scope):
        try:
            warning = _warning(school, rows.get(school.id, []), ratios, approved.get(school.id, 0))
        except (TypeError, ValueError, ArithmeticError) as error:
            found(problems, "units", str(school.code or school.id), f"{error}")
            continue
        if warning is not None:
            short.append(warning)
    return short


def _warning(
    school: Unit, rows: list[tuple[int, str, bool, int]], ratios: dict[str, float], held: int
) -> Warning | None:
    needs = requirements(rows, ratios, held)
    now = next((r for r in needs if not r.forecast), None)
    worst = max((r for r in needs if r.forecast), key=lambda r: r.shortage, default=None)
    if (now and now.shortage > 0) or (worst and worst.shortage > 0):
        first = next((r for r in needs if r.shortage > 0), None)
        return Warning(
            unit_id=school.id,
            code=school.code,
            name=school.name,
            district_id=school.district_id,
            approved=held,
            required_now=now.required if now else None,
            shortage_now=now.shortage if now else None,
            forecast_year=worst.school_year if worst else None,
            bites_in=first.school_year if first else None,
            required_forecast=worst.required if worst else None,
            shortage_forecast=worst.shortage if worst else None,
        )
    return None


async def standards(session: AsyncSession) -> list[Standard]:
    return await repository.standards(session)


async def set_standard(
    session: AsyncSession, principal: Principal, data: StandardPublic
) -> Standard:
    """Add a dated standard for a stage, or correct the one of that date."""
    require_manager(principal, "set staffing standards")
    standard = await repository.get_standard(session, data.effective_from, data.stage)
    if standard is None:
        standard = Standard(
            effective_from=data.effective_from,
            stage=data.stage,
            pupils_per_post=data.pupils_per_post,
            source=data.source,
        )
        session.add(standard)
    standard.pupils_per_post = data.pupils_per_post
    standard.source = data.source
    await session.flush()
    return standard
