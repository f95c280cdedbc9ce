"""The city's cycle end to end through the API: a roster teacher joins the library, is approved
and matched, teaches across 国庆 2026 (holidays skipped, the 调休 Saturday on Wednesday's
timetable), one lesson moved by agreement (调课) and one covered (代课), weeks marked and confirmed,
is evaluated, and is paid only for the lessons they gave, on a line for the host's district."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from services.sharing.lessons import endpoints as lesson_endpoints
from services.sharing.models import Lesson
from tests.sharing.support import DISTRICT, add_request, add_roster_teacher, school_id
from tests.sharing.test_calendar import book
from tests.sharing.test_library import listed
from tests.support import principal

SCORES = {"attitude": 5, "effect": 5, "attendance": 4, "feedback": 5}


async def test_join_match_teach_a_holiday_week_evaluate_and_pay(client, db, identity, monkeypatch):
    teacher_id = await add_roster_teacher(db, 2, certificates=[("primary", "音乐")])
    await listed(client, identity, teacher_id)
    hr = identity.headers(principal("district_hr", district_id=DISTRICT))
    host = identity.headers(principal("school_admin", unit_id=school_id(1), district_id=DISTRICT))
    as_teacher = identity.headers(principal("teacher", teacher_id=teacher_id))

    # Monday p2, Wednesday p3, Friday p1 over the two weeks around 国庆 2026.
    request_id = await add_request(
        db, 1, [(1, 2), (3, 3), (5, 1)], term_start=date(2026, 9, 28), weeks=2
    )
    ranked = await client.get(f"/v1/requests/{request_id}/candidates", headers=hr)
    assert str(teacher_id) in [c["teacher_id"] for c in ranked.json()["data"]]
    assignment_id = await book(db, request_id, teacher_id, date(2026, 9, 28))
    async with db.session(read_only=True) as session:
        found = await session.execute(
            select(Lesson.taught_on, Lesson.id).where(Lesson.assignment_id == assignment_id)
        )
        lessons = dict(found.all())
    # 1-7 Oct are days off; 10 Oct, a worked Saturday, runs Wednesday's timetable.
    assert sorted(lessons) == [
        date(2026, 9, 28),
        date(2026, 9, 30),
        date(2026, 10, 9),
        date(2026, 10, 10),
    ]
    # The day before term: the host asks to move Wednesday's lesson to Tuesday period 4.
    monkeypatch.setattr(lesson_endpoints, "local_today", lambda: date(2026, 9, 27))
    proposed = await client.post(
        f"/v1/lessons/{lessons[date(2026, 9, 30)]}/moves",
        headers=host,
        json={"to_date": "2026-09-29", "to_period": 4, "reason": "周三下午全校运动会"},
    )
    assert proposed.status_code == 201, proposed.text
    accepted = await client.post(
        f"/v1/lesson-moves/{proposed.json()['id']}/answer",
        headers=as_teacher,
        json={"accept": True},
    )
    assert accepted.json()["status"] == "accepted", accepted.text
    monkeypatch.undo()
    covered = await client.post(
        f"/v1/lessons/{lessons[date(2026, 10, 9)]}/cover",
        headers=host,
        json={"covered_by": "本校李老师", "note": "共享教师病假"},
    )
    assert covered.status_code == 200, covered.text
    for week, count in ((date(2026, 9, 28), 2), (date(2026, 10, 5), 1)):
        given = await client.post(
            "/v1/lessons/week-given", headers=as_teacher, json={"week_of": str(week)}
        )
        assert len(given.json()["lesson_ids"]) == count, given.text
        confirmed = await client.post(
            "/v1/lessons/week-confirm", headers=host, json={"week_of": str(week)}
        )
        assert len(confirmed.json()["lesson_ids"]) == count

    evaluated = await client.post(
        f"/v1/assignments/{assignment_id}/evaluations",
        headers=host,
        json={"period": "final", "scores": SCORES, "comments": {"effect": "合唱队进步明显"}},
    )
    assert evaluated.status_code == 201, evaluated.text
    profile = await client.get(f"/v1/teachers/{teacher_id}", headers=as_teacher)
    assert (profile.json()["rating"], profile.json()["evaluations"]) == (4.75, 1)

    paid = {}
    for month in ("2026-09", "2026-10"):
        issued = await client.post("/v1/settlements", headers=hr, json={"month": month})
        assert issued.status_code == 201, issued.text
        (settlement,) = issued.json()["data"]
        paid[month] = (settlement["periods"], settlement["total_cents"])
        (owed,) = settlement["by_host_district"]
        assert (owed["host_district_id"], owed["amount_cents"]) == (
            str(DISTRICT),
            settlement["total_cents"],
        )
    # 一级教师 at the shipped starting rate; the moved lesson is paid on its new day (29 Sep),
    # the covered Friday is not paid to the absentee.
    assert paid == {"2026-09": (2, 12000), "2026-10": (1, 6000)}
    async with db.session(read_only=True) as session:
        moved = await session.get(Lesson, lessons[date(2026, 9, 30)])
        assert (moved.taught_on, moved.status, moved.settlement_id is not None) == (
            date(2026, 9, 29),
            "confirmed",
            True,
        )
