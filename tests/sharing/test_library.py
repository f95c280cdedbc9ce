"""The sharing library (入库): apply, consent, approve or return, listed, pause, leave, honours."""

from __future__ import annotations

import uuid
from datetime import date

from tests.sharing.support import (
    DISTRICT,
    OTHER_DISTRICT,
    add_request,
    add_roster_teacher,
    school_id,
)
from tests.support import principal


def school(identity, n: int) -> dict[str, str]:
    return identity.headers(
        principal(
            "school_admin",
            unit_id=school_id(n),
            district_id=OTHER_DISTRICT if n == 9 else DISTRICT,
        )
    )


def teacher(identity, teacher_id: uuid.UUID) -> dict[str, str]:
    return identity.headers(principal("teacher", teacher_id=teacher_id))


def hr(identity, district: uuid.UUID = DISTRICT) -> dict[str, str]:
    return identity.headers(principal("district_hr", district_id=district))


APPLICATION = {
    "offered": [{"subject": "音乐", "stage": "primary"}],
    "modes": ["in_person"],
    "weekly_cap": 4,
    "areas": [str(DISTRICT)],
    "statement": "擅长合唱指导",
}


async def candidates(client, identity, request_id) -> list[str]:
    city = identity.headers(principal("city_hr"))
    ranked = await client.get(f"/v1/requests/{request_id}/candidates", headers=city)
    assert ranked.status_code == 200, ranked.text
    return [c["teacher_id"] for c in ranked.json()["data"]]


async def listed(client, identity, teacher_id) -> dict:
    """Apply, have the school consent and district HR approve; the application as it ends."""
    applied = await client.post(
        "/v1/library/applications", headers=teacher(identity, teacher_id), json=APPLICATION
    )
    assert applied.status_code == 201, applied.text
    application_id = applied.json()["id"]
    consented = await client.post(
        f"/v1/library/applications/{application_id}/consent",
        headers=school(identity, 2),
        json={"approve": True},
    )
    assert consented.status_code == 200, consented.text
    approved = await client.post(
        f"/v1/library/applications/{application_id}/decide",
        headers=hr(identity),
        json={"approve": True},
    )
    assert approved.status_code == 200, approved.text
    return approved.json()


class TestApply:
    async def test_subjects_are_checked_against_the_certificates(self, client, db, identity):
        teacher_id = await add_roster_teacher(db, 2, certificates=[("junior", "音乐")])
        body = {
            **APPLICATION,
            "offered": [
                {"subject": "音乐", "stage": "primary"},  # a 初中 certificate covers 小学
                {"subject": "音乐", "stage": "senior"},  # but not 高中
            ],
        }
        refused = await client.post(
            "/v1/library/applications", headers=teacher(identity, teacher_id), json=body
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"] == "body.offered.1.subject"
        body["offered"] = [{"subject": "物理", "stage": "primary"}]  # 物理 is not a 小学 subject
        refused = await client.post(
            "/v1/library/applications", headers=teacher(identity, teacher_id), json=body
        )
        assert refused.status_code == 422
        assert "not taught" in refused.json()["errors"][0]["message"]

    async def test_travelling_needs_a_district(self, client, db, identity):
        teacher_id = await add_roster_teacher(db, 2)
        for areas, field in (([], "body.areas"), ([str(school_id(3))], "body.areas.0")):
            refused = await client.post(
                "/v1/library/applications",
                headers=teacher(identity, teacher_id),
                json={**APPLICATION, "areas": areas},
            )
            assert refused.status_code == 422, refused.text
            assert refused.json()["errors"][0]["field"] == field

    async def test_a_teacher_may_name_any_district_of_the_city(self, client, db, identity):
        teacher_id = await add_roster_teacher(db, 2)
        areas = await client.get("/v1/library/areas", headers=teacher(identity, teacher_id))
        assert areas.status_code == 200, areas.text
        assert [(a["id"], a["name"]) for a in areas.json()] == [
            (str(DISTRICT), "D1"),
            (str(OTHER_DISTRICT), "D2"),
        ]

    async def test_one_application_under_review_at_a_time(self, client, db, identity):
        teacher_id = await add_roster_teacher(db, 2)
        first = await client.post(
            "/v1/library/applications", headers=teacher(identity, teacher_id), json=APPLICATION
        )
        assert first.status_code == 201
        again = await client.post(
            "/v1/library/applications", headers=teacher(identity, teacher_id), json=APPLICATION
        )
        assert again.status_code == 409


class TestReview:
    async def test_listed_only_after_school_consent_and_district_approval(
        self, client, db, identity
    ):
        teacher_id = await add_roster_teacher(db, 2)
        request_id = await add_request(db, 1, [(2, 3)], term_start=date.today())
        assert str(teacher_id) not in await candidates(client, identity, request_id)
        applied = await client.post(
            "/v1/library/applications", headers=teacher(identity, teacher_id), json=APPLICATION
        )
        application_id = applied.json()["id"]
        early = await client.post(
            f"/v1/library/applications/{application_id}/decide",
            headers=hr(identity),
            json={"approve": True},
        )
        assert early.status_code == 409  # the school consents first
        assert early.json()["type"] == "/problems/illegal-transition"
        assert (early.json()["state"], early.json()["state_of"]) == (
            "applied",
            "library_application",
        )
        other_school = await client.post(
            f"/v1/library/applications/{application_id}/consent",
            headers=school(identity, 3),
            json={"approve": True},
        )
        assert other_school.status_code == 404
        await client.post(
            f"/v1/library/applications/{application_id}/consent",
            headers=school(identity, 2),
            json={"approve": True},
        )
        foreign_hr = await client.post(
            f"/v1/library/applications/{application_id}/decide",
            headers=hr(identity, OTHER_DISTRICT),
            json={"approve": True},
        )
        assert foreign_hr.status_code == 404
        no_reason = await client.post(
            f"/v1/library/applications/{application_id}/decide",
            headers=hr(identity),
            json={"approve": False},
        )
        assert no_reason.status_code == 422
        returned = await client.post(
            f"/v1/library/applications/{application_id}/decide",
            headers=hr(identity),
            json={"approve": False, "reason": "请补充近三年任教情况"},
        )
        assert returned.status_code == 200, returned.text
        assert returned.json()["status"] == "returned"
        assert returned.json()["return_reason"] == "请补充近三年任教情况"
        assert str(teacher_id) not in await candidates(client, identity, request_id)

        application = await listed(client, identity, teacher_id)
        assert application["status"] == "approved"
        profile = await client.get(
            f"/v1/teachers/{teacher_id}", headers=teacher(identity, teacher_id)
        )
        assert profile.json()["library_status"] == "listed"
        assert profile.json()["offered"] == [["音乐", "primary"]]
        assert profile.json()["weekly_cap"] == 4
        assert str(teacher_id) in await candidates(client, identity, request_id)

    async def test_school_may_return_an_application(self, client, db, identity):
        teacher_id = await add_roster_teacher(db, 2)
        applied = await client.post(
            "/v1/library/applications", headers=teacher(identity, teacher_id), json=APPLICATION
        )
        returned = await client.post(
            f"/v1/library/applications/{applied.json()['id']}/consent",
            headers=school(identity, 2),
            json={"approve": False, "reason": "本学期毕业班任务重"},
        )
        assert returned.json()["status"] == "returned"
        mine = await client.get("/v1/library/applications", headers=teacher(identity, teacher_id))
        assert [a["return_reason"] for a in mine.json()["data"]] == ["本学期毕业班任务重"]


class TestMatching:
    async def test_areas_bound_travel_but_not_online(self, client, db, identity):
        teacher_id = await add_roster_teacher(db, 2)
        await listed(client, identity, teacher_id)
        far = await add_request(db, 9, [(2, 3)], term_start=date.today())
        assert str(teacher_id) not in await candidates(client, identity, far)
        offered = await client.post(
            f"/v1/requests/{far}/offers",
            headers=identity.headers(principal("city_hr")),
            json={"teacher_id": str(teacher_id)},
        )
        assert offered.status_code == 422
        assert "district" in offered.json()["errors"][0]["message"]

    async def test_pause_stops_offers_and_resume_restores(self, client, db, identity):
        teacher_id = await add_roster_teacher(db, 2)
        await listed(client, identity, teacher_id)
        request_id = await add_request(db, 1, [(2, 3)], term_start=date.today())
        offer = await client.post(
            f"/v1/requests/{request_id}/offers",
            headers=hr(identity),
            json={"teacher_id": str(teacher_id)},
        )
        assert offer.status_code == 201, offer.text
        paused = await client.post(
            f"/v1/teachers/{teacher_id}/membership",
            headers=teacher(identity, teacher_id),
            json={"action": "pause"},
        )
        assert paused.status_code == 200, paused.text
        assert paused.json()["library_status"] == "paused"
        seen = await client.get(f"/v1/offers/{offer.json()['id']}", headers=hr(identity))
        assert seen.json()["status"] == "declined"
        assert str(teacher_id) not in await candidates(client, identity, request_id)
        again = await client.post(
            f"/v1/requests/{request_id}/offers",
            headers=hr(identity),
            json={"teacher_id": str(teacher_id)},
        )
        assert again.status_code == 422
        await client.post(
            f"/v1/teachers/{teacher_id}/membership",
            headers=teacher(identity, teacher_id),
            json={"action": "resume"},
        )
        assert str(teacher_id) in await candidates(client, identity, request_id)
        left = await client.post(
            f"/v1/teachers/{teacher_id}/membership",
            headers=teacher(identity, teacher_id),
            json={"action": "leave"},
        )
        assert left.json()["library_status"] == "left"
        resume = await client.post(
            f"/v1/teachers/{teacher_id}/membership",
            headers=teacher(identity, teacher_id),
            json={"action": "resume"},
        )
        assert resume.status_code == 409  # leaving means applying anew

    async def test_honours_are_recorded_and_shown_in_reasons(self, client, db, identity):
        teacher_id = await add_roster_teacher(db, 2)
        await listed(client, identity, teacher_id)
        body = {
            "kind": "backbone",
            "document_no": "成教发〔2025〕12号",
            "conferred_on": "2025-09-10",
            "conferred_by": "成都市教育局",
        }
        own = await client.post(
            f"/v1/teachers/{teacher_id}/honours", headers=teacher(identity, teacher_id), json=body
        )
        assert own.status_code == 403
        flagged = await client.post(
            f"/v1/teachers/{teacher_id}/honours", headers=hr(identity), json=body
        )
        assert flagged.status_code == 200, flagged.text
        assert flagged.json()["honours"][0]["name"] == "骨干教师"
        request_id = await add_request(db, 1, [(2, 3)], term_start=date.today())
        ranked = await client.get(f"/v1/requests/{request_id}/candidates", headers=hr(identity))
        reasons = ranked.json()["data"][0]["reasons"]
        assert {
            "factor": "honours",
            "points": 0,
            "detail": "骨干教师",
            "code": "honours",
            "params": {"honours": "骨干教师"},
        } in reasons
