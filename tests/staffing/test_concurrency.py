"""No unit hires beyond its posts and the pool never overdraws, under 100 concurrent requests."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import func, select

from contracts.staffing import StaffHired
from services.staffing.models import messaging
from services.staffing.pool import service as pool
from services.staffing.pool.schemas import ApplicationCreate
from tests.staffing.support import COMMISSION, staffing
from tests.support import NatsServer

pytestmark = pytest.mark.slow

#: Rounds of each race: a few in the normal suite, 20 or more under `make soak`.
ROUNDS = int(os.environ.get("TP_RACE_ROUNDS", "5"))
RACERS = 100
POSTS = 20


async def test_hundred_hires_race_for_twenty_posts(
    make_database, identity, nats_server: NatsServer
):
    async with staffing(identity, await make_database("staffing"), nats_server.url) as api:
        district = await api.district("D1")
        for round_no in range(ROUNDS):
            school = await api.school(district["id"], f"S{round_no}", posts=POSTS)
            responses = await asyncio.gather(*(api.hire(school["id"]) for _ in range(RACERS)))
            assert Counter(r.status_code for r in responses) == {201: POSTS, 409: RACERS - POSTS}
            for refused in (r for r in responses if r.status_code == 409):
                problem = refused.json()
                assert refused.headers["content-type"] == "application/problem+json"
                assert "0 vacant bianzhi posts" in problem["detail"]
            quota = await api.quota(school["id"])
            assert (quota["occupied"], quota["vacant"]) == (POSTS, 0)
        assert await api.verify() == []
        # A refused hire wrote no event either: one StaffHired for each person on the roster.
        async with api.db.session(read_only=True) as session:
            announced = await session.scalar(
                select(func.count())
                .select_from(messaging.outbox)
                .where(messaging.outbox.c.type == StaffHired.event_type)
            )
        assert announced == POSTS * ROUNDS


async def submit(api, unit_id: str) -> list[uuid.UUID]:
    """The racing applications, made in one transaction: the race is the decisions."""
    data = ApplicationCreate(
        unit_id=unit_id,
        requested=1,
        reason_kind="enrolment_growth",
        reason="扩班",
        term_years=3,
    )
    async with api.db.session() as session:
        return [
            (await pool.submit_application(session, COMMISSION, data, date(2026, 11, 26))).id
            for _ in range(RACERS)
        ]


async def test_hundred_approvals_race_for_twenty_pooled_posts(
    make_database, identity, nats_server: NatsServer
):
    async with staffing(identity, await make_database("staffing"), nats_server.url) as api:
        district = await api.district("D1")
        lender = await api.school(district["id"], "LENDER", posts=POSTS * ROUNDS)
        borrower = await api.school(district["id"], "BORROWER")
        for round_no in range(ROUNDS):
            await api.ok(
                "POST",
                "/v1/pools/bianzhi/deposits",
                json={
                    "unit_id": lender["id"],
                    "count": POSTS,
                    "document_no": f"收储{round_no}",
                    "reason": "富余",
                },
            )
            applications = await submit(api, borrower["id"])
            responses = await asyncio.gather(
                *(
                    api.call(
                        "POST",
                        f"/v1/pool-applications/{a}/decision",
                        json={"outcome": "approve", "reason": "同意"},
                    )
                    for a in applications
                )
            )
            assert Counter(r.status_code for r in responses) == {201: POSTS, 409: RACERS - POSTS}
            for refused in (r for r in responses if r.status_code == 409):
                assert "the bianzhi pool holds 0 posts" in refused.json()["detail"]
            assert (await api.pool())["balance"] == 0
            quota = await api.quota(borrower["id"])
            assert quota["borrowed"] == quota["approved"] == POSTS * (round_no + 1)
        assert await api.verify() == []
