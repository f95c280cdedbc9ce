"""Events handed from one service's outbox to another's consumer in-process, as NATS would.

Each event goes through the consuming service's own handler and is recorded in its inbox, in
one transaction, exactly as its consumer does (`Consumer.apply_many`), so a test can bring the
three services' databases to where they stand once every event has arrived, without NATS or a
running service. Nothing is marked published.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from sqlalchemy import Table, select

from common.bus import Bus
from common.db import Database
from common.inbox import Consumer, Handler
from contracts.base import Envelope
from services.sharing.consumers import HANDLERS as SHARING_CONSUMES
from services.sharing.models import messaging as sharing_messaging
from services.staffing.consumers import HANDLERS as STAFFING_FROM_TALENT
from services.staffing.consumers import SHARING_HANDLERS as STAFFING_FROM_SHARING
from services.staffing.models import messaging as staffing_messaging
from services.talent.consumers import HANDLERS as TALENT_CONSUMES
from services.talent.models import messaging as talent_messaging


@dataclass(frozen=True, slots=True)
class Route:
    """One consumer of one publisher: its handlers and its inbox."""

    publisher: str
    consumer: str
    handlers: Mapping[str, Handler]
    inbox: Table


OUTBOXES = {
    "staffing": staffing_messaging.outbox,
    "sharing": sharing_messaging.outbox,
    "talent": talent_messaging.outbox,
}

#: Who consumes what among the three services, as their apps subscribe.
ROUTES = (
    Route("talent", "staffing", STAFFING_FROM_TALENT, staffing_messaging.inbox),
    Route("sharing", "staffing", STAFFING_FROM_SHARING, staffing_messaging.inbox),
    Route("staffing", "sharing", SHARING_CONSUMES["staffing"], sharing_messaging.inbox),
    Route("staffing", "talent", TALENT_CONSUMES["staffing"], talent_messaging.inbox),
    Route("talent", "talent", TALENT_CONSUMES["talent"], talent_messaging.inbox),
)

#: Events applied per transaction.
BATCH = 500


async def deliver(
    urls: Mapping[str, str], *, types: Collection[str] | None = None, max_rounds: int = 20
) -> int:
    """Hand every event of `types` (all, by default) to its consumers until none is left
    unanswered: an answer's own events go round again. Returns the events applied."""
    databases = {name: Database(urls[name]) for name in OUTBOXES}
    try:
        consumers = [
            (
                route,
                Consumer(
                    service=route.consumer,
                    publisher=route.publisher,
                    db=databases[route.consumer],
                    # Never connected: apply_many runs the handlers against the database alone.
                    bus=Bus("nats://127.0.0.1:4222", name=route.consumer),
                    inbox=route.inbox,
                    handlers=route.handlers,
                ),
            )
            for route in ROUTES
        ]
        done: set[tuple[str, str]] = set()
        applied = 0
        for _ in range(max_rounds):
            fresh = 0
            for publisher, table in OUTBOXES.items():
                wanted = [
                    (route, consumer)
                    for route, consumer in consumers
                    if route.publisher == publisher
                ]
                kinds = {t for route, _ in wanted for t in route.handlers}
                if types is not None:
                    kinds &= set(types)
                if not kinds:
                    continue
                async with databases[publisher].session(read_only=True) as session:
                    rows = (
                        await session.execute(
                            select(table.c.id, table.c.type, table.c.envelope)
                            .where(table.c.type.in_(sorted(kinds)))
                            .order_by(table.c.created_at, table.c.id)
                        )
                    ).all()
                for route, consumer in wanted:
                    items = []
                    for row in rows:
                        key = (route.consumer, row.id)
                        if row.type not in route.handlers or key in done:
                            continue
                        done.add(key)
                        envelope = Envelope.model_validate_json(row.envelope)
                        items.append((envelope, envelope.parse_data()))
                    for start in range(0, len(items), BATCH):
                        outcomes = await consumer.apply_many(items[start : start + BATCH])
                        fresh += sum(outcomes)
            applied += fresh
            if not fresh:
                return applied
        raise RuntimeError(f"events still answering each other after {max_rounds} rounds")
    finally:
        for db in databases.values():
            await db.dispose()
