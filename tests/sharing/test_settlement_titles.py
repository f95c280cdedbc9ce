"""Settlement by the title held on each lesson's date, and robust to a title with no rate."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete

from contracts.base import Envelope
from contracts.staffing import DatedTitle, StaffUpdated
from services.sharing.models import PeriodRate, Teacher
from services.sharing.teachers.service import apply_staff_facts
from tests.sharing.support import add_request, add_teacher
from tests.sharing.test_api import give_and_confirm, hr, start_assignment, teacher
from tests.support import principal


def previous_month() -> tuple[date, date]:
    first_of_month = date.today().replace(day=1)
    last = first_of_month - timedelta(days=1)
    return last.replace(day=1), last


async def taught_last_month(client, db, identity, teacher_id: uuid.UUID) -> list[dict]:
    """Book the teacher for last month and have every lesson given and confirmed."""
    first, last = previous_month()
    request_id = await add_request(db, 1, [(1, 1), (3, 2)], term_start=first, weeks=6)
    await start_assignment(db, request_id, teacher_id, first)
    page = await client.get(
        "/v1/lessons",
        headers=teacher(identity, teacher_id),
        params={"since": first.isoformat(), "until": last.isoformat(), "limit": 100},
    )
    lessons = page.json()["data"]
    assert lessons, "the term has lessons last month"
    await give_and_confirm(client, identity, teacher_id, [lesson["id"] for lesson in lessons])
    return lessons


async def promote(db, teacher_id: uuid.UUID, history: list[tuple[str, date]]) -> None:
    """The roster's staffing.staff.updated, as the consumer applies it."""
    async with db.session() as session:
        profile = await session.get(Teacher, teacher_id)
        event = StaffUpdated(
            staff_id=teacher_id,
            unit_id=profile.unit_id,
            district_id=profile.district_id,
            quota_type="bianzhi",
            name=profile.name,
            subject="音乐",
            stage="primary",
            title=history[-1][0],
            title_history=[DatedTitle(title=t, effective_from=d) for t, d in history],
            changed=["title"],
            effective_on=history[-1][1],
        )
        envelope = Envelope.wrap(event, source="staffing", subject=str(teacher_id))
        await apply_staff_facts(
            session, event, envelope.model_copy(update={"time": datetime.now(UTC)})
        )


async def test_each_lesson_is_paid_by_the_title_held_on_its_date(client, db, identity):
    teacher_id = await add_teacher(db, 2, title="一级教师")
    lessons = await taught_last_month(client, db, identity, teacher_id)
    days = sorted({date.fromisoformat(lesson["taught_on"]) for lesson in lessons})
    promoted_on = days[len(days) // 2]
    await promote(db, teacher_id, [("一级教师", date(2015, 9, 1)), ("高级教师", promoted_on)])
    before = sum(1 for lesson in lessons if date.fromisoformat(lesson["taught_on"]) < promoted_on)
    after = len(lessons) - before

    month = previous_month()[0].strftime("%Y-%m")
    issued = await client.post("/v1/settlements", headers=hr(identity), json={"month": month})
    assert issued.status_code == 201, issued.text
    (settlement,) = issued.json()["data"]
    assert issued.json()["unpriced"] == []
    # The starting rate table: 一级教师 60 yuan, 高级教师 75 yuan a period.
    assert settlement["total_cents"] == 6000 * before + 7500 * after
    assert {(line["title"], line["periods"]) for line in settlement["lines"]} == {
        ("一级教师", before),
        ("高级教师", after),
    }
    assert settlement["title"] == "高级教师"


async def test_a_title_without_a_rate_is_reported_apart_and_blocks_no_one(client, db, identity):
    async with db.session() as session:  # a title the rate table lacks
        await session.execute(delete(PeriodRate).where(PeriodRate.title == "正高级教师"))
    paid = await add_teacher(db, 2, title="一级教师")
    unrated = await add_teacher(db, 3, title="正高级教师")
    paid_lessons = await taught_last_month(client, db, identity, paid)
    unrated_lessons = await taught_last_month(client, db, identity, unrated)
    month = previous_month()[0].strftime("%Y-%m")

    pending = await client.get(
        "/v1/settlements/unpriced", headers=hr(identity), params={"month": month}
    )
    assert pending.status_code == 200, pending.text
    assert [(r["teacher_id"], r["title"]) for r in pending.json()["data"]] == [
        (str(unrated), "正高级教师")
    ]

    issued = await client.post("/v1/settlements", headers=hr(identity), json={"month": month})
    assert issued.status_code == 201, issued.text
    assert [s["teacher_id"] for s in issued.json()["data"]] == [str(paid)]
    assert issued.json()["data"][0]["total_cents"] == 6000 * len(paid_lessons)
    (row,) = issued.json()["unpriced"]
    assert (row["teacher_id"], row["title"], row["periods"]) == (
        str(unrated),
        "正高级教师",
        len(unrated_lessons),
    )
    assert "正高级教师" in row["reason"]

    city_hr = identity.headers(principal("city_hr"))
    rate = await client.post(
        "/v1/period-rates",
        headers=city_hr,
        json={
            "effective_from": "2024-01-01",
            "title": "正高级教师",
            "rate_cents": 10000,
            "source": "test rate",
        },
    )
    assert rate.status_code == 201, rate.text
    again = await client.post("/v1/settlements", headers=hr(identity), json={"month": month})
    assert [s["teacher_id"] for s in again.json()["data"]] == [str(unrated)]
    assert again.json()["data"][0]["total_cents"] == 10000 * len(unrated_lessons)
    assert again.json()["unpriced"] == []


async def test_a_teacher_cannot_set_their_own_title_or_certificates(client, db, identity):
    teacher_id = await add_teacher(db, 2, title="二级教师")
    own = teacher(identity, teacher_id)
    for body in (
        {"title": "正高级教师"},
        {"certificates": [{"stage": "primary", "subject": "音乐"}]},
    ):
        refused = await client.patch(f"/v1/teachers/{teacher_id}", headers=own, json=body)
        assert refused.status_code in (403, 422), refused.text
    async with db.session(read_only=True) as session:
        assert (await session.get(Teacher, teacher_id)).title == "二级教师"
