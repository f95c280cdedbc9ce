"""Sharing speaks the shared vocabulary: it refuses what the lists lack, naming the field, and
matches by certificate coverage (教师资格条例 §5)."""

from __future__ import annotations

import json
import uuid
from datetime import date

import nats
import pytest

from common.bus import dlq_subject
from contracts.base import Envelope
from contracts.staffing import StaffHired
from services.sharing.models import ShareRequest, Teacher
from tests.sharing.support import DISTRICT, add_request, add_teacher, school_id
from tests.sharing.test_api import count, hr, school
from tests.support import eventually, principal

NEXT_TERM = {"term_start": "2027-03-01", "term_end": "2027-07-10"}


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        ({"subject": "体育"}, "body.subject", "did you mean '体育与健康'"),
        ({"subject": "书法"}, "body.subject", "unknown subject"),
        ({"subject": "信息科技", "stage": "senior"}, "body.subject", "not taught in 高中"),
        ({"subject": "历史", "stage": "primary"}, "body.subject", "not taught in 小学"),
        ({"stage": "高中"}, "body.stage", ""),
    ],
)
async def test_request_outside_the_vocabulary_is_422_naming_the_field(
    client, db, identity, change, field, says
):
    body = {
        "subject": "体育与健康",
        "stage": "primary",
        "slots": [[1, 1]],
        "reason": "缺体育教师",
        **NEXT_TERM,
    } | change
    response = await client.post("/v1/requests", headers=school(identity, 1), json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert field in errors and says in errors[field]
    assert await count(db, ShareRequest) == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "中学高级"}, "body.title"),
        ({"subjects": ["体育"]}, "body.subjects.0"),
        ({"certificates": [{"level": "primary", "subject": "物理"}]}, "body.certificates.0"),
        ({"certificates": [{"level": "college", "subject": "数学"}]}, "body.certificates.0.level"),
        ({"certificates": [{"stage": "junior", "subject": "数学"}]}, "body.certificates.0.level"),
    ],
)
async def test_profile_edit_outside_the_vocabulary_is_422(client, db, identity, body, field):
    teacher_id = await add_teacher(db, 2)
    response = await client.patch(f"/v1/teachers/{teacher_id}", headers=hr(identity), json=body)
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]
    async with db.session(read_only=True) as session:
        row = await session.get(Teacher, teacher_id)
        assert row is not None and row.title == "一级教师" and row.subjects == ["音乐"]


async def test_rate_for_an_unlisted_title_is_422_but_untitled_has_a_rate(client, identity):
    city = identity.headers(principal("city_hr"))
    body = {"effective_from": "2027-01-01", "rate_cents": 5000, "source": "测试"}
    refused = await client.post("/v1/period-rates", headers=city, json=body | {"title": "中学一级"})
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "body.title"
    assert "did you mean '一级教师'" in refused.json()["errors"][0]["message"]
    added = await client.post("/v1/period-rates", headers=city, json=body | {"title": "未定职称"})
    assert added.status_code == 201, added.text


async def ranked(client, identity, request_id) -> list[str]:
    response = await client.get(f"/v1/requests/{request_id}/candidates", headers=hr(identity))
    assert response.status_code == 200, response.text
    return [c["teacher_id"] for c in response.json()["data"]]


async def test_a_senior_certificate_qualifies_for_junior_under_the_subjects_junior_name(
    client, db, identity
):
    senior_it = await add_teacher(db, 2, subject="信息技术", stage="senior")
    junior_it = await add_teacher(db, 3, subject="信息科技", stage="junior")
    primary_it = await add_teacher(db, 4, subject="信息科技", stage="primary")
    async with db.session() as session:
        # Both offer junior 信息科技 to the library; only the senior certificate covers it.
        for teacher_id in (senior_it, primary_it):
            row = await session.get(Teacher, teacher_id)
            assert row is not None
            row.offered = [*row.offered, ["信息科技", "junior"]]
    request_id = await add_request(db, 1, [(2, 3)], subject="信息科技", stage="junior")
    found = await ranked(client, identity, request_id)
    assert set(found) == {str(senior_it), str(junior_it)}  # a primary certificate reaches no higher

    offer = await client.post(
        f"/v1/requests/{request_id}/offers",
        headers=hr(identity),
        json={"teacher_id": str(senior_it)},
    )
    assert offer.status_code == 201, offer.text
    refused = await client.post(
        f"/v1/requests/{request_id}/offers",
        headers=hr(identity),
        json={"teacher_id": str(primary_it)},
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "body.teacher_id"


async def test_kindergarten_certificate_does_not_reach_primary(client, db, identity):
    await add_teacher(db, 2, subject="学前教育", stage="kindergarten")
    request_id = await add_request(db, 1, [(2, 3)], subject="语文", stage="primary")
    assert await ranked(client, identity, request_id) == []


async def test_profile_with_values_kept_from_before_the_vocabulary_still_reads(
    client, db, identity
):
    teacher_id = await add_teacher(db, 2)
    async with db.session() as session:
        row = await session.get(Teacher, teacher_id)
        assert row is not None
        row.title, row.subjects = "特级教师", ["书法"]
        row.certificates = [*row.certificates, {"level": "primary", "subject": "书法"}]
    profile = await client.get(f"/v1/teachers/{teacher_id}", headers=hr(identity))
    assert profile.status_code == 200, profile.text
    assert profile.json()["title"] == "特级教师"
    request_id = await add_request(db, 1, [(2, 3)])
    assert await ranked(client, identity, request_id) == [str(teacher_id)]


async def test_a_roster_event_outside_the_vocabulary_is_dead_lettered_with_the_reason(
    client, db, nats_server
):
    def hired(subject: str) -> tuple[uuid.UUID, bytes]:
        staff_id = uuid.uuid4()
        event = StaffHired(
            staff_id=staff_id,
            unit_id=school_id(2),
            district_id=DISTRICT,
            quota_type="bianzhi",
            name="体育老师",
            subject="体育与健康",
            stage="primary",
            title="一级教师",
            hire_date=date(2026, 9, 1),
        )
        envelope = json.loads(
            Envelope.wrap(
                event, source="teacherpool/staffing", subject=str(staff_id)
            ).model_dump_json()
        )
        envelope["data"]["subject"] = subject  # as an older publisher would have sent it
        return staff_id, json.dumps(envelope).encode()

    bad_id, bad = hired("体育")
    good_id, good = hired("体育与健康")
    connection = await nats.connect(nats_server.url)
    try:
        js = connection.jetstream()
        letters = await js.subscribe(dlq_subject("sharing"), ordered_consumer=True)
        await js.publish("staffing.staff.hired", bad)
        await js.publish("staffing.staff.hired", good)
        letter = await letters.next_msg(timeout=15)
        reason = letter.headers["Tp-Dlq-Reason"]
        # The reason travels as an ASCII header: the names are escaped.
        said = reason.encode().decode("unicode_escape")
        assert said.startswith("malformed event: subject:")
        assert "unknown subject '体育'; did you mean '体育与健康'" in said
    finally:
        await connection.close()

    async def applied() -> bool:
        async with db.session(read_only=True) as session:
            return await session.get(Teacher, good_id) is not None

    await eventually(applied)
    async with db.session(read_only=True) as session:
        assert await session.get(Teacher, bad_id) is None
