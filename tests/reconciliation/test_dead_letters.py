"""Dead letters over a real NATS: listed with the reason, replayed once the cause is fixed by
the consumer that gave up (nothing is published again, so the one that had applied it sees
nothing), kept while the cause is not fixed, and replayed only by the service that parked it."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from common.bus import Bus
from common.db import Database
from common.deadletters import (
    DeadLetterNotFound,
    DeadLetterStillFails,
    consumer_backlogs,
    dead_letters,
    replay,
)
from common.inbox import Consumer
from contracts.base import Envelope, Event
from contracts.staffing import UnitRegistered
from services.sharing.models import messaging as sharing_messaging
from services.talent.models import messaging as talent_messaging
from tests.common.test_events import EffectCounter
from tests.staffing.support import CITY_HR, COMMISSION, staffing
from tests.support import Identity, NatsServer, eventually

pytestmark = pytest.mark.nats


class Flaky(EffectCounter):
    """A handler that fails until its cause is fixed."""

    broken = True

    async def __call__(self, session, event: Event, envelope: Envelope) -> None:
        if self.broken:
            raise RuntimeError("the unit's district is not known yet")
        await super().__call__(session, event, envelope)


async def test_a_dead_letter_is_listed_then_replayed_once_fixed_and_applied_once(
    make_database, nats_server: NatsServer
):
    sharing_db = Database(await make_database("sharing"))
    talent_db = Database(await make_database("talent"))
    bus = Bus(nats_server.url, name="test")
    await bus.connect()
    flaky, steady = Flaky(sharing_db), EffectCounter(talent_db)
    await flaky.prepare()
    await steady.prepare()
    consumers = [
        Consumer(
            service="sharing",
            publisher="staffing",
            db=sharing_db,
            bus=bus,
            inbox=sharing_messaging.inbox,
            handlers={"staffing.unit.registered": flaky},
            max_attempts=1,
        ),
        Consumer(
            service="talent",
            publisher="staffing",
            db=talent_db,
            bus=bus,
            inbox=talent_messaging.inbox,
            handlers={"staffing.unit.registered": steady},
        ),
    ]
    tasks = [asyncio.create_task(c.run()) for c in consumers]
    try:
        event = UnitRegistered(unit_id=uuid.uuid4(), kind="school", code="S-DLQ", name="学校")
        envelope = Envelope.wrap(event, source="teacherpool/staffing", subject=str(event.unit_id))
        await bus.js.publish(
            event.event_type,
            envelope.model_dump_json().encode(),
            headers={"Nats-Msg-Id": str(envelope.id)},
        )

        async def parked() -> bool:
            return len(await dead_letters(bus.js)) == 1 and await steady.count() == 1

        await eventually(parked)
        (letter,) = await dead_letters(bus.js, service="sharing")
        assert letter.subject == "staffing.unit.registered"
        assert letter.event_id == str(envelope.id)
        assert letter.event_type == "staffing.unit.registered"
        assert "the unit's district is not known yet" in letter.reason
        assert await dead_letters(bus.js, service="talent") == []
        assert await flaky.count() == 0

        with pytest.raises(DeadLetterStillFails, match="district is not known"):
            await replay(bus.js, letter.sequence, consumers)
        assert [d.sequence for d in await dead_letters(bus.js)] == [letter.sequence]
        with pytest.raises(DeadLetterNotFound):  # talent did not park it: not talent's to replay
            await replay(bus.js, letter.sequence, consumers[1:])

        flaky.broken = False
        replayed = await replay(bus.js, letter.sequence, consumers)
        assert replayed.event_id == str(envelope.id)
        assert await flaky.count() == 1
        assert await steady.count() == 1, "the consumer that had applied it applied it again"
        assert await dead_letters(bus.js) == []
        assert sum(b.in_flight for b in await consumer_backlogs(bus.js)) == 0
        with pytest.raises(DeadLetterNotFound):
            await replay(bus.js, letter.sequence, consumers)
    finally:
        for consumer in consumers:
            consumer.stop()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await bus.close()
        await sharing_db.dispose()
        await talent_db.dispose()


async def test_a_service_replays_only_its_own_dead_letters_for_city_hr_and_keeps_one_that_fails(
    make_database, nats_server: NatsServer, identity: Identity
):
    """`POST /v1/internal/dead-letters/{sequence}/replay` on the service that parked it."""
    bus = Bus(nats_server.url, name="test")
    await bus.connect()
    async with staffing(identity, await make_database("staffing"), nats_server.url) as api:
        try:
            # A message staffing's consumer of talent's stream cannot read: parked at once.
            await bus.js.publish(
                "talent.posting.opened", b"{not json", headers={"Nats-Msg-Id": "poison"}
            )
            await bus.js.publish(
                "dlq.sharing", b"{}", headers={"Tp-Original-Subject": "staffing.unit.registered"}
            )

            async def parked() -> bool:
                return len(await dead_letters(bus.js, service="staffing")) == 1

            await eventually(parked)
            (letter,) = await dead_letters(bus.js, service="staffing")
            (others,) = await dead_letters(bus.js, service="sharing")
            path = f"/v1/internal/dead-letters/{letter.sequence}/replay"

            refused = await api.call("POST", path, COMMISSION)
            assert refused.status_code == 403, refused.text
            still = await api.call("POST", path, CITY_HR)
            assert still.status_code == 409, still.text
            assert still.headers["content-type"] == "application/problem+json"
            assert "malformed event" in still.json()["reason"]
            assert [d.sequence for d in await dead_letters(bus.js, service="staffing")] == [
                letter.sequence
            ]
            for sequence, status in ((others.sequence, 404), (10**9, 404), (0, 422)):
                answer = await api.call(
                    "POST", f"/v1/internal/dead-letters/{sequence}/replay", CITY_HR
                )
                assert answer.status_code == status, (sequence, answer.text)
            assert len(await dead_letters(bus.js)) == 2
        finally:
            await bus.close()
