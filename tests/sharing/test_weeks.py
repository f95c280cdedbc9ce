"""Lessons as weeks go: a teacher marks a week given, the host confirms a week, a cover (代课)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlmodel import col

from services.sharing.models import Lesson
from tests.sharing.support import DISTRICT, add_request, add_teacher, school_id
from tests.sharing.test_calendar import book
from tests.support import principal


async def statuses(db, assignment_id) -> dict[date, str]:
    async with db.session(read_only=True) as session:
        rows = await session.execute(
            select(col(Lesson.taught_on), col(Lesson.status)).where(
                col(Lesson.assignment_id) == assignment_id
            )
        )
        return dict(rows.all())


async def test_a_week_marked_given_confirmed_and_a_cover_not_paid(client, db, identity):
    teacher_id = await add_teacher(db, 2)
    monday = date.today() - timedelta(days=date.today().weekday() + 14)  # two weeks ago
    request_id = await add_request(db, 1, [(1, 2), (3, 3), (5, 1)], term_start=monday, weeks=3)
    assignment_id = await book(db, request_id, teacher_id, monday)
    as_teacher = identity.headers(principal("teacher", teacher_id=teacher_id))
    host = identity.headers(principal("school_admin", unit_id=school_id(1), district_id=DISTRICT))
    async with db.session(read_only=True) as session:
        friday = (
            await session.execute(
                select(Lesson.id).where(
                    Lesson.assignment_id == assignment_id,
                    Lesson.taught_on == monday + timedelta(days=4),
                )
            )
        ).scalar_one()
    covered = await client.post(
        f"/v1/lessons/{friday}/cover",
        headers=host,
        json={"covered_by": "王老师（本校）", "note": "共享教师病假"},
    )
    assert covered.status_code == 200, covered.text
    assert covered.json()["status"] == "covered"
    not_teacher = await client.post(
        f"/v1/lessons/{friday}/cover", headers=as_teacher, json={"covered_by": "x"}
    )
    assert not_teacher.status_code in (403, 404)

    marked = await client.post(
        "/v1/lessons/week-given", headers=as_teacher, json={"week_of": str(monday + timedelta(2))}
    )
    assert marked.status_code == 200, marked.text
    assert len(marked.json()["lesson_ids"]) == 2  # Monday and Wednesday; Friday was covered
    confirmed = await client.post(
        "/v1/lessons/week-confirm", headers=host, json={"week_of": str(monday)}
    )
    assert len(confirmed.json()["lesson_ids"]) == 2
    week = await statuses(db, assignment_id)
    assert [week[monday + timedelta(d)] for d in (0, 2, 4)] == ["confirmed", "confirmed", "covered"]
    assert week[monday + timedelta(7)] == "scheduled"  # the next week is untouched

    found = await client.get("/v1/lessons", headers=host, params={"status": "covered"})
    assert [x["covered_by"] for x in found.json()["data"]] == ["王老师（本校）"]


async def test_a_lesson_marked_given_before_its_day_names_its_day(client, db, identity):
    teacher_id = await add_teacher(db, 2)
    monday = date.today() + timedelta(days=7 - date.today().weekday())  # next Monday
    request_id = await add_request(db, 1, [(1, 2)], term_start=monday, weeks=1)
    assignment_id = await book(db, request_id, teacher_id, date.today())
    async with db.session(read_only=True) as session:
        lesson_id = (
            await session.execute(
                select(Lesson.id).where(
                    Lesson.assignment_id == assignment_id, Lesson.taught_on == monday
                )
            )
        ).scalar_one()
    as_teacher = identity.headers(principal("teacher", teacher_id=teacher_id))
    early = await client.post(f"/v1/lessons/{lesson_id}/given", headers=as_teacher)
    assert early.status_code == 409
    body = early.json()
    assert (body["type"], body["taught_on"]) == ("/problems/lesson-not-yet-due", str(monday))
    assert (await statuses(db, assignment_id))[monday] == "scheduled"
