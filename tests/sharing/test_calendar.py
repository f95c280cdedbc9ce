"""The school calendar: the shipped 2026 notice, school days, and lessons that follow changes."""

from __future__ import annotations

import io
import uuid
from datetime import date, timedelta

from openpyxl import Workbook
from sqlalchemy import select
from sqlmodel import col

from services.sharing.models import Lesson, Offer, ShareRequest, Teacher
from services.sharing.schoolcal.published import NOTICE_2026, calendar_rows
from services.sharing.schoolcal.service import SchoolCalendar
from tests.sharing.support import DISTRICT, add_request, add_teacher
from tests.support import principal

CITY = {"role": "city_hr"}

# The notice's own table: festival → (first day, weekday in brackets, days off, worked days).
NOTICE_TABLE = {
    "元旦": (date(2026, 1, 1), 4, 3, [(date(2026, 1, 4), 7)]),
    "春节": (date(2026, 2, 15), 7, 9, [(date(2026, 2, 14), 6), (date(2026, 2, 28), 6)]),
    "清明节": (date(2026, 4, 4), 6, 3, []),
    "劳动节": (date(2026, 5, 1), 5, 5, [(date(2026, 5, 9), 6)]),
    "端午节": (date(2026, 6, 19), 5, 3, []),
    "中秋节": (date(2026, 9, 25), 5, 3, []),
    "国庆节": (date(2026, 10, 1), 4, 7, [(date(2026, 9, 20), 7), (date(2026, 10, 10), 6)]),
}


def test_2026_matches_the_notice_table():
    assert NOTICE_2026.title == "国务院办公厅关于2026年部分节假日安排的通知"
    assert NOTICE_2026.issued_on == date(2025, 11, 4)
    assert {f.name for f in NOTICE_2026.festivals} == set(NOTICE_TABLE)
    for festival in NOTICE_2026.festivals:
        first, weekday, count, worked = NOTICE_TABLE[festival.name]
        assert festival.first == first and first.isoweekday() == weekday
        assert len(festival.days_off) == count
        assert [(d, d.isoweekday()) for d, _ in festival.worked] == worked
        # a worked day gives back a weekday taken off in the same festival
        for _, follows in festival.worked:
            assert follows in {d.isoweekday() for d in festival.days_off}
    rows = calendar_rows(NOTICE_2026)
    assert len(rows) == 33 + 6
    assert all(r["source"].startswith(NOTICE_2026.title) for r in rows)


def test_school_days_skip_holidays_and_follow_the_weekday_a_worked_day_gives_back():
    calendar = SchoolCalendar(
        days={r["day"]: (r["kind"], r["follows_weekday"]) for r in calendar_rows(NOTICE_2026)}
    )
    week = calendar.school_days(date(2026, 9, 28), date(2026, 10, 11))
    assert week == [
        (date(2026, 9, 28), 1),
        (date(2026, 9, 29), 2),
        (date(2026, 9, 30), 3),
        (date(2026, 10, 8), 4),
        (date(2026, 10, 9), 5),
        (date(2026, 10, 10), 3),  # 调休 Saturday: Wednesday's timetable (7 Oct was given off)
    ]
    calendar.terms = [(date(2026, 9, 1), date(2026, 9, 30))]
    assert calendar.timetable_weekday(date(2026, 10, 9)) is None  # outside every term
    calendar.off = {date(2026, 9, 29)}
    assert calendar.timetable_weekday(date(2026, 9, 29)) is None


def hr(identity) -> dict[str, str]:
    return identity.headers(principal("district_hr", district_id=DISTRICT))


async def book(db, request_id: uuid.UUID, teacher_id: uuid.UUID, today: date) -> uuid.UUID:
    """Book directly, as an acceptance on `today` would have; the assignment's id."""
    from services.sharing.assignments.service import start

    async with db.session() as session:
        request = await session.get(ShareRequest, request_id)
        teacher = await session.get(Teacher, teacher_id)
        offer = Offer(
            request_id=request.id,
            teacher_id=teacher.id,
            home_unit_id=teacher.unit_id,
            host_unit_id=request.unit_id,
            host_district_id=request.district_id,
            status="accepted",
            expires_at=request.created_at,
            created_by="test",
        )
        session.add(offer)
        await session.flush()
        request.status = "filled"
        assignment = await start(session, offer, request, teacher, today)
        return assignment.id


async def lesson_days(db, assignment_id: uuid.UUID, status: str = "scheduled") -> list[date]:
    async with db.session(read_only=True) as session:
        stmt = select(col(Lesson.taught_on)).where(
            col(Lesson.assignment_id) == assignment_id, col(Lesson.status) == status
        )
        return sorted((await session.execute(stmt)).scalars())


async def test_lessons_follow_the_calendar_and_its_changes(client, db, identity):
    teacher_id = await add_teacher(db, 2)
    # Wednesday period 3 and Saturday-free request; the 2026 autumn term around 国庆.
    request_id = await add_request(db, 1, [(3, 3)], term_start=date(2026, 9, 28), weeks=2)
    assignment_id = await book(db, request_id, teacher_id, date(2026, 9, 28))
    # Wednesdays 30 Sep and 7 Oct (a holiday) → 30 Sep; 10 Oct is a 调休 Saturday on Wednesday's
    # timetable.
    assert await lesson_days(db, assignment_id) == [date(2026, 9, 30), date(2026, 10, 10)]

    city = identity.headers(principal("city_hr"))
    # Future lessons change with the calendar; pretend "today" is before the term.
    district_hr = hr(identity)
    refused = await client.put(
        f"/v1/calendar/days/{date.today() + timedelta(days=7)}",
        headers=district_hr,
        json={"kind": "holiday", "name": "x", "source": "y"},
    )
    assert refused.status_code == 403
    bad = await client.put(
        f"/v1/calendar/days/{date(2026, 12, 7)}",
        headers=city,
        json={"kind": "workday", "name": "x", "follows_weekday": 1, "source": "y"},
    )
    assert bad.status_code == 422  # a Monday is a school day already
    listed = await client.get("/v1/calendar/days", params={"year": 2026}, headers=hr(identity))
    assert len(listed.json()) == 39
    days = await client.get(
        "/v1/calendar/school-days",
        params={"since": "2026-10-05", "until": "2026-10-11"},
        headers=hr(identity),
    )
    assert [(d["day"], d["timetable_weekday"]) for d in days.json()] == [
        ("2026-10-08", 4),
        ("2026-10-09", 5),
        ("2026-10-10", 3),
    ]


async def test_a_change_regenerates_future_lessons_and_says_so(client, db, identity):
    teacher_id = await add_teacher(db, 2)
    start = date.today() + timedelta(days=7 - date.today().weekday())  # next Monday
    request_id = await add_request(db, 1, [(1, 2), (3, 3)], term_start=start, weeks=2)
    assignment_id = await book(db, request_id, teacher_id, date.today())
    before = await lesson_days(db, assignment_id)
    assert before == [start, start + timedelta(2), start + timedelta(7), start + timedelta(9)]

    city = identity.headers(principal("city_hr"))
    holiday = await client.put(
        f"/v1/calendar/days/{start}",
        headers=city,
        json={"kind": "holiday", "name": "测试假日", "source": "测试"},
    )
    assert holiday.status_code == 200, holiday.text
    assert holiday.json() == {
        "assignments_rescheduled": 1,
        "lessons_added": 0,
        "lessons_removed": 1,
    }
    saturday = start + timedelta(5)
    worked = await client.put(
        f"/v1/calendar/days/{saturday}",
        headers=city,
        json={"kind": "workday", "name": "调休上班", "follows_weekday": 1, "source": "测试"},
    )
    assert worked.json()["lessons_added"] == 1
    assert await lesson_days(db, assignment_id) == [
        start + timedelta(2),
        saturday,
        start + timedelta(7),
        start + timedelta(9),
    ]
    # the district's own day off drops its schools' lessons that day
    off = await client.put(
        f"/v1/calendar/districts/{DISTRICT}/days-off/{start + timedelta(9)}",
        headers=hr(identity),
        json={"reason": "区运动会"},
    )
    assert off.status_code == 200, off.text
    assert off.json()["lessons_removed"] == 1
    removed = await client.delete(f"/v1/calendar/days/{start}", headers=city)
    assert removed.json()["lessons_added"] == 1
    assert await lesson_days(db, assignment_id) == [
        start,
        start + timedelta(2),
        saturday,
        start + timedelta(7),
    ]
    async with db.session(read_only=True) as session:
        from services.sharing.models import messaging

        sent = (
            await session.execute(
                select(messaging.outbox.c.type).where(
                    messaging.outbox.c.type == "sharing.lessons.rescheduled"
                )
            )
        ).all()
    assert len(sent) == 4


async def test_import_sets_days_or_names_every_problem(client, db, identity):
    city = identity.headers(principal("city_hr"))

    def sheet(*rows: tuple[object, ...]) -> bytes:
        book = Workbook()
        ws = book.active
        ws.append(["日期", "类型", "名称", "按星期几上课", "依据"])
        for row in rows:
            ws.append(list(row))
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()

    bad = await client.post(
        "/v1/calendar/import",
        headers={**city, "content-type": "application/octet-stream"},
        content=sheet(
            ("2027-01-01", "放假", "元旦", None, "通知"), ("not a date", "上班", "x", 1, "")
        ),
    )
    assert bad.status_code == 422, bad.text
    assert [e["field"] for e in bad.json()["errors"]] == ["row 3"]
    good = await client.post(
        "/v1/calendar/import",
        headers={**city, "content-type": "application/octet-stream"},
        content=sheet(
            (date(2027, 1, 1), "放假", "元旦", None, "国务院办公厅关于2027年部分节假日安排的通知"),
            ("2027-01-09", "上班", "元旦调休上班", 5, "同上"),
        ),
    )
    assert good.status_code == 200, good.text
    assert good.json()["days_imported"] == 2
    days = await client.get("/v1/calendar/days", params={"year": 2027}, headers=city)
    assert [(d["day"], d["kind"], d["follows_weekday"]) for d in days.json()] == [
        ("2027-01-01", "holiday", None),
        ("2027-01-09", "workday", 5),
    ]
