"""Consumers of talent's events: one function per event type, each calling a service."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.base import Envelope, Event
from contracts.talent import CandidateHired, PostingClosed, PostingOpened
from services.staffing.reservations import service


async def on_posting_opened(session: AsyncSession, event: Event, envelope: Envelope) -> None:
    assert isinstance(event, PostingOpened)
    await service.reserve(session, event, envelope.source)


async def on_candidate_hired(session: AsyncSession, event: Event, envelope: Envelope) -> None:
    assert isinstance(event, CandidateHired)
    await service.fill(session, event, envelope.source)


async def on_posting_closed(session: AsyncSession, event: Event, envelope: Envelope) -> None:
    assert isinstance(event, PostingClosed)
    await service.release(session, event, envelope.source)


HANDLERS = {
    PostingOpened.event_type: on_posting_opened,
    CandidateHired.event_type: on_candidate_hired,
    PostingClosed.event_type: on_posting_closed,
}
