"""Events the sharing service consumes, one function each."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from common.projections import apply_unit_facts
from contracts.base import Envelope, Event
from contracts.staffing import StaffFacts, StaffLeft, UnitFacts
from services.sharing.models import Unit
from services.sharing.teachers import service as teachers


async def on_unit_changed(session: AsyncSession, event: Event, envelope: Envelope) -> None:
    """Keep the local copy of a unit current (staffing.unit.registered/updated)."""
    assert isinstance(event, UnitFacts)
    await apply_unit_facts(session, Unit, event, envelope)


async def on_staff_joined(session: AsyncSession, event: Event, envelope: Envelope) -> None:
    """Create, move or update a teacher's profile (staffing.staff.hired/transferred/updated)."""
    assert isinstance(event, StaffFacts)
    await teachers.apply_staff_facts(session, event, envelope)


async def on_staff_left(session: AsyncSession, event: Event, envelope: Envelope) -> None:
    """End the teacher's running assignments and reopen their requests (staffing.staff.left)."""
    assert isinstance(event, StaffLeft)
    await teachers.depart(session, event, envelope)


HANDLERS = {
    "staffing": {
        "staffing.unit.registered": on_unit_changed,
        "staffing.unit.updated": on_unit_changed,
        "staffing.staff.hired": on_staff_joined,
        "staffing.staff.transferred": on_staff_joined,
        "staffing.staff.updated": on_staff_joined,
        "staffing.staff.left": on_staff_left,
    },
}
