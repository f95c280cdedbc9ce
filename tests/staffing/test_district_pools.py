"""District pools (区级编制周转池): a district lends its schools' idle posts to its schools first,
repaid on departure, and passes what it cannot cover on to the city's pool."""

from __future__ import annotations

import pytest

from tests.staffing.support import CITY_HR, staffing
from tests.support import NatsServer, principal


@pytest.fixture
async def api(make_database, identity, nats_server: NatsServer):
    async with staffing(identity, await make_database("staffing"), nats_server.url) as api:
        yield api


async def city(api):
    """Two districts with two schools each, the first district running its own pool."""
    d1, d2 = await api.district("D1"), await api.district("D2")
    donor = await api.school(d1["id"], "S11", posts=6)
    needy = await api.school(d1["id"], "S12", posts=1)
    other = await api.school(d2["id"], "S21", posts=4)
    hr = principal("district_hr", district_id=d1["id"])
    await api.ok("PUT", f"/v1/districts/{d1['id']}/pools/bianzhi", hr)
    return d1, d2, donor, needy, other, hr


def application(unit_id: str, requested: int = 2, **extra):
    return {
        "unit_id": unit_id,
        "requested": requested,
        "reason_kind": "enrolment_growth",
        "reason": "扩班",
        "term_years": 3,
        **extra,
    }


class TestDistrictPool:
    async def test_district_hr_deposits_lends_and_is_repaid_on_departure(self, api):
        d1, _, donor, needy, _, hr = await city(api)
        city_before = (await api.pool())["balance"]
        deposit = await api.ok(
            "POST",
            f"/v1/districts/{d1['id']}/pools/bianzhi/deposits",
            hr,
            json={
                "unit_id": donor["id"],
                "count": 3,
                "document_no": "青编〔2026〕1号",
                "reason": "富余",
            },
        )
        assert (deposit["pool_balance"], deposit["unit_approved"]) == (3, 3)
        asked = await api.ok("POST", "/v1/pool-applications", hr, json=application(needy["id"]))
        assert asked["lender_district_id"] == d1["id"]
        decision = await api.ok(
            "POST",
            f"/v1/pool-applications/{asked['id']}/decision",
            hr,
            json={"outcome": "approve", "reason": "同意", "document_no": "青编〔2026〕2号"},
        )
        loan = decision["loan"]
        assert (loan["lender_district_id"], loan["granted"]) == (d1["id"], 2)
        pool = await api.ok("GET", f"/v1/districts/{d1['id']}/pools/bianzhi", hr)
        assert (pool["balance"], pool["lent_outstanding"]) == (1, 2)
        assert (await api.pool())["balance"] == city_before
        staff = (await api.hire(needy["id"], who=hr)).json()
        await api.ok("POST", f"/v1/staff/{staff['id']}/departure", hr, json={"reason": "retired"})
        pool = await api.ok("GET", f"/v1/districts/{d1['id']}/pools/bianzhi", hr)
        assert (pool["balance"], pool["lent_outstanding"]) == (2, 1)
        ledger = await api.ok("GET", "/v1/ledger", hr, params={"unit_id": d1["id"]})
        assert [e["kind"] for e in ledger["data"]] == ["deposit", "loan", "repayment"]
        assert await api.verify() == []

    async def test_a_district_takes_only_its_own_schools_posts(self, api):
        d1, _, _, _, other, _hr = await city(api)
        refused = await api.call(
            "POST",
            f"/v1/districts/{d1['id']}/pools/bianzhi/deposits",
            json={"unit_id": other["id"], "count": 1, "document_no": "X", "reason": "r"},
        )
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["field"] == "body.unit_id"
        assert (await api.quota(other["id"]))["approved"] == 4

    async def test_a_referral_to_a_pool_the_city_does_not_run_names_the_quota_type(self, api):
        d1, _, _, needy, _, hr = await city(api)
        await api.ok("PUT", f"/v1/districts/{d1['id']}/pools/yuan_e", hr)
        asked = await api.ok(
            "POST", "/v1/pool-applications", hr, json=application(needy["id"], quota_type="yuan_e")
        )
        refused = await api.call(
            "POST", f"/v1/pool-applications/{asked['id']}/referral", hr, json={"reason": "区池不足"}
        )
        assert refused.status_code == 409
        body = refused.json()
        assert (body["type"], body["quota_type"]) == ("/problems/pool-not-open", "yuan_e")
        assert body["detail"] == "the city does not pool yuan_e posts"

    async def test_district_hr_runs_its_own_pool_only(self, api):
        _, d2, _, _, _other, hr = await city(api)
        opened = await api.call("PUT", f"/v1/districts/{d2['id']}/pools/bianzhi", hr)
        assert opened.status_code == 404
        await api.ok("PUT", f"/v1/districts/{d2['id']}/pools/bianzhi")
        mine = await api.ok("GET", "/v1/district-pools", hr)
        assert [p["district_name"] for p in mine["data"]] == ["区D1"]
        every = await api.ok("GET", "/v1/district-pools", CITY_HR)
        assert [p["district_name"] for p in every["data"]] == ["区D1", "区D2"]

    async def test_a_short_district_refers_to_the_city_pool(self, api):
        _d1, _, donor, needy, _, hr = await city(api)
        await api.ok(
            "POST",
            "/v1/pools/bianzhi/deposits",
            json={
                "unit_id": donor["id"],
                "count": 4,
                "document_no": "成编〔2026〕9号",
                "reason": "富余",
            },
        )
        asked = await api.ok("POST", "/v1/pool-applications", hr, json=application(needy["id"]))
        short = await api.call(
            "POST",
            f"/v1/pool-applications/{asked['id']}/decision",
            hr,
            json={"outcome": "approve", "reason": "同意"},
        )
        assert short.status_code == 409
        assert "holds 0 posts" in short.json()["detail"]
        body = short.json()
        assert (body["pool_balance"], body["granted"], body["quota_type"]) == (0, 2, "bianzhi")
        referred = await api.ok(
            "POST", f"/v1/pool-applications/{asked['id']}/referral", hr, json={"reason": "区池不足"}
        )
        assert referred["lender_district_id"] is None and referred["referred_by"] == hr.sub
        refused = await api.call(
            "POST",
            f"/v1/pool-applications/{asked['id']}/decision",
            hr,
            json={"outcome": "approve", "reason": "同意"},
        )
        assert refused.status_code == 403
        decision = await api.ok(
            "POST",
            f"/v1/pool-applications/{asked['id']}/decision",
            json={"outcome": "approve", "reason": "同意"},
        )
        assert decision["loan"]["lender_district_id"] is None
        assert (await api.pool())["balance"] == 2
        assert await api.verify() == []

    async def test_city_direct_schools_apply_to_the_city(self, api):
        _d1, _, _donor, _, _, _hr = await city(api)
        direct = await api.ok(
            "POST",
            "/v1/units",
            json={
                "kind": "school",
                "code": "C1",
                "name": "市直属学校",
                "stages": ["senior"],
                "lat": 30.6,
                "lon": 104.0,
            },
        )
        asked = await api.ok("POST", "/v1/pool-applications", json=application(direct["id"]))
        assert asked["lender_district_id"] is None
        wrong = await api.call(
            "POST", "/v1/pool-applications", json=application(direct["id"], pool="district")
        )
        assert wrong.status_code == 422
        assert wrong.json()["errors"][0]["field"] == "body.pool"
