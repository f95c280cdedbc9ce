"""Rules for registering units."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.errors import Conflict, Forbidden, InvalidInput, NotFound
from contracts.staffing import UnitRegistered
from services.staffing.models import Unit, outbox
from services.staffing.units import repository
from services.staffing.units.schemas import UnitCreate


def ensure_visible(principal: Principal, unit: Unit | None) -> Unit:
    """The unit, or 404 when it does not exist or lies outside the caller's scope."""
    if unit is None or not principal.can_see_unit(unit.id, unit.district_id):
        raise NotFound("no such unit in your scope")
    return unit


async def register_unit(session: AsyncSession, principal: Principal, data: UnitCreate) -> Unit:
    """Register a district or a school and announce it."""
    if data.kind == "district":
        if principal.role not in ("city_hr", "staffing_commission"):
            raise Forbidden("only city HR or the staffing commission registers districts")
    else:
        if principal.role not in ("city_hr", "staffing_commission", "district_hr"):
            raise Forbidden("only HR registers schools")
        district = await repository.get(session, data.district_id)  # type: ignore[arg-type]
        if district is None or district.kind != "district":
            raise InvalidInput.field("body.district_id", "no such district")
        if principal.role == "district_hr" and principal.district_id != district.id:
            raise Forbidden("district HR registers schools of its own district only")
    if await repository.by_code(session, data.code) is not None:
        raise Conflict(
            f"a unit with code {data.code} exists",
            errors=[{"field": "body.code", "message": "already taken"}],
        )
    unit = Unit(
        kind=data.kind,
        code=data.code,
        name=data.name,
        district_id=data.district_id,
        stages=list(data.stages),
        lat=data.lat,
        lon=data.lon,
    )
    return await add_unit(session, unit)


async def add_unit(session: AsyncSession, unit: Unit) -> Unit:
    """Insert a unit and its `staffing.unit.registered` event in the same transaction."""
    session.add(unit)
    await session.flush()
    await outbox.add(
        session,
        UnitRegistered(
            unit_id=unit.id,
            kind=unit.kind,  # type: ignore[arg-type]
            code=unit.code,
            name=unit.name,
            district_id=unit.district_id,
            stages=unit.stages,
            lat=unit.lat,
            lon=unit.lon,
        ),
        subject=str(unit.id),
    )
    return unit
