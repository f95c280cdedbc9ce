"""Consumers of talent's and sharing's events: one function per event type, each calling a
service."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.base import Envelope, Event
from contracts.sharing import LibraryDecided, LibraryLeft, SettlementIssued
from contracts.talent import CandidateHired, PostingClosed, PostingOpened
from services.staffing.reports import service as reports
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


async def on_library_decided(session: AsyncSession, event: Event, envelope: Envelope) -> None:
    assert isinstance(event, LibraryDecided)
    await reports.library_decided(session, event)


async def on_library_left(session: AsyncSession, event: Event, envelope: Envelope) -> None:
    assert isinstance(event, LibraryLeft)
    await reports.library_left(session, event)


async def on_settlement_issued(session: AsyncSession, event: Event, envelope: Envelope) -> None:
    assert isinstance(event, SettlementIssued)
    await reports.settlement_issued(session, event)


SHARING_HANDLERS = {
    LibraryDecided.event_type: on_library_decided,
    LibraryLeft.event_type: on_library_left,
    SettlementIssued.event_type: on_settlement_issued,
}
