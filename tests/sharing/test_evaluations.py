"""考核评价: the host school evaluates, the home school and teacher see it, the teacher responds;
the rating in matching is derived from evaluations; HR's term report in Chinese."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, date, datetime, timedelta

from openpyxl import load_workbook
from sqlalchemy import update

from services.sharing.evaluations.service import derived_rating
from services.sharing.models import Assignment, Evaluation
from tests.sharing.support import DISTRICT, add_request, add_teacher, school_id
from tests.sharing.test_calendar import book
from tests.support import principal

SCORES = {"attitude": 5, "effect": 4, "attendance": 5, "feedback": 4}


def school(identity, n: int) -> dict[str, str]:
    return identity.headers(principal("school_admin", unit_id=school_id(n), district_id=DISTRICT))


def hr(identity) -> dict[str, str]:
    return identity.headers(principal("district_hr", district_id=DISTRICT))


def test_recent_evaluations_weigh_more_and_none_is_neutral():
    def made(mean: float, days_ago: int) -> Evaluation:
        return Evaluation(
            assignment_id=uuid.uuid4(),
            form_id=uuid.uuid4(),
            teacher_id=uuid.uuid4(),
            home_unit_id=uuid.uuid4(),
            host_unit_id=uuid.uuid4(),
            period="final",
            mean=mean,
            created_by="test",
            created_at=datetime(2026, 11, 1, tzinfo=UTC) - timedelta(days_ago),
        )

    assert derived_rating([]) == (3.0, 0)
    # a year apart: the older counts half as much as the newer
    assert derived_rating([made(2.0, 365), made(5.0, 0)]) == (4.0, 2)
    assert derived_rating([made(4.0, 0)]) == (4.0, 1)


async def test_evaluation_feeds_the_rating_and_the_reasons(client, db, identity):
    teacher_id = await add_teacher(db, 2, rating=3.0)
    request_id = await add_request(
        db, 1, [(2, 3)], term_start=date.today() - timedelta(days=30), weeks=8
    )
    assignment_id = await book(db, request_id, teacher_id, date.today() - timedelta(days=30))
    other = await add_request(db, 3, [(4, 4)], term_start=date.today())

    city = identity.headers(principal("city_hr"))
    ranked = await client.get(f"/v1/requests/{other}/candidates", headers=city)
    rating = next(r for r in ranked.json()["data"][0]["reasons"] if r["factor"] == "rating")
    assert rating["detail"] == "no evaluations yet (neutral 3.0)"

    form = await client.get("/v1/evaluation-form", headers=school(identity, 1))
    assert [i["zh"] for i in form.json()["items"]] == ["教学态度", "教学效果", "出勤", "学生反馈"]
    body = {"period": "final", "scores": SCORES, "comments": {"effect": "学生很喜欢"}}
    early = await client.post(
        f"/v1/assignments/{assignment_id}/evaluations", headers=school(identity, 1), json=body
    )
    assert early.status_code == 422  # the assignment is still running
    assert early.json()["errors"][0]["field"] == "body.period"
    async with db.session() as session:
        await session.execute(
            update(Assignment)
            .where(Assignment.id == assignment_id)
            .values(status="ended", ends_on=date.today() - timedelta(days=1))
        )
    home = await client.post(
        f"/v1/assignments/{assignment_id}/evaluations", headers=school(identity, 2), json=body
    )
    assert home.status_code == 403  # the home school reads, the host evaluates
    missing = await client.post(
        f"/v1/assignments/{assignment_id}/evaluations",
        headers=school(identity, 1),
        json={**body, "scores": {"attitude": 5}},
    )
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "body.scores.effect"
    out_of_range = await client.post(
        f"/v1/assignments/{assignment_id}/evaluations",
        headers=school(identity, 1),
        json={**body, "scores": {**SCORES, "feedback": 6}},
    )
    assert out_of_range.status_code == 422
    made = await client.post(
        f"/v1/assignments/{assignment_id}/evaluations", headers=school(identity, 1), json=body
    )
    assert made.status_code == 201, made.text
    assert made.json()["mean"] == 4.5
    again = await client.post(
        f"/v1/assignments/{assignment_id}/evaluations", headers=school(identity, 1), json=body
    )
    assert again.status_code == 409

    teacher_headers = identity.headers(principal("teacher", teacher_id=teacher_id))
    for who in (school(identity, 2), teacher_headers):
        seen = await client.get("/v1/evaluations", headers=who)
        assert [e["id"] for e in seen.json()["data"]] == [made.json()["id"]]
        # Named by the service: neither may look the host school up.
        assert seen.json()["data"][0]["host_unit_name"] == "学校1"
    assert (await client.get("/v1/evaluations", headers=school(identity, 3))).json()["data"] == []
    answered = await client.post(
        f"/v1/evaluations/{made.json()['id']}/response",
        headers=teacher_headers,
        json={"response": "感谢贵校的支持"},
    )
    assert answered.status_code == 200 and answered.json()["response"] == "感谢贵校的支持"

    profile = await client.get(f"/v1/teachers/{teacher_id}", headers=teacher_headers)
    assert (profile.json()["rating"], profile.json()["evaluations"]) == (4.5, 1)
    ranked = await client.get(f"/v1/requests/{other}/candidates", headers=city)
    rating = next(r for r in ranked.json()["data"][0]["reasons"] if r["factor"] == "rating")
    assert rating["detail"].startswith("rated 4.5 of 5 from 1 evaluations")
    assert rating["points"] == 18.0

    report = await client.get(
        "/v1/evaluations/report",
        params={"since": str(date.today() - timedelta(days=60)), "until": str(date.today())},
        headers=hr(identity),
    )
    assert report.status_code == 200, report.text
    sheet = load_workbook(io.BytesIO(report.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:7] == (
        "姓名",
        "派出学校",
        "职称",
        "共享授课节数（已确认）",
        "服务学校",
        "评价次数",
        "评价均分",
    )
    assert rows[1][1] == "学校2" and rows[1][4] == "学校1" and rows[1][5] == 1 and rows[1][6] == 4.5
    assert "学生很喜欢" in rows[1] and "感谢贵校的支持" in rows[1]


async def test_the_host_school_reads_the_profile_of_the_teacher_it_hosts_and_no_other(
    client, db, identity
):
    teacher_id = await add_teacher(db, 2)
    profile = f"/v1/teachers/{teacher_id}"
    assert (await client.get(profile, headers=school(identity, 1))).status_code == 404
    request_id = await add_request(db, 1, [(2, 3)], term_start=date.today())
    await book(db, request_id, teacher_id, date.today())

    seen = await client.get(profile, headers=school(identity, 1))
    assert seen.status_code == 200, seen.text
    assert seen.json()["id"] == str(teacher_id)
    assert (await client.get(profile, headers=school(identity, 3))).status_code == 404
    # Reading is all: the profile stays the home school's and HR's to change.
    changed = await client.patch(profile, headers=school(identity, 1), json={"weekly_cap": 1})
    assert changed.status_code == 403, changed.text
