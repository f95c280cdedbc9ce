"""The gateway's consumers: every event kept in the event log, and what it tells people."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncSession

from common.bus import PUBLISHERS
from common.inbox import Handler
from contracts import REGISTRY, Envelope, Event
from contracts.base import without_personal
from gateway.models import EventRecord

#: The publishers whose streams the gateway reads (its own stream is audit only).


async def record_event(session: AsyncSession, event: Event, envelope: Envelope) -> None:
    """Keep the event under its entity: `staffing.loan.granted` about loan `<subject>`. Fields
    the contract marks personal are not kept: they stay in the owning service's store."""
    _, entity_type, _ = envelope.type.split(".")
    session.add(
        EventRecord(
            event_id=str(envelope.id),
            type=envelope.type,
            source=envelope.source,
            entity_type=entity_type,
            entity_id=envelope.subject,
            time=envelope.time,
            data=without_personal(envelope.type, envelope.data),
            traceparent=envelope.traceparent,
        )
    )


def handlers(*also: Handler) -> Mapping[str, Mapping[str, Handler]]:
    """One handler per registered event type, grouped by the stream that carries it.

    `also` run after the event is recorded, in the same transaction and so under the same inbox
    row: what they make (notifications) is made once, however often the event is delivered.
    """

    async def handle(session: AsyncSession, event: Event, envelope: Envelope) -> None:
        await record_event(session, event, envelope)
        for handler in also:
            await handler(session, event, envelope)

    by_publisher: dict[str, dict[str, Handler]] = {}
    for event_type in sorted(REGISTRY):
        publisher = event_type.split(".", 1)[0]
        if publisher in PUBLISHERS:
            by_publisher.setdefault(publisher, {})[event_type] = handle if also else record_event
    return by_publisher
