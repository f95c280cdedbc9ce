"""Finding 2: a teacher may not set their own title, certificates, subjects or stages.

Title and certificates decide pay (settlement by title) and eligibility (持证上岗); they come from
the roster and HR. A teacher edits only modes, home timetable and weekly cap (joining or
leaving the sharing library goes through its own review).
"""

from __future__ import annotations

import uuid

import pytest

from common.db import Database
from services.sharing.app import create_app
from services.sharing.settings import SharingSettings
from tests.sharing.support import DISTRICT, add_teacher, seed_city
from tests.support import principal, running, service_settings


@pytest.fixture
async def sharing(make_database, nats_server, identity):
    url = str(await make_database("sharing"))
    db = Database(url)
    await seed_city(db)
    settings = service_settings(SharingSettings, identity, url, nats_server.url)
    async with running(create_app(settings)) as http:
        yield http, db
    await db.dispose()


def as_teacher(identity, teacher_id: uuid.UUID) -> dict[str, str]:
    return identity.headers(principal("teacher", teacher_id=teacher_id))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "正高级教师"),
        ("certificates", [{"level": "senior", "subject": "物理"}]),
        ("subjects", ["物理"]),
        ("stages", ["senior"]),
    ],
)
async def test_teacher_cannot_set_roster_owned_fields(sharing, identity, field, value):
    http, db = sharing
    teacher_id = await add_teacher(db, 2)
    before = (
        await http.get(f"/v1/teachers/{teacher_id}", headers=as_teacher(identity, teacher_id))
    ).json()
    response = await http.patch(
        f"/v1/teachers/{teacher_id}", headers=as_teacher(identity, teacher_id), json={field: value}
    )
    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert f"body.{field}" in [e["field"] for e in response.json()["errors"]]
    after = (
        await http.get(f"/v1/teachers/{teacher_id}", headers=as_teacher(identity, teacher_id))
    ).json()
    assert after == before


async def test_teacher_edits_modes_timetable_and_cap(sharing, identity):
    http, db = sharing
    teacher_id = await add_teacher(db, 2)
    response = await http.patch(
        f"/v1/teachers/{teacher_id}",
        headers=as_teacher(identity, teacher_id),
        json={"modes": ["online"], "home_timetable": [[1, 2]], "weekly_cap": 3},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["modes"], body["home_timetable"], body["weekly_cap"]) == (
        ["online"],
        [[1, 2]],
        3,
    )


async def test_hr_still_corrects_title_and_certificates(sharing, identity):
    http, db = sharing
    teacher_id = await add_teacher(db, 2)
    response = await http.patch(
        f"/v1/teachers/{teacher_id}",
        headers=identity.headers(principal("district_hr", district_id=DISTRICT)),
        json={"title": "高级教师", "certificates": [{"level": "junior", "subject": "音乐"}]},
    )
    assert response.status_code == 200, response.text
    assert response.json()["title"] == "高级教师"
