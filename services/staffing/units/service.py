"""Rules for registering units."""

from __future__ import annotations

import uuid
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import CITY_ROLES, HR_ROLES, Principal
from common.db import utcnow
from common.errors import AlreadyTaken, Forbidden, InvalidInput, NotFound
from contracts.staffing import UnitRegistered, UnitUpdated
from services.staffing.models import Enrolment, Unit, outbox
from services.staffing.units import repository
from services.staffing.units.repository import UnitIdentity
from services.staffing.units.schemas import EnrolmentRow, UnitCreate, UnitUpdate

AnyUnit = TypeVar("AnyUnit", Unit, UnitIdentity)


def ensure_visible(principal: Principal, unit: AnyUnit | None) -> AnyUnit:
    """The unit, or 404 when it does not exist or lies outside the caller's scope."""
    if unit is None or not principal.can_see_unit(unit.id, unit.district_id):
        raise NotFound("no such unit in your scope")
    return unit


async def register_unit(session: AsyncSession, principal: Principal, data: UnitCreate) -> Unit:
    """Register a district or a school and announce it."""
    if data.kind == "district":
        if principal.role not in CITY_ROLES:
            raise Forbidden("only city HR or the staffing commission registers districts")
    elif data.district_id is None:
        if principal.role not in CITY_ROLES:
            raise Forbidden("only city HR registers city-direct schools (市直属学校)")
    else:
        if principal.role not in HR_ROLES:
            raise Forbidden("only HR registers schools")
        district = await repository.get(session, data.district_id)
        if district is None or district.kind != "district":
            raise InvalidInput.field("body.district_id", "no such district")
        if principal.role == "district_hr" and principal.district_id != district.id:
            raise Forbidden("district HR registers schools of its own district only")
    if await repository.by_code(session, data.code) is not None:
        raise AlreadyTaken("body.code", f"a unit with code {data.code} exists")
    unit = Unit(
        kind=data.kind,
        code=data.code,
        name=data.name,
        district_id=data.district_id,
        stages=list(data.stages),
        lat=data.lat,
        lon=data.lon,
    )
    check_location(unit)
    return await add_unit(session, unit)


def location_problem(kind: str, lat: float | None, lon: float | None) -> tuple[str, str] | None:
    """What is wrong with a unit's location, as (field, why): a school has one (travel times and
    matching need it), and lat and lon go together."""
    for name, value, other in (("lat", lat, lon), ("lon", lon, lat)):
        if value is None and kind == "school":
            return name, "a school has a location: give both lat and lon"
        if value is None and other is not None:
            return name, "lat and lon go together: give both or neither"
    return None


def check_location(unit: Unit) -> None:
    problem = location_problem(unit.kind, unit.lat, unit.lon)
    if problem is not None:
        raise InvalidInput.field(f"body.{problem[0]}", problem[1])


def not_taught(field: str, unit_code: str, stage: str) -> InvalidInput:
    """A row for a stage the school does not teach; the field's entry names both."""
    return InvalidInput.coded(
        field,
        f"{unit_code} does not teach {stage}",
        "stage_not_taught",
        unit_code=unit_code,
        stage=stage,
    )


async def check_stages_dropped(session: AsyncSession, unit: Unit, stages: list[str]) -> str | None:
    """Why `unit` may not drop a stage it teaches: its enrolment counts or forecasts pupils there
    (enrolment fits the unit's stages). None when it may."""
    rows = await repository.enrolment(session, unit.id)
    counted = [r.school_year for r in rows if not r.forecast]
    current = max(counted) if counted else 0
    held = sorted(
        {r.stage for r in rows if r.pupils > 0 and r.school_year >= current} - set(stages)
    )
    if held:
        return f"{unit.code} has pupils enrolled in {', '.join(held)}; record them as 0 first"
    return None


async def add_unit(session: AsyncSession, unit: Unit) -> Unit:
    """Insert a unit and its `staffing.unit.registered` event in the same transaction."""
    session.add(unit)
    await session.flush()
    await outbox.add(
        session,
        UnitRegistered(**facts(unit)),
        subject=str(unit.id),
    )
    return unit


def require_manager(principal: Principal, action: str) -> None:
    """Only city HR and the staffing commission may `action`."""
    if principal.role not in CITY_ROLES:
        raise Forbidden(f"only city HR or the staffing commission may {action}")


async def unit_for_action(
    session: AsyncSession, principal: Principal, unit_id: uuid.UUID, *, district_may: bool = True
) -> Unit:
    """The unit the caller acts on: 404 outside their scope, 403 when their role may not act."""
    unit = ensure_visible(principal, await repository.get(session, unit_id))
    return _may_act(principal, unit, district_may)


async def identity_for_action(
    session: AsyncSession, principal: Principal, unit_id: uuid.UUID
) -> UnitIdentity:
    """`unit_for_action` for an action that needs only what a unit never changes, which the
    process keeps: most calls read nothing."""
    unit = ensure_visible(principal, await repository.identity(session, unit_id))
    return _may_act(principal, unit, district_may=True)


def _may_act(principal: Principal, unit: AnyUnit, district_may: bool) -> AnyUnit:
    if principal.role in CITY_ROLES:
        return unit
    if principal.role == "district_hr" and district_may:
        return unit
    raise Forbidden(f"role {principal.role} may not change unit {unit.code}")


def facts(unit: Unit) -> dict[str, object]:
    """The unit as events tell it."""
    return {
        "unit_id": unit.id,
        "kind": unit.kind,
        "code": unit.code,
        "name": unit.name,
        "district_id": unit.district_id,
        "stages": list(unit.stages),
        "lat": unit.lat,
        "lon": unit.lon,
    }


async def update_unit(
    session: AsyncSession, principal: Principal, unit_id: uuid.UUID, data: UnitUpdate
) -> Unit:
    """Change a unit's name, stages or location and announce it."""
    unit = await unit_for_action(session, principal, unit_id)
    changes = data.changes()
    if unit.kind == "school" and changes.get("stages") == []:
        raise InvalidInput.field("body.stages", "a school teaches at least one stage")
    if "stages" in changes:
        why = await check_stages_dropped(session, unit, changes["stages"])
        if why:
            raise InvalidInput.field("body.stages", why)
    for name, value in changes.items():
        setattr(unit, name, list(value) if name == "stages" else value)
    check_location(unit)
    unit.updated_at = utcnow()
    await session.flush()
    await outbox.add(session, UnitUpdated(**facts(unit)), subject=str(unit.id))
    return unit


async def set_enrolment(
    session: AsyncSession, principal: Principal, unit_id: uuid.UUID, rows: list[EnrolmentRow]
) -> list[Enrolment]:
    """Record or correct a school's pupils per stage and school year, counted or forecast."""
    unit = await unit_for_action(session, principal, unit_id)
    if unit.kind != "school":
        raise InvalidInput.field("path.unit_id", "enrolment belongs to schools")
    for n, row in enumerate(rows):
        if row.stage not in unit.stages:
            raise not_taught(f"body.{n}.stage", unit.code, row.stage)
    for row in rows:
        found = await repository.enrolment_row(session, unit.id, row.school_year, row.stage)
        source = "import" if row.forecast else "count"
        if found is None:
            session.add(Enrolment(unit_id=unit.id, **row.model_dump(), source=source))
        else:
            found.pupils, found.forecast, found.source = row.pupils, row.forecast, source
    await session.flush()
    return await repository.enrolment(session, unit.id)
