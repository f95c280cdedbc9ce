"""The webhook payloads of the talent service's own events, one builder each, queued as
deliveries to the partners that should hear of them."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.base import Envelope, Event
from contracts.talent import (
    ApplicationStatusChanged,
    CandidateErased,
    PostingClosed,
    PostingPublished,
)
from services.talent.postings import repository as postings
from services.talent.webhooks import repository as webhooks
from services.talent.webhooks.service import fan_out


async def webhook_status_changed(session: AsyncSession, event: Event, envelope: Envelope) -> None:
    """application.status_changed, to the partner that pushed the application."""
    assert isinstance(event, ApplicationStatusChanged)
    if event.partner_id is None:
        return
    await fan_out(
        session,
        envelope,
        "application.status_changed",
        {
            "application_id": str(event.application_id),
            "posting_id": str(event.posting_id),
            "candidate_id": str(event.candidate_id),
            "external_id": await webhooks.external_id(
                session, event.partner_id, event.candidate_id
            ),
            "from_status": event.from_status,
            "to_status": event.to_status,
            "changed_at": envelope.time.isoformat(),
        },
        partner_ids=[event.partner_id],
    )


async def webhook_posting_opened(session: AsyncSession, event: Event, envelope: Envelope) -> None:
    """posting.opened, to every partner that subscribed."""
    assert isinstance(event, PostingPublished)
    posting = await postings.get(session, event.posting_id)
    await fan_out(
        session,
        envelope,
        "posting.opened",
        {
            "posting_id": str(event.posting_id),
            "unit_id": str(event.unit_id),
            "quota_type": event.quota_type,
            "count": event.count,
            "title": posting.title if posting else None,
            "subject": posting.subject if posting else None,
            "stage": posting.stage if posting else None,
        },
        partner_ids=None,
    )


async def webhook_posting_closed(session: AsyncSession, event: Event, envelope: Envelope) -> None:
    """posting.closed, to every partner that subscribed, for postings partners could see."""
    assert isinstance(event, PostingClosed)
    posting = await postings.get(session, event.posting_id)
    if posting is None or posting.opened_at is None:
        return
    await fan_out(
        session,
        envelope,
        "posting.closed",
        {"posting_id": str(event.posting_id), "reason": event.reason},
        partner_ids=None,
    )


async def webhook_candidate_erased(session: AsyncSession, event: Event, envelope: Envelope) -> None:
    """candidate.erased, to the partners that pushed the person: they should erase too."""
    assert isinstance(event, CandidateErased)
    partners = await webhooks.partners_of_candidate(session, event.candidate_id)
    await fan_out(
        session,
        envelope,
        "candidate.erased",
        {"candidate_id": str(event.candidate_id), "reason": event.reason},
        partner_ids=partners,
        per_partner={
            p: {"external_id": await webhooks.external_id(session, p, event.candidate_id)}
            for p in partners
        },
    )
