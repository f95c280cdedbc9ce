"""Events the talent service consumes, one function each: staffing's answers, and its own
events turned into webhook deliveries (services.talent.webhooks.events), so a delivery is queued
exactly when the event is."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from common.projections import apply_unit_facts
from contracts.base import Envelope, Event
from contracts.staffing import (
    HireRefused,
    ReservationConfirmed,
    ReservationRejected,
    ReservationReleased,
    StaffHired,
    UnitFacts,
)
from contracts.talent import (
    ApplicationStatusChanged,
    CandidateErased,
    PostingClosed,
    PostingPublished,
)
from services.talent.applications.service import hire_refused, onboarded
from services.talent.models import Unit
from services.talent.postings.service import (
    reservation_confirmed,
    reservation_rejected,
    reservation_released,
)
from services.talent.webhooks.events import (
    webhook_candidate_erased,
    webhook_posting_closed,
    webhook_posting_opened,
    webhook_status_changed,
)


async def on_unit_changed(session: AsyncSession, event: Event, envelope: Envelope) -> None:
    """Keep the local copy of a unit current (staffing.unit.registered/updated)."""
    assert isinstance(event, UnitFacts)
    await apply_unit_facts(session, Unit, event, envelope)


async def on_reservation_confirmed(session: AsyncSession, event: Event, envelope: Envelope) -> None:
    assert isinstance(event, ReservationConfirmed)
    await reservation_confirmed(session, event)


async def on_reservation_rejected(session: AsyncSession, event: Event, envelope: Envelope) -> None:
    assert isinstance(event, ReservationRejected)
    await reservation_rejected(session, event)


async def on_reservation_released(session: AsyncSession, event: Event, envelope: Envelope) -> None:
    assert isinstance(event, ReservationReleased)
    await reservation_released(session, event)


async def on_staff_hired(session: AsyncSession, event: Event, envelope: Envelope) -> None:
    assert isinstance(event, StaffHired)
    await onboarded(session, event, envelope.source)


async def on_hire_refused(session: AsyncSession, event: Event, envelope: Envelope) -> None:
    assert isinstance(event, HireRefused)
    await hire_refused(session, event, envelope.source)


HANDLERS = {
    "staffing": {
        "staffing.unit.registered": on_unit_changed,
        "staffing.unit.updated": on_unit_changed,
        ReservationConfirmed.event_type: on_reservation_confirmed,
        ReservationRejected.event_type: on_reservation_rejected,
        ReservationReleased.event_type: on_reservation_released,
        StaffHired.event_type: on_staff_hired,
        HireRefused.event_type: on_hire_refused,
    },
    "talent": {
        ApplicationStatusChanged.event_type: webhook_status_changed,
        PostingPublished.event_type: webhook_posting_opened,
        PostingClosed.event_type: webhook_posting_closed,
        CandidateErased.event_type: webhook_candidate_erased,
    },
}
