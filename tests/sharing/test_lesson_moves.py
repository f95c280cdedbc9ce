"""调课: the shared teacher or the host school proposes moving a lesson, the other side answers;
clash and travel checks apply when proposed and again when accepted."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import select
from sqlmodel import col

from services.sharing.models import Assignment, Lesson, messaging
from services.sharing.schoolcal.service import reschedule
from tests.sharing.support import DISTRICT, OTHER_DISTRICT, add_request, add_teacher, school_id
from tests.sharing.test_calendar import book
from tests.support import principal

MONDAY = date.today() + timedelta(days=7 - date.today().weekday())  # next Monday


async def lesson_on(db, assignment_id: uuid.UUID, day: date, period: int) -> Lesson | None:
    async with db.session(read_only=True) as session:
        stmt = select(Lesson).where(
            col(Lesson.assignment_id) == assignment_id,
            col(Lesson.taught_on) == day,
            col(Lesson.period) == period,
        )
        return (await session.execute(stmt)).scalar_one_or_none()


async def setup(db, identity):
    """A teacher of school 2, busy at home on Tuesday period 3, shared to school 1 on Monday
    period 2 and Wednesday period 3 for three weeks from next Monday."""
    teacher_id = await add_teacher(db, 2, home=[(2, 3)])
    request_id = await add_request(db, 1, [(1, 2), (3, 3)], term_start=MONDAY, weeks=3)
    assignment_id = await book(db, request_id, teacher_id, date.today())
    teacher = identity.headers(principal("teacher", teacher_id=teacher_id))
    host = identity.headers(principal("school_admin", unit_id=school_id(1), district_id=DISTRICT))
    monday = await lesson_on(db, assignment_id, MONDAY, 2)
    assert monday is not None
    return teacher_id, assignment_id, teacher, host, monday.id


async def test_a_move_proposed_by_the_teacher_and_accepted_by_the_host(client, db, identity):
    _, assignment_id, teacher, host, lesson_id = await setup(db, identity)
    tuesday = MONDAY + timedelta(days=1)
    proposed = await client.post(
        f"/v1/lessons/{lesson_id}/moves",
        headers=teacher,
        json={"to_date": str(tuesday), "to_period": 5, "reason": "周一参加区教研活动"},
    )
    assert proposed.status_code == 201, proposed.text
    move = proposed.json()
    assert (move["status"], move["proposed_by"]) == ("proposed", "teacher")
    assert (move["from_date"], move["from_period"]) == (str(MONDAY), 2)

    again = await client.post(
        f"/v1/lessons/{lesson_id}/moves",
        headers=host,
        json={"to_date": str(tuesday), "to_period": 6, "reason": "另一个时间"},
    )
    assert again.status_code == 409
    assert again.json()["type"].endswith("/move-already-proposed")

    own = await client.post(
        f"/v1/lesson-moves/{move['id']}/answer", headers=teacher, json={"accept": True}
    )
    assert own.status_code == 403  # the proposer cannot accept their own move
    assert (await lesson_on(db, assignment_id, MONDAY, 2)) is not None

    waiting = await client.get("/v1/lesson-moves", headers=host, params={"status": "proposed"})
    assert [m["id"] for m in waiting.json()["data"]] == [move["id"]]

    accepted = await client.post(
        f"/v1/lesson-moves/{move['id']}/answer", headers=host, json={"accept": True}
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted"
    assert await lesson_on(db, assignment_id, MONDAY, 2) is None
    moved = await lesson_on(db, assignment_id, tuesday, 5)
    assert moved is not None and moved.id == lesson_id
    assert (moved.moved_from, moved.moved_from_period, moved.status) == (MONDAY, 2, "scheduled")
    listed = await client.get("/v1/lessons", headers=teacher, params={"since": str(tuesday)})
    assert str(MONDAY) in [x["moved_from"] for x in listed.json()["data"]]

    twice = await client.post(
        f"/v1/lesson-moves/{move['id']}/answer", headers=host, json={"accept": False}
    )
    assert twice.status_code == 409  # answered already
    assert (twice.json()["state"], twice.json()["state_of"]) == ("accepted", "lesson_move")

    async with db.session(read_only=True) as session:
        types = (
            await session.execute(
                select(messaging.outbox.c.type).order_by(messaging.outbox.c.created_at)
            )
        ).scalars()
        assert [t for t in types if t.startswith("sharing.lesson.move")] == [
            "sharing.lesson.move_proposed",
            "sharing.lesson.move_answered",
        ]
    # a calendar change later keeps the moved lesson and does not bring back the old slot
    async with db.session() as session:
        assignment = await session.get(Assignment, assignment_id)
        await reschedule(session, assignment, date.today(), "校历调整")
    assert await lesson_on(db, assignment_id, MONDAY, 2) is None
    assert (await lesson_on(db, assignment_id, tuesday, 5)).status == "scheduled"


async def test_declined_and_withdrawn_moves_leave_the_lesson_where_it_was(client, db, identity):
    _, assignment_id, teacher, host, lesson_id = await setup(db, identity)
    body = {"to_date": str(MONDAY + timedelta(days=3)), "to_period": 1, "reason": "运动会"}
    proposed = await client.post(f"/v1/lessons/{lesson_id}/moves", headers=host, json=body)
    assert proposed.status_code == 201, proposed.text
    declined = await client.post(
        f"/v1/lesson-moves/{proposed.json()['id']}/answer",
        headers=teacher,
        json={"accept": False, "note": "周四上午在本校有课"},
    )
    assert declined.json()["status"] == "declined"
    proposed = await client.post(f"/v1/lessons/{lesson_id}/moves", headers=host, json=body)
    withdrawn = await client.post(
        f"/v1/lesson-moves/{proposed.json()['id']}/answer", headers=host, json={"accept": False}
    )
    assert withdrawn.json()["status"] == "withdrawn"
    assert (await lesson_on(db, assignment_id, MONDAY, 2)) is not None
    assert (await lesson_on(db, assignment_id, MONDAY + timedelta(days=3), 1)) is None


async def test_a_move_must_land_on_a_free_school_day_within_the_assignment(client, db, identity):
    _, _, teacher, host, lesson_id = await setup(db, identity)

    async def propose(day: date, period: int, who: dict[str, str] = teacher):
        return await client.post(
            f"/v1/lessons/{lesson_id}/moves",
            headers=who,
            json={"to_date": str(day), "to_period": period, "reason": "调课"},
        )

    def field(response) -> str:
        return response.json()["errors"][0]["field"]

    saturday = await propose(MONDAY + timedelta(days=5), 2)
    assert saturday.status_code == 422 and field(saturday) == "body.to_date"
    past = await propose(date.today() - timedelta(days=1), 2)
    assert past.status_code == 422 and field(past) == "body.to_date"
    after = await propose(MONDAY + timedelta(weeks=4), 2)
    assert after.status_code == 422 and field(after) == "body.to_date"
    home = await propose(MONDAY + timedelta(days=1), 3, host)  # Tuesday period 3 at home
    assert home.status_code == 409 and field(home) == "body.to_period"
    assert home.json()["clash"]["kind"] == "overlap"
    own = await propose(MONDAY + timedelta(days=2), 3)  # its own Wednesday lesson
    assert own.status_code == 422 and field(own) == "body.to_period"
    bad = await client.post(
        f"/v1/lessons/{lesson_id}/moves",
        headers=teacher,
        json={"to_date": str(MONDAY), "to_period": 9, "reason": "调课"},
    )
    assert bad.status_code == 422 and field(bad) == "body.to_period"

    other_school = identity.headers(
        principal("school_admin", unit_id=school_id(3), district_id=DISTRICT)
    )
    assert (await propose(MONDAY + timedelta(days=1), 5, other_school)).status_code == 404
    async with db.session(read_only=True) as session:
        assert (await session.get(Lesson, lesson_id)).taught_on == MONDAY


async def test_a_move_next_to_a_lesson_far_away_needs_time_to_travel(client, db, identity):
    teacher_id, _, teacher, _, lesson_id = await setup(db, identity)
    # Thursday period 1 at school 9, about 55 km away in the other district
    far = await add_request(db, 9, [(4, 1)], term_start=MONDAY, weeks=3)
    await book(db, far, teacher_id, date.today())
    thursday = MONDAY + timedelta(days=3)
    near = await client.post(
        f"/v1/lessons/{lesson_id}/moves",
        headers=teacher,
        json={"to_date": str(thursday), "to_period": 2, "reason": "调课"},
    )
    assert near.status_code == 409, near.text
    assert near.json()["clash"]["kind"] == "travel"
    later = await client.post(
        f"/v1/lessons/{lesson_id}/moves",
        headers=teacher,
        json={"to_date": str(thursday), "to_period": 6, "reason": "调课"},
    )
    assert later.status_code == 201, later.text  # after lunch there is time to get there
    # the far school may not see the move of a lesson it does not host
    far_host = identity.headers(
        principal("school_admin", unit_id=school_id(9), district_id=OTHER_DISTRICT)
    )
    answer = await client.post(
        f"/v1/lesson-moves/{later.json()['id']}/answer", headers=far_host, json={"accept": True}
    )
    assert answer.status_code == 404
