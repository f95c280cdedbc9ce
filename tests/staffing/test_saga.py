"""The posting saga over a real NATS: reserve, hire, release, and a departure that repays first."""

from __future__ import annotations

import uuid

import nats
import pytest
from nats.js.api import DeliverPolicy

from common.bus import Bus
from contracts.base import Envelope, Event
from contracts.talent import CandidateHired, PostingClosed, PostingOpened
from tests.staffing.support import staffing
from tests.support import NatsServer, eventually

pytestmark = pytest.mark.nats


async def publish(bus: Bus, event: Event) -> None:
    envelope = Envelope.wrap(event, source="teacherpool/talent", subject=str(uuid.uuid4()))
    await bus.js.publish(
        event.event_type,
        envelope.model_dump_json().encode(),
        headers={"Nats-Msg-Id": str(envelope.id)},
    )


class StaffingEvents:
    """What staffing has published so far, read from its stream."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.seen: list[Envelope] = []

    async def __aenter__(self) -> StaffingEvents:
        self.nc = await nats.connect(self.url)
        self.sub = await self.nc.jetstream().subscribe(
            "staffing.>", ordered_consumer=True, deliver_policy=DeliverPolicy.NEW
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.sub.unsubscribe()
        await self.nc.close()

    async def types(self) -> list[str]:
        while True:
            try:
                msg = await self.sub.next_msg(timeout=0.05)
            except TimeoutError:
                return [e.type for e in self.seen]
            self.seen.append(Envelope.model_validate_json(msg.data))

    async def has(self, event_type: str) -> bool:
        return event_type in await self.types()


async def test_posting_saga_then_departure_repays_the_loan_first(
    make_database, identity, nats_server: NatsServer
):
    talent = Bus(nats_server.url, name="talent-test")
    await talent.connect(retry_forever=False)
    try:
        async with staffing(identity, await make_database("staffing"), nats_server.url) as api:
            district = await api.district("D1")
            lender = await api.school(district["id"], "LENDER", posts=3)
            school = await api.school(district["id"], "S1", posts=1)
            await api.ok(
                "POST",
                "/v1/pools/bianzhi/deposits",
                json={
                    "unit_id": lender["id"],
                    "count": 1,
                    "document_no": "收储1",
                    "reason": "富余",
                },
            )
            application = await api.ok(
                "POST",
                "/v1/pool-applications",
                json={
                    "unit_id": school["id"],
                    "requested": 1,
                    "reason_kind": "high_level_talent",
                    "reason": "蓉漂人才荟",
                    "term_years": 3,
                },
            )
            await api.ok(
                "POST",
                f"/v1/pool-applications/{application['id']}/decision",
                json={"outcome": "approve", "reason": "同意"},
            )
            posting = uuid.uuid4()
            async with StaffingEvents(nats_server.url) as events:
                too_big = uuid.uuid4()
                await publish(
                    talent,
                    PostingOpened(
                        posting_id=too_big,
                        unit_id=uuid.UUID(school["id"]),
                        quota_type="bianzhi",
                        count=3,
                    ),
                )
                await eventually(lambda: events.has("staffing.reservation.rejected"))
                await publish(
                    talent,
                    PostingOpened(
                        posting_id=posting,
                        unit_id=uuid.UUID(school["id"]),
                        quota_type="bianzhi",
                        count=2,
                    ),
                )
                await eventually(lambda: events.has("staffing.reservation.confirmed"))
                assert (await api.quota(school["id"]))["reserved"] == 2
                await publish(
                    talent,
                    CandidateHired(
                        posting_id=posting,
                        application_id=uuid.uuid4(),
                        candidate_id=uuid.uuid4(),
                        name="李老师",
                        sex="male",
                        birth_date="1990-05-01",
                        hire_date="2026-09-01",
                        subject="物理",
                        stage="junior",
                    ),
                )
                await eventually(lambda: events.has("staffing.staff.hired"))
                await publish(talent, PostingClosed(posting_id=posting))
                await eventually(lambda: events.has("staffing.reservation.released"))
                quota = await api.quota(school["id"])
                assert (quota["approved"], quota["occupied"], quota["reserved"]) == (2, 1, 0)
                assert quota["borrowed"] == 1
                rejected = next(e for e in events.seen if e.type == "staffing.reservation.rejected")
                assert "needs 3" in rejected.data["reason"]
                hired = next(e for e in events.seen if e.type == "staffing.staff.hired")
                staff_id = hired.data["staff_id"]
                await api.ok("POST", f"/v1/staff/{staff_id}/departure", json={"reason": "resigned"})
                await eventually(lambda: events.has("staffing.staff.left"))
                assert await events.has("staffing.loan.repaid")
                repaid = next(e for e in events.seen if e.type == "staffing.loan.repaid")
                assert repaid.data["how"] == "departure" and repaid.data["outstanding"] == 0
                left = next(e for e in events.seen if e.type == "staffing.staff.left")
                assert left.data["repaid_loan_id"] == repaid.data["loan_id"]
            quota = await api.quota(school["id"])
            assert (quota["approved"], quota["occupied"], quota["borrowed"]) == (1, 0, 0)
            assert (await api.pool())["balance"] == 1
            assert await api.verify() == []
    finally:
        await talent.close()
