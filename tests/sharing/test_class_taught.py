"""The class taught (班级): a school names it on its request, and the assignment and the host's
lesson list carry it."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from tests.sharing.support import DISTRICT, add_teacher, school_id
from tests.sharing.test_calendar import book
from tests.support import principal


async def test_the_class_named_on_a_request_follows_it_to_the_assignment(client, db, identity):
    school = identity.headers(principal("school_admin", unit_id=school_id(1), district_id=DISTRICT))
    start = date.today() + timedelta(days=14)
    body = {
        "stage": "primary",
        "subject": "音乐",
        "slots": [[2, 3]],
        "term_start": str(start),
        "term_end": str(start + timedelta(weeks=8)),
        "reason": "缺音乐教师",
        "class_name": "三年级2班",
    }
    too_long = await client.post(
        "/v1/requests", headers=school, json={**body, "class_name": "班" * 41}
    )
    assert too_long.status_code == 422
    assert too_long.json()["errors"][0]["field"] == "body.class_name"
    made = await client.post("/v1/requests", headers=school, json=body)
    assert made.status_code == 201, made.text
    assert made.json()["class_name"] == "三年级2班"
    teacher_id = await add_teacher(db, 2)
    assignment_id = await book(db, uuid.UUID(made.json()["id"]), teacher_id, date.today())
    found = await client.get(f"/v1/assignments/{assignment_id}", headers=school)
    assert found.json()["class_name"] == "三年级2班"
