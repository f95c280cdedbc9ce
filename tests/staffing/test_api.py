"""The staffing API end to end in-process: posts, the pool, the roster, the ledger."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import event

from tests.staffing.support import AUDITOR, CITY_HR, staffing
from tests.support import NatsServer, principal


@pytest.fixture
async def api(make_database, identity, nats_server: NatsServer):
    async with staffing(identity, await make_database("staffing"), nats_server.url) as api:
        yield api


class TestAdjust:
    async def test_raise_and_cut_approved_posts(self, api):
        district = await api.district("D1")
        school = await api.school(district["id"], "S1", posts=10)
        assert (await api.quota(school["id"]))["approved"] == 10
        await api.adjust(school["id"], -4)
        assert (await api.quota(school["id"]))["vacant"] == 6
        rows = (await api.ok("GET", f"/v1/units/{school['id']}/adjustments"))["data"]
        assert [r["delta"] for r in rows] == [10, -4]
        assert rows[0]["document_no"] and rows[1]["balance_after"] == 6
        assert await api.verify() == []

    async def test_cut_below_staff_is_refused(self, api):
        district = await api.district("D1")
        school = await api.school(district["id"], "S1", posts=1)
        assert (await api.hire(school["id"])).status_code == 201
        response = await api.call(
            "POST",
            f"/v1/units/{school['id']}/adjustments",
            json={"quota_type": "bianzhi", "delta": -1, "document_no": "X1", "reason": "核减"},
        )
        assert response.status_code == 409
        assert response.json()["type"] == "/problems/below-held-posts"
        assert "below the 1 held" in response.json()["detail"]
        body = response.json()
        assert (body["quota_type"], body["remaining"], body["held"]) == ("bianzhi", 0, 1)

    async def test_zero_delta_names_the_field_and_writes_nothing(self, api):
        district = await api.district("D1")
        school = await api.school(district["id"], "S1")
        response = await api.call(
            "POST",
            f"/v1/units/{school['id']}/adjustments",
            json={"quota_type": "bianzhi", "delta": 0, "document_no": "X1", "reason": "r"},
        )
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"][0]["field"] == "body.delta"
        ledger = await api.ok("GET", "/v1/ledger")
        assert ledger["data"] == []


class TestRoster:
    async def test_hire_beyond_posts_is_a_409_saying_why(self, api):
        district = await api.district("D1")
        school = await api.school(district["id"], "S1", posts=1)
        assert (await api.hire(school["id"])).status_code == 201
        refused = await api.hire(school["id"])
        assert refused.status_code == 409
        assert refused.json()["type"] == "/problems/no-vacancy"
        assert "0 vacant bianzhi posts" in refused.json()["detail"]
        body = refused.json()
        assert (body["vacant"], body["needed"], body["quota_type"]) == (0, 1, "bianzhi")
        assert (await api.quota(school["id"]))["occupied"] == 1

    async def test_a_unit_is_read_once_for_hires_and_its_scope_still_holds(self, api):
        district, other = await api.district("D1"), await api.district("D2")
        school = await api.school(district["id"], "S1", posts=3)
        read: list[str] = []

        @event.listens_for(api.db.engine.sync_engine, "before_cursor_execute")
        def count(_conn, _cursor, statement, *_args) -> None:
            if "FROM units" in statement and "WHERE units.id =" in statement:
                read.append(statement)

        assert (await api.hire(school["id"])).status_code == 201
        assert (await api.hire(school["id"])).status_code == 201
        assert len(read) <= 1  # the first hire may read it; the second finds it kept
        # What is kept is checked against the caller's scope every time.
        stranger = principal("district_hr", district_id=other["id"])
        assert (await api.hire(school["id"], who=stranger)).status_code == 404
        own = principal("district_hr", district_id=district["id"])
        assert (await api.hire(school["id"], who=own)).status_code == 201
        school_admin = principal("school_admin", unit_id=school["id"])
        assert (await api.hire(school["id"], who=school_admin)).status_code == 403
        nowhere = await api.hire(str(uuid.uuid4()))
        assert nowhere.status_code == 404
        assert (await api.quota(school["id"]))["occupied"] == 3
        assert await api.verify() == []

    async def test_a_hire_answers_the_person_as_stored(self, api):
        district = await api.district("D1")
        school = await api.school(district["id"], "S1", posts=2)
        hired = await api.hire(school["id"], title="一级教师", hire_date="2026-09-01")
        assert hired.status_code == 201, hired.text
        answer = hired.json()
        stored = await api.ok("GET", f"/v1/staff/{answer['id']}")
        assert answer == stored
        assert (answer["status"], answer["title"], answer["hire_date"]) == (
            "active",
            "一级教师",
            "2026-09-01",
        )
        assert answer["post_category"] == "professional" and answer["left_on"] is None
        assert (await api.quota(school["id"]))["occupied"] == 1
        assert await api.verify() == []

    async def test_bad_person_names_the_field_and_writes_nothing(self, api):
        district = await api.district("D1")
        school = await api.school(district["id"], "S1", posts=1)
        response = await api.hire(school["id"], sex="unknown")
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "body.sex"
        assert (await api.quota(school["id"]))["occupied"] == 0

    async def test_transfer_moves_the_person_in_one_step(self, api):
        district = await api.district("D1")
        first = await api.school(district["id"], "S1", posts=1)
        second = await api.school(district["id"], "S2", posts=1)
        staff = (await api.hire(first["id"])).json()
        moved = await api.ok(
            "POST", f"/v1/staff/{staff['id']}/transfer", json={"to_unit_id": second["id"]}
        )
        assert moved["unit_id"] == second["id"]
        assert (await api.quota(first["id"]))["occupied"] == 0
        assert (await api.quota(second["id"]))["occupied"] == 1
        assert await api.verify() == []


class TestPool:
    async def test_deposit_apply_partial_grant_then_departure_repays_first(self, api):
        district = await api.district("D1")
        lender = await api.school(district["id"], "S1", posts=5)
        borrower = await api.school(district["id"], "S2", posts=1)
        await api.ok(
            "POST",
            "/v1/pools/bianzhi/deposits",
            json={"unit_id": lender["id"], "count": 3, "document_no": "收储1", "reason": "富余"},
        )
        assert (await api.pool())["balance"] == 3
        hr = principal("district_hr", district_id=district["id"])
        application = await api.ok(
            "POST",
            "/v1/pool-applications",
            hr,
            json={
                "unit_id": borrower["id"],
                "requested": 4,
                "reason_kind": "enrolment_growth",
                "reason": "新增班级",
                "term_years": 3,
            },
        )
        assert application["status"] == "pending"
        assert application["forecast_attrition"] == 0
        refused = await api.call(
            "POST",
            f"/v1/pool-applications/{application['id']}/decision",
            hr,
            json={"outcome": "approve", "reason": "同意"},
        )
        assert refused.status_code == 403
        decided = await api.ok(
            "POST",
            f"/v1/pool-applications/{application['id']}/decision",
            json={"outcome": "approve", "granted": 2, "reason": "部分同意"},
        )
        assert decided["application"]["status"] == "partially_approved"
        assert decided["loan"]["outstanding"] == 2
        assert (await api.pool())["balance"] == 1
        quota = await api.quota(borrower["id"])
        assert (quota["approved"], quota["borrowed"]) == (3, 2)
        staff = (await api.hire(borrower["id"])).json()
        await api.ok("POST", f"/v1/staff/{staff['id']}/departure", json={"reason": "retired"})
        again = await api.call(
            "POST", f"/v1/staff/{staff['id']}/departure", json={"reason": "retired"}
        )
        assert again.status_code == 409
        assert (again.json()["type"], again.json()["staff_status"]) == (
            "/problems/not-on-roster",
            "retired",
        )
        quota = await api.quota(borrower["id"])
        assert (quota["approved"], quota["borrowed"], quota["occupied"]) == (2, 1, 0)
        assert (await api.pool())["balance"] == 2
        loan = await api.ok("GET", f"/v1/loans/{decided['loan']['id']}")
        assert loan["outstanding"] == 1
        repaid = await api.ok(
            "POST",
            f"/v1/loans/{loan['id']}/repayments",
            json={"count": 1, "document_no": "归还1"},
        )
        assert repaid["outstanding"] == 0 and repaid["repaid_at"]
        assert (await api.pool())["balance"] == 3
        assert await api.verify() == []
        kinds = {r["kind"] for r in (await api.ok("GET", "/v1/ledger", AUDITOR))["data"]}
        assert {"adjustment", "deposit", "loan", "hire", "departure", "repayment"} <= kinds

    async def test_rejection_needs_a_reason(self, api):
        district = await api.district("D1")
        school = await api.school(district["id"], "S1")
        application = await api.ok(
            "POST",
            "/v1/pool-applications",
            json={
                "unit_id": school["id"],
                "requested": 1,
                "reason_kind": "new_school",
                "reason": "新校",
                "term_years": 5,
            },
        )
        response = await api.call(
            "POST",
            f"/v1/pool-applications/{application['id']}/decision",
            json={"outcome": "reject"},
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "body.reason"
        decided = await api.ok(
            "POST",
            f"/v1/pool-applications/{application['id']}/decision",
            CITY_HR,
            json={"outcome": "reject", "reason": "池中无编"},
        )
        assert decided["application"]["status"] == "rejected" and decided["loan"] is None
        again = await api.call(
            "POST",
            f"/v1/pool-applications/{application['id']}/decision",
            json={"outcome": "reject", "reason": "再议"},
        )
        assert again.status_code == 409
        assert again.json()["type"] == "/problems/illegal-transition"
        assert (again.json()["state"], again.json()["state_of"]) == ("rejected", "pool_application")

    async def test_repaying_more_than_outstanding_names_what_is_outstanding(self, api):
        district = await api.district("D1")
        lender = await api.school(district["id"], "S1", posts=5)
        borrower = await api.school(district["id"], "S2", posts=1)
        await api.ok(
            "POST",
            "/v1/pools/bianzhi/deposits",
            json={"unit_id": lender["id"], "count": 3, "document_no": "收储1", "reason": "富余"},
        )
        application = await api.ok(
            "POST",
            "/v1/pool-applications",
            json={
                "unit_id": borrower["id"],
                "requested": 2,
                "reason_kind": "enrolment_growth",
                "reason": "新增班级",
                "term_years": 3,
            },
        )
        decided = await api.ok(
            "POST",
            f"/v1/pool-applications/{application['id']}/decision",
            json={"outcome": "approve", "reason": "同意"},
        )
        refused = await api.call(
            "POST",
            f"/v1/loans/{decided['loan']['id']}/repayments",
            json={"count": 3, "document_no": "归还1"},
        )
        assert refused.status_code == 409
        body = refused.json()
        assert body["type"] == "/problems/over-repayment"
        assert (body["outstanding"], body["count"]) == (2, 3)
        assert body["detail"] == "the loan has 2 posts outstanding, not 3"


class TestSummaries:
    async def test_summary_and_warnings_follow_the_2014_standard(self, api):
        district = await api.district("D1")
        school = await api.school(district["id"], "S1", posts=10)
        await api.ok(
            "PUT",
            f"/v1/units/{school['id']}/enrolment",
            json=[
                {"school_year": 2026, "stage": "primary", "pupils": 190},
                {"school_year": 2026, "stage": "junior", "pupils": 135},
                {"school_year": 2028, "stage": "primary", "pupils": 380, "forecast": True},
            ],
        )
        summary = await api.ok("GET", f"/v1/units/{school['id']}/summary")
        assert summary["required"] == 20 and summary["shortage_now"] == 10
        assert summary["shortage_forecast"] == 10
        city = await api.ok("GET", "/v1/summary", AUDITOR)
        assert city["approved"] == 10 and city["pool_balances"] == {"bianzhi": 0}
        warnings = (await api.ok("GET", "/v1/warnings", AUDITOR))["data"]
        assert [w["code"] for w in warnings] == ["S1"]
        standards = await api.ok("GET", "/v1/standards")
        assert standards["in_force"]["senior"] == 12.5
