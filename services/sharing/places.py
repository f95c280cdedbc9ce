"""Where schools are, from the unit projection, for travel between them."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.sharing.models import Unit
from services.sharing.timetable import TRAVELLING_MODES, Place


async def place_of(session: AsyncSession, unit_id: uuid.UUID) -> Place:
    unit = await session.get(Unit, unit_id)
    return Place(unit_id, unit.lat, unit.lon) if unit else Place(unit_id, None, None)


async def places_of(session: AsyncSession, unit_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Place]:
    ids = set(unit_ids)
    found = {
        row.id: Place(row.id, row.lat, row.lon)
        for row in (
            await session.execute(
                select(col(Unit.id), col(Unit.lat), col(Unit.lon)).where(col(Unit.id).in_(ids))
            )
        ).all()
    }
    return {i: found.get(i, Place(i, None, None)) for i in ids}


def teaching_place(mode: str, host: Place, home: Place) -> Place:
    """In person and rotation are taught at the host; online from the home school."""
    return host if mode in TRAVELLING_MODES else home
