"""Every query on units."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from common.auth import Principal
from common.db import get_by_id
from common.scoping import unit_scope
from services.staffing.models import Enrolment, Unit


async def get(session: AsyncSession, unit_id: uuid.UUID) -> Unit | None:
    return await get_by_id(session, Unit, unit_id)


@dataclass(frozen=True, slots=True)
class UnitIdentity:
    """What a unit never changes once registered (a unit is never deleted, and its kind, code
    and district are not among what `UnitUpdate` changes), so a process may keep it."""

    id: uuid.UUID
    kind: str
    code: str
    district_id: uuid.UUID | None


_IDENTITIES: dict[uuid.UUID, UnitIdentity] = {}
_IDENTITY = select(col(Unit.id), col(Unit.kind), col(Unit.code), col(Unit.district_id)).where(
    col(Unit.id) == bindparam("ident")
)


async def identity(session: AsyncSession, unit_id: uuid.UUID) -> UnitIdentity | None:
    """The unit's identity, read once per process; None when there is no such unit."""
    known = _IDENTITIES.get(unit_id)
    if known is not None:
        return known
    row = (await session.execute(_IDENTITY, {"ident": unit_id})).one_or_none()
    if row is None:
        return None
    found = _IDENTITIES[unit_id] = UnitIdentity(*row)
    return found


async def by_code(session: AsyncSession, code: str) -> Unit | None:
    return (await session.execute(select(Unit).where(col(Unit.code) == code))).scalar_one_or_none()


def visible(principal: Principal) -> Select[Any]:
    """Units in the caller's scope."""
    return select(Unit).where(unit_scope(principal, col(Unit.id), col(Unit.district_id)))


async def enrolment(session: AsyncSession, unit_id: uuid.UUID) -> list[Enrolment]:
    stmt = (
        select(Enrolment)
        .where(col(Enrolment.unit_id) == unit_id)
        .order_by(col(Enrolment.school_year), col(Enrolment.stage))
    )
    return list((await session.execute(stmt)).scalars())


async def enrolment_row(
    session: AsyncSession, unit_id: uuid.UUID, school_year: int, stage: str
) -> Enrolment | None:
    return await session.get(Enrolment, (unit_id, school_year, stage))
