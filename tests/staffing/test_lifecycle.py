"""A school's life as auditable acts: opened with a plan, merged in one step, closed by a list."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import func, select

from contracts.talent import PostingOpened
from services.staffing.ledger.service import Movement
from services.staffing.models import Staff, messaging
from services.staffing.quotas import repository as quotas
from services.staffing.reservations import service as reservations
from services.staffing.roster.service import hire_into_vacancy
from services.staffing.units import repository as units
from tests.staffing.support import CITY_HR, staffing
from tests.support import NatsServer, principal


@pytest.fixture
async def api(make_database, identity, nats_server: NatsServer):
    async with staffing(identity, await make_database("staffing"), nats_server.url) as api:
        yield api


def opening(code: str, district_id: str | None, plan: list[dict], **extra):
    return {
        "code": code,
        "name": f"新校{code}",
        "district_id": district_id,
        "stages": ["primary"],
        "lat": 30.67,
        "lon": 104.05,
        "document_no": f"成教〔2026〕{code}号",
        "reason": "新建小区配套学校",
        "plan": plan,
        **extra,
    }


async def transfers_announced(api) -> int:
    outbox = messaging.outbox
    async with api.db.session(read_only=True) as session:
        stmt = select(func.count()).where(outbox.c.type == "staffing.staff.transferred")
        return int((await session.execute(stmt)).scalar_one())


class TestOpen:
    async def test_open_with_a_plan_raised_and_granted_from_the_district_pool(self, api):
        district = await api.district("D1")
        donor = await api.school(district["id"], "S1", posts=5)
        hr = principal("district_hr", district_id=district["id"])
        await api.ok("PUT", f"/v1/districts/{district['id']}/pools/bianzhi", hr)
        await api.ok(
            "POST",
            f"/v1/districts/{district['id']}/pools/bianzhi/deposits",
            hr,
            json={"unit_id": donor["id"], "count": 3, "document_no": "区收1", "reason": "富余"},
        )
        opened = await api.ok(
            "POST",
            "/v1/schools/openings",
            hr,
            json=opening("N1", district["id"], [{"posts": 2, "source": "district_pool"}]),
        )
        school = opened["unit"]
        assert (
            opened["act"]["kind"] == "opened" and opened["act"]["document_no"] == "成教〔2026〕N1号"
        )
        assert (await api.quota(school["id"]))["approved"] == 2
        ledger = await api.ok("GET", "/v1/ledger", params={"unit_id": school["id"]})
        assert [(e["kind"], e["document_no"]) for e in ledger["data"]] == [
            ("allocation", "成教〔2026〕N1号")
        ]
        raised = await api.ok(
            "POST",
            "/v1/schools/openings",
            json=opening("N2", district["id"], [{"posts": 40, "source": "adjustment"}]),
        )
        assert (await api.quota(raised["unit"]["id"]))["approved"] == 40
        acts = await api.ok("GET", "/v1/unit-acts", CITY_HR, params={"kind": "opened"})
        assert len(acts["data"]) == 2
        assert await api.verify() == []

    async def test_district_hr_may_not_raise_posts_or_open_city_direct_schools(self, api):
        district = await api.district("D1")
        hr = principal("district_hr", district_id=district["id"])
        raised = await api.call(
            "POST",
            "/v1/schools/openings",
            hr,
            json=opening("N1", district["id"], [{"posts": 2, "source": "adjustment"}]),
        )
        assert raised.status_code == 422
        assert raised.json()["errors"][0]["field"] == "body.plan.0.source"
        direct = await api.call("POST", "/v1/schools/openings", hr, json=opening("C1", None, []))
        assert direct.status_code == 403
        opened = await api.ok(
            "POST",
            "/v1/schools/openings",
            CITY_HR,
            json=opening("C1", None, [], name="成都市直属实验学校"),
        )
        assert opened["unit"]["district_id"] is None


class TestMerge:
    async def test_posts_staff_and_loans_move_to_the_survivor_in_one_step(self, api):
        district = await api.district("D1")
        donor = await api.school(district["id"], "S0", posts=4)
        absorbed = await api.school(district["id"], "S1", posts=3)
        survivor = await api.school(district["id"], "S2", posts=5)
        await api.ok(
            "POST",
            "/v1/pools/bianzhi/deposits",
            json={"unit_id": donor["id"], "count": 2, "document_no": "收", "reason": "r"},
        )
        await api.lend(absorbed["id"])
        for _ in range(3):
            assert (await api.hire(absorbed["id"])).status_code == 201
        await api.hire(survivor["id"])
        before = await transfers_announced(api)
        merged = await api.ok(
            "POST",
            f"/v1/schools/{absorbed['id']}/merger",
            json={
                "into_unit_id": survivor["id"],
                "document_no": "成教〔2026〕8号",
                "reason": "撤并",
            },
        )
        assert merged["unit"]["status"] == "merged"
        assert merged["unit"]["merged_into_id"] == survivor["id"]
        assert merged["act"]["details"]["posts"] == {"bianzhi": 4}
        quota = await api.quota(survivor["id"])
        assert (quota["approved"], quota["occupied"], quota["borrowed"]) == (9, 4, 1)
        gone = await api.quota(absorbed["id"])
        assert (gone["approved"], gone["occupied"], gone["borrowed"]) == (0, 0, 0)
        staff = await api.ok("GET", "/v1/staff", params={"unit_id": survivor["id"], "active": True})
        assert len(staff["data"]) == 4
        loans = await api.ok("GET", "/v1/loans", params={"unit_id": survivor["id"]})
        assert [x["outstanding"] for x in loans["data"]] == [1]
        assert await transfers_announced(api) - before == 3
        assert await api.verify() == []

    async def test_a_school_with_open_postings_is_not_merged(self, api):
        district = await api.district("D1")
        absorbed = await api.school(district["id"], "S1", posts=3)
        survivor = await api.school(district["id"], "S2", posts=1)

        async with api.db.session() as session:
            await reservations.reserve(
                session,
                PostingOpened(
                    posting_id=uuid.uuid4(), unit_id=absorbed["id"], quota_type="bianzhi", count=1
                ),
                "talent",
            )
        refused = await api.call(
            "POST",
            f"/v1/schools/{absorbed['id']}/merger",
            json={"into_unit_id": survivor["id"], "document_no": "X", "reason": "撤并"},
        )
        assert refused.status_code == 409
        assert "open postings" in refused.json()["detail"]
        body = refused.json()
        assert (body["type"], body["quota_type"], body["reserved"]) == (
            "/problems/posts-reserved",
            "bianzhi",
            1,
        )
        assert (await api.quota(survivor["id"]))["approved"] == 1


class TestClose:
    async def test_staff_move_by_the_list_and_posts_go_back_to_the_district_pool(self, api):
        district = await api.district("D1")
        hr = principal("district_hr", district_id=district["id"])
        await api.ok("PUT", f"/v1/districts/{district['id']}/pools/bianzhi", hr)
        closing = await api.school(district["id"], "S1", posts=5)
        first = await api.school(district["id"], "S2", posts=1)
        second = await api.school(district["id"], "S3", posts=2)
        people = [(await api.hire(closing["id"])).json() for _ in range(2)]
        incomplete = await api.call(
            "POST",
            f"/v1/schools/{closing['id']}/closure",
            hr,
            json={
                "document_no": "成教〔2026〕9号",
                "reason": "生源萎缩",
                "transfers": [{"staff_id": people[0]["id"], "to_unit_id": first["id"]}],
            },
        )
        assert incomplete.status_code == 422
        assert incomplete.json()["errors"][0]["field"] == "body.transfers"
        assert (await api.quota(closing["id"]))["occupied"] == 2
        closed = await api.ok(
            "POST",
            f"/v1/schools/{closing['id']}/closure",
            hr,
            json={
                "document_no": "成教〔2026〕9号",
                "reason": "生源萎缩",
                "transfers": [
                    {"staff_id": people[0]["id"], "to_unit_id": first["id"]},
                    {"staff_id": people[1]["id"], "to_unit_id": second["id"]},
                ],
            },
        )
        assert closed["unit"]["status"] == "closed"
        assert closed["act"]["details"]["posts_returned"] == {"bianzhi": 5}
        assert closed["act"]["details"]["returned_to_district_pool"] is True
        pool = await api.ok("GET", f"/v1/districts/{district['id']}/pools/bianzhi", hr)
        assert pool["balance"] == 5
        assert (await api.quota(first["id"]))["occupied"] == 1
        assert (await api.quota(closing["id"]))["approved"] == 0
        again = await api.call(
            "POST",
            f"/v1/schools/{closing['id']}/closure",
            hr,
            json={"document_no": "X", "reason": "r", "transfers": []},
        )
        assert again.status_code == 409
        assert (again.json()["state"], again.json()["state_of"]) == ("closed", "unit")
        assert await api.verify() == []

    async def test_a_city_direct_school_returns_its_posts_to_the_city_pool(self, api):
        opened = await api.ok(
            "POST",
            "/v1/schools/openings",
            CITY_HR,
            json=opening("C1", None, [{"posts": 3, "source": "adjustment"}]),
        )
        before = (await api.pool())["balance"]
        await api.ok(
            "POST",
            f"/v1/schools/{opened['unit']['id']}/closure",
            CITY_HR,
            json={"document_no": "成教〔2026〕10号", "reason": "并入他校", "transfers": []},
        )
        assert (await api.pool())["balance"] == before + 3
        assert await api.verify() == []


async def test_a_balance_row_the_session_holds_follows_the_hires_it_makes(
    make_database, identity, nats_server: NatsServer
):
    """On PostgreSQL a hire moves the balance row in a statement the session does not track;
    a copy of the row the session already holds (the roster import locks them first) must
    still read what the database holds afterwards, without being read again."""
    async with staffing(identity, await make_database("staffing"), nats_server.url) as api:
        district = await api.district("D1")
        school = await api.school(district["id"], "S1", posts=3)
        unit_id = uuid.UUID(school["id"])
        async with api.db.session() as session:
            held = await quotas.lock_quota(session, unit_id, "bianzhi")
            assert held is not None and held.occupied == 0
            unit = await units.get(session, unit_id)
            assert unit is not None
            for n in range(2):
                staff = Staff(
                    unit_id=unit_id,
                    quota_type="bianzhi",
                    name=f"教师{n}",
                    sex="female",
                    birth_date=date(1990, 1, 1),
                    hire_date=date(2026, 9, 1),
                    status="active",
                )
                await hire_into_vacancy(session, unit, staff, Movement.of("hire", "test"))
            assert (held.occupied, held.vacant) == (2, 1)
        assert (await api.quota(school["id"]))["occupied"] == 2
        assert await api.verify() == []
