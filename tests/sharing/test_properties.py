"""Whatever the service accepts has no clash (travel included) and keeps every weekly cap."""

from __future__ import annotations

import uuid
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from common.auth import Principal
from common.clock import local_today
from common.db import utcnow
from common.errors import Conflict
from services.sharing.models import Assignment, Offer, Teacher
from services.sharing.offers import service as offers
from services.sharing.timetable import SchoolDay, slots_of
from tests.sharing.support import SCHOOLS, add_request, add_teacher, clash_free, school_id

slot = st.tuples(st.integers(1, 2), st.integers(1, 8))
wish = st.tuples(
    st.sampled_from([1, 3, 4, 5, 6, 9]),
    st.sets(slot, min_size=1, max_size=3),
    st.sampled_from(["in_person", "in_person", "online"]),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    home=st.sets(slot, max_size=4),
    cap=st.integers(0, 6),
    wishes=st.lists(wish, min_size=1, max_size=6),
)
async def test_accepted_assignments_never_clash_and_keep_the_cap(db, city, home, cap, wishes):
    teacher_id = await add_teacher(db, 2, home=sorted(home), cap=cap)
    me = Principal(sub=f"user:{teacher_id}", role="teacher", teacher_id=teacher_id)
    for host, slots, mode in wishes:
        request_id = await add_request(db, host, sorted(slots), mode=mode)
        offer = Offer(
            request_id=request_id,
            teacher_id=teacher_id,
            home_unit_id=school_id(2),
            host_unit_id=school_id(host),
            status="consented",
            expires_at=utcnow() + timedelta(days=1),
            created_by="test",
        )
        async with db.session() as session:
            session.add(offer)
        try:
            async with db.session() as session:
                await offers.accept(session, me, offer.id, SchoolDay(), utcnow(), local_today())
        except Conflict:
            pass
    async with db.session(read_only=True) as session:
        teacher = await session.get(Teacher, teacher_id)
        booked = list(
            (
                await session.execute(select(Assignment).where(Assignment.teacher_id == teacher_id))
            ).scalars()
        )
    assert teacher is not None
    assert sum(a.periods for a in booked) <= cap
    home_place = SCHOOLS[2]
    bookings = [(set(slots_of(teacher.home_timetable)), home_place)] + [
        (
            set(slots_of(a.slot_mask)),
            SCHOOLS[_school_number(a.host_unit_id)] if a.mode == "in_person" else home_place,
        )
        for a in booked
    ]
    assert clash_free(bookings)


def _school_number(unit_id: uuid.UUID) -> int:
    return int(unit_id.hex[-12:])
