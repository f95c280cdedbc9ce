"""No double booking: racing acceptances for one teacher's periods, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from common.db import Database, utcnow
from services.sharing.models import Assignment, Offer
from tests.sharing.support import add_request, add_teacher, school_id
from tests.support import principal

CAP = 12
#: 20 distinct slots (every other period, so no two are adjacent), five offers for each.
SLOTS = [(w, p) for w in range(1, 6) for p in (1, 3, 5, 7)]


async def consented_offer(db: Database, request_id: uuid.UUID, teacher_id: uuid.UUID) -> uuid.UUID:
    offer = Offer(
        request_id=request_id,
        teacher_id=teacher_id,
        home_unit_id=school_id(2),
        host_unit_id=school_id(1),
        status="consented",
        expires_at=utcnow() + timedelta(days=1),
        created_by="test",
    )
    async with db.session() as session:
        session.add(offer)
    return offer.id


@pytest.mark.slow
async def test_hundred_racing_accepts_book_each_slot_once_and_keep_the_cap(client, db, identity):
    teacher_id = await add_teacher(db, 2, cap=CAP)
    offers = []
    for slot in SLOTS:
        for _ in range(5):
            offers.append(await consented_offer(db, await add_request(db, 1, [slot]), teacher_id))
    headers = identity.headers(principal("teacher", teacher_id=teacher_id))

    responses = await asyncio.gather(
        *(client.post(f"/v1/offers/{offer_id}/accept", headers=headers) for offer_id in offers)
    )

    codes = [r.status_code for r in responses]
    assert set(codes) <= {200, 409}, [r.text for r in responses if r.status_code not in (200, 409)]
    assert codes.count(200) == CAP
    refusals = [r.json() for r in responses if r.status_code == 409]
    assert all(
        p["type"] in ("/problems/timetable-clash", "/problems/over-weekly-cap") for p in refusals
    )
    assert any("is taken by assignment" in p["detail"] for p in refusals)
    async with db.session(read_only=True) as session:
        booked = list(
            (
                await session.execute(
                    select(Assignment).where(
                        Assignment.teacher_id == teacher_id, Assignment.status == "active"
                    )
                )
            ).scalars()
        )
    assert len(booked) == CAP
    masks = [a.slot_mask for a in booked]
    assert len(set(masks)) == CAP  # never two assignments in one period
    assert sum(a.periods for a in booked) <= CAP
