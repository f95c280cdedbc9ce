"""Events the talent service consumes, one function each."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from common.projections import apply_unit_facts
from contracts.base import Envelope, Event
from contracts.staffing import UnitFacts
from services.talent.models import Unit


async def on_unit_changed(session: AsyncSession, event: Event, envelope: Envelope) -> None:
    """Keep the local copy of a unit current (staffing.unit.registered/updated)."""
    assert isinstance(event, UnitFacts)
    await apply_unit_facts(session, Unit, event, envelope)


HANDLERS = {
    "staffing": {
        "staffing.unit.registered": on_unit_changed,
        "staffing.unit.updated": on_unit_changed,
    },
}
