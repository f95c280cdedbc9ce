"""The sharing center over HTTP: request → candidates → offer → consent → accept → lessons → pay."""

from __future__ import annotations

import io
import uuid
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from services.sharing.assignments.service import start
from services.sharing.models import Lesson, Offer, ShareRequest, Teacher
from tests.sharing.support import DISTRICT, add_request, add_teacher, school_id
from tests.support import principal


def school(identity, n: int) -> dict[str, str]:
    return identity.headers(principal("school_admin", unit_id=school_id(n), district_id=DISTRICT))


def teacher(identity, teacher_id: uuid.UUID) -> dict[str, str]:
    return identity.headers(principal("teacher", teacher_id=teacher_id))


def hr(identity) -> dict[str, str]:
    return identity.headers(principal("district_hr", district_id=DISTRICT))


async def count(db, model) -> int:
    async with db.session(read_only=True) as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_request_to_settlement(client, db, identity):
    near = await add_teacher(db, 2)
    far = await add_teacher(db, 6)
    busy = await add_teacher(db, 3, home=[(2, 3)])
    own = await add_teacher(db, 1)
    term_start = date.today() - timedelta(days=62)
    opened = await client.post(
        "/v1/requests",
        headers=school(identity, 1),
        json={
            "subject": "音乐",
            "stage": "primary",
            "slots": [[2, 3], [4, 6]],
            "term_start": term_start.isoformat(),
            "term_end": (date.today() + timedelta(days=30)).isoformat(),
            "mode": "in_person",
            "reason": "缺音乐教师",
        },
    )
    assert opened.status_code == 201, opened.text
    request_id = opened.json()["id"]
    assert opened.json()["status"] == "open"

    ranked = await client.get(f"/v1/requests/{request_id}/candidates", headers=hr(identity))
    assert ranked.status_code == 200, ranked.text
    found = [c["teacher_id"] for c in ranked.json()["data"]]
    assert str(own) not in found and str(busy) not in found
    assert set(found) == {str(near), str(far)}
    assert found[0] == str(near)  # all else equal, the nearer first
    factors = {r["factor"] for r in ranked.json()["data"][0]["reasons"]}
    assert {"certificate", "free", "distance", "load", "rating"} <= factors
    # Each reason also comes as a code with its values, for a client to word in its language.
    coded = {r["code"]: r["params"] for r in ranked.json()["data"][0]["reasons"]}
    certified = coded.get("certified_teaching", coded.get("certified_not_teaching"))
    assert certified == {"stage": "primary", "subject": "音乐"}
    assert coded["free_with_travel"]["periods"] == 2
    assert set(coded["load"]) == {"load", "cap"}

    offer = await client.post(
        f"/v1/requests/{request_id}/offers", headers=hr(identity), json={"teacher_id": str(near)}
    )
    assert offer.status_code == 201, offer.text
    offer_id = offer.json()["id"]
    assert offer.json()["host_unit_name"] == "学校1"
    # The offered teacher sees where the offer would send them, though they may not read the
    # host school's own record, and reads the request to know what they would accept; no other
    # teacher does.
    mine = await client.get("/v1/offers", headers=teacher(identity, near))
    assert [(o["id"], o["host_unit_name"]) for o in mine.json()["data"]] == [(offer_id, "学校1")]
    seen = await client.get(f"/v1/requests/{request_id}", headers=teacher(identity, near))
    assert seen.status_code == 200 and seen.json()["subject"] == "音乐", seen.text
    unseen = await client.get(f"/v1/requests/{request_id}", headers=teacher(identity, far))
    assert unseen.status_code == 404
    early = await client.post(f"/v1/offers/{offer_id}/accept", headers=teacher(identity, near))
    assert early.status_code == 409  # the home school has not consented yet
    consent = await client.post(
        f"/v1/offers/{offer_id}/consent", headers=school(identity, 2), json={"consent": True}
    )
    assert consent.status_code == 200, consent.text
    accepted = await client.post(f"/v1/offers/{offer_id}/accept", headers=teacher(identity, near))
    assert accepted.status_code == 200, accepted.text
    assignment_id = accepted.json()["assignment_id"]
    state = await client.get(f"/v1/requests/{request_id}", headers=school(identity, 1))
    assert state.json()["status"] == "filled"

    grid = await client.get(f"/v1/teachers/{near}/timetable", headers=teacher(identity, near))
    assert {(c["weekday"], c["period"]) for c in grid.json()["cells"]} == {(2, 3), (4, 6)}
    hosted = await client.get(f"/v1/schools/{school_id(1)}/timetable", headers=school(identity, 1))
    assert {c["assignment_id"] for c in hosted.json()["cells"]} == {assignment_id}

    ended = await client.post(
        f"/v1/assignments/{assignment_id}/end", headers=school(identity, 1), json={"reason": "并校"}
    )
    assert ended.status_code == 200, ended.text
    reopened = await client.get(f"/v1/requests/{request_id}", headers=school(identity, 1))
    assert reopened.json()["status"] == "open"


async def give_and_confirm(client, identity, teacher_id, lesson_ids) -> None:
    for lesson_id in lesson_ids:
        given = await client.post(
            f"/v1/lessons/{lesson_id}/given", headers=teacher(identity, teacher_id)
        )
        assert given.status_code == 200, given.text
        confirmed = await client.post(
            f"/v1/lessons/{lesson_id}/confirm",
            headers=school(identity, 1),
            json={"confirmed": True},
        )
        assert confirmed.status_code == 200, confirmed.text


async def test_settlement_is_issued_once_and_late_confirmations_are_adjustments(
    client, db, identity
):
    first_of_month = date.today().replace(day=1)
    previous = (first_of_month - timedelta(days=1)).replace(day=1)
    before = (previous - timedelta(days=1)).replace(day=1)
    teacher_id = await add_teacher(db, 2)
    request_id = await add_request(db, 1, [(1, 1), (3, 2)], term_start=before, weeks=10)
    await start_assignment(db, request_id, teacher_id, before)

    async def lessons_of(month_start: date) -> list[str]:
        month_end = (month_start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        page = await client.get(
            "/v1/lessons",
            headers=teacher(identity, teacher_id),
            params={"since": month_start.isoformat(), "until": month_end.isoformat(), "limit": 100},
        )
        return [item["id"] for item in page.json()["data"]]

    early, late = await lessons_of(before), await lessons_of(previous)
    await give_and_confirm(client, identity, teacher_id, early[1:])
    first = await client.post(
        "/v1/settlements", headers=hr(identity), json={"month": before.strftime("%Y-%m")}
    )
    assert first.status_code == 201, first.text
    (issued,) = first.json()["data"]
    assert (issued["periods"], issued["adjustment_periods"]) == (len(early) - 1, 0)
    assert issued["total_cents"] == 6000 * (len(early) - 1)  # 一级教师 at the starting rate

    await give_and_confirm(client, identity, teacher_id, [early[0], *late])
    settled = await client.post(
        f"/v1/lessons/{early[1]}/confirm",
        headers=school(identity, 1),
        json={"confirmed": False, "reason": "没来"},
    )
    assert settled.status_code == 409  # an issued settlement never changes
    month = previous.strftime("%Y-%m")
    second = await client.post("/v1/settlements", headers=hr(identity), json={"month": month})
    (issued,) = second.json()["data"]
    assert (issued["periods"], issued["adjustment_periods"]) == (len(late), 1)
    again = await client.post("/v1/settlements", headers=hr(identity), json={"month": month})
    assert again.json()["data"] == []
    sheet = await client.get(
        "/v1/settlements/export", headers=hr(identity), params={"month": month}
    )
    assert sheet.status_code == 200
    rows = list(load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True))
    assert rows[1][1] == str(teacher_id) and rows[1][5] == len(late) and rows[1][7] == 1


async def test_district_approval_comes_first(client, db, identity, city):
    put = await client.put(
        f"/v1/district-settings/{DISTRICT}", headers=hr(identity), json={"requires_approval": True}
    )
    assert put.status_code == 200, put.text
    body = {
        "subject": "美术",
        "stage": "primary",
        "slots": [[1, 1]],
        "term_start": "2027-03-01",
        "term_end": "2027-07-10",
        "reason": "缺美术教师",
    }
    opened = await client.post("/v1/requests", headers=school(identity, 1), json=body)
    assert opened.json()["status"] == "pending_approval"
    request_id = opened.json()["id"]
    assert (
        await client.post(f"/v1/requests/{request_id}/approve", headers=school(identity, 1))
    ).status_code == 403
    approved = await client.post(f"/v1/requests/{request_id}/approve", headers=hr(identity))
    assert approved.json()["status"] == "open"
    cancelled = await client.post(
        f"/v1/requests/{request_id}/cancel",
        headers=school(identity, 1),
        json={"reason": "不需要了"},
    )
    assert cancelled.json()["status"] == "cancelled"


async def test_another_schools_request_is_refused_on_every_route(client, db, identity):
    candidate = await add_teacher(db, 3)
    request_id = await add_request(db, 1, [(1, 2)])
    stranger = school(identity, 2)
    outsider_hr = identity.headers(principal("district_hr", district_id=uuid.uuid4()))
    routes = [
        ("GET", f"/v1/requests/{request_id}", None),
        ("GET", f"/v1/requests/{request_id}/candidates", None),
        ("GET", f"/v1/requests/{request_id}/offers", None),
        ("POST", f"/v1/requests/{request_id}/offers", {"teacher_id": str(candidate)}),
        ("POST", f"/v1/requests/{request_id}/approve", None),
        ("POST", f"/v1/requests/{request_id}/cancel", {"reason": "试试"}),
    ]
    for headers in (stranger, outsider_hr, teacher(identity, candidate)):
        for method, path, body in routes:
            response = await client.request(method, path, headers=headers, json=body)
            assert response.status_code == 404, (method, path, response.text)
        listed = await client.get("/v1/requests", headers=headers)
        assert str(request_id) not in {r["id"] for r in listed.json()["data"]}
    async with db.session(read_only=True) as session:
        request = await session.get(ShareRequest, request_id)
        assert request is not None and request.status == "open"
    assert await count(db, Offer) == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"slots": [[6, 1]]}, "body.slots.0.0"),
        ({"slots": [[1, 9]]}, "body.slots.0.1"),
        ({"slots": [[1, 1], [1, 1]]}, "body.slots"),
        ({"slots": []}, "body.slots"),
        ({"stage": "college"}, "body.stage"),
        ({"mode": "teleport"}, "body.mode"),
        ({"term_end": "2027-02-01"}, "body.term_end"),
        ({"reason": ""}, "body.reason"),
        ({"unit_id": str(uuid.uuid4())}, "body.unit_id"),
        ({"extra": 1}, "body.extra"),
    ],
)
async def test_bad_request_is_422_naming_the_field_and_writes_nothing(
    client, db, identity, change, field
):
    body = {
        "subject": "音乐",
        "stage": "primary",
        "slots": [[1, 1]],
        "term_start": "2027-03-01",
        "term_end": "2027-07-10",
        "reason": "缺音乐教师",
    } | change
    response = await client.post("/v1/requests", headers=school(identity, 1), json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in response.json()["errors"]]
    assert await count(db, ShareRequest) == 0


async def test_a_stage_the_school_does_not_teach_names_the_school_and_the_stage(
    client, db, identity
):
    body = {
        "subject": "数学",
        "stage": "senior",
        "slots": [[1, 1]],
        "term_start": "2027-03-01",
        "term_end": "2027-07-10",
        "reason": "缺数学教师",
    }
    response = await client.post("/v1/requests", headers=school(identity, 1), json=body)
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [
        {
            "field": "body.stage",
            "message": "S1 does not teach senior",
            "code": "stage_not_taught",
            "unit_code": "S1",
            "stage": "senior",
        }
    ]
    assert await count(db, ShareRequest) == 0


async def test_bad_profile_edit_is_422_and_changes_nothing(client, db, identity):
    teacher_id = await add_teacher(db, 2, cap=6)
    for body, field in (
        ({"weekly_cap": 41}, "body.weekly_cap"),
        ({"modes": ["flying"]}, "body.modes.0"),
        ({"home_timetable": [[0, 1]]}, "body.home_timetable.0.0"),
        ({"certificates": [{"level": "primary"}]}, "body.certificates.0.subject"),
    ):
        response = await client.patch(
            f"/v1/teachers/{teacher_id}", headers=teacher(identity, teacher_id), json=body
        )
        assert response.status_code == 422, response.text
        assert field in [e["field"] for e in response.json()["errors"]]
    for who in (teacher(identity, teacher_id), hr(identity)):  # derived from evaluations only
        rated = await client.patch(f"/v1/teachers/{teacher_id}", headers=who, json={"rating": 5})
        assert rated.status_code == 422
    profile = await client.get(f"/v1/teachers/{teacher_id}", headers=teacher(identity, teacher_id))
    assert profile.json()["weekly_cap"] == 6 and profile.json()["rating"] == 4.0


async def start_assignment(db, request_id, teacher_id, today: date) -> None:
    """Book directly, as an acceptance on `today` would have."""
    async with db.session() as session:
        request = await session.get(ShareRequest, request_id)
        teacher_row = await session.get(Teacher, teacher_id)
        offer = Offer(
            request_id=request_id,
            teacher_id=teacher_id,
            home_unit_id=school_id(2),
            host_unit_id=school_id(1),
            status="accepted",
            expires_at=teacher_row.as_of,
            created_by="test",
        )
        session.add(offer)
        await session.flush()
        await start(session, offer, request, teacher_row, today)
        request.status = "filled"


async def test_lessons_fall_on_the_slots_school_days(db, city):
    request_id = await add_request(db, 1, [(1, 1), (3, 2)], term_start=date(2027, 3, 1), weeks=2)
    await start_assignment(db, request_id, await add_teacher(db, 2), date(2027, 1, 1))
    assert await count(db, Lesson) == 4


async def test_batch_proposal_turns_into_offers_in_one_step(client, db, identity):
    teachers = {await add_teacher(db, n, cap=2) for n in (2, 3)}
    requests = [await add_request(db, 1, [(1, p)], term_start=date(2027, 3, 1)) for p in (1, 3, 5)]
    proposed = await client.post(
        "/v1/batch-matches",
        headers=hr(identity),
        json={"term_start": "2027-03-01", "term_end": "2027-07-10", "time_limit_seconds": 2},
    )
    assert proposed.status_code == 201, proposed.text
    batch = proposed.json()
    assert len(batch["proposals"]) == 3  # two teachers, two periods each, three slots
    assert (
        batch["figures"]["solver"]["filled_periods"] >= batch["figures"]["greedy"]["filled_periods"]
    )
    assert {p["teacher_id"] for p in batch["proposals"]} <= {str(t) for t in teachers}
    made = await client.post(f"/v1/batch-matches/{batch['id']}/offers", headers=hr(identity))
    assert made.status_code == 200, made.text
    assert len(made.json()["offer_ids"]) == 3 and made.json()["skipped"] == []
    listed = await client.get(f"/v1/requests/{requests[0]}/offers", headers=school(identity, 1))
    assert listed.json()["data"][0]["batch_id"] == batch["id"]
    again = await client.post(f"/v1/batch-matches/{batch['id']}/offers", headers=hr(identity))
    assert again.status_code == 409
