"""Nobody sees or changes what is not theirs: district HR against another district's school."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from services.staffing.models import LedgerEntry, messaging
from tests.staffing.support import person, staffing
from tests.support import NatsServer, principal


async def counts(api) -> tuple[int, int]:
    async with api.db.session(read_only=True) as session:
        ledger = (await session.execute(select(func.count()).select_from(LedgerEntry))).scalar_one()
        events = (
            await session.execute(select(func.count()).select_from(messaging.outbox))
        ).scalar_one()
    return ledger, events


async def test_district_hr_is_refused_everything_about_another_districts_school(
    make_database, identity, nats_server: NatsServer
):
    async with staffing(identity, await make_database("staffing"), nats_server.url) as api:
        own, other = await api.district("OWN"), await api.district("OTHER")
        mine = await api.school(own["id"], "MINE", posts=3)
        theirs = await api.school(other["id"], "THEIRS", posts=3)
        await api.ok(
            "POST",
            "/v1/pools/bianzhi/deposits",
            json={"unit_id": theirs["id"], "count": 1, "document_no": "收储", "reason": "富余"},
        )
        staff = (await api.hire(theirs["id"])).json()
        decided = await api.lend(theirs["id"])
        application, loan = decided["application"], decided["loan"]
        hr = principal("district_hr", district_id=own["id"])
        unit, sid = theirs["id"], staff["id"]
        routes = [
            ("GET", f"/v1/units/{unit}", None),
            ("PATCH", f"/v1/units/{unit}", {"name": "改名"}),
            ("GET", f"/v1/units/{unit}/enrolment", None),
            (
                "PUT",
                f"/v1/units/{unit}/enrolment",
                [{"school_year": 2026, "stage": "primary", "pupils": 1}],
            ),
            ("GET", f"/v1/units/{unit}/quotas", None),
            ("GET", f"/v1/units/{unit}/summary", None),
            ("GET", f"/v1/units/{unit}/adjustments", None),
            (
                "POST",
                f"/v1/units/{unit}/adjustments",
                {"quota_type": "bianzhi", "delta": 1, "document_no": "X", "reason": "r"},
            ),
            ("GET", f"/v1/summary?district_id={other['id']}", None),
            ("GET", f"/v1/exports/summary?district_id={other['id']}", None),
            (
                "POST",
                "/v1/pools/bianzhi/deposits",
                {"unit_id": unit, "count": 1, "document_no": "X", "reason": "r"},
            ),
            (
                "POST",
                "/v1/pool-applications",
                {
                    "unit_id": unit,
                    "requested": 1,
                    "reason_kind": "new_school",
                    "reason": "r",
                    "term_years": 3,
                },
            ),
            ("GET", f"/v1/pool-applications/{application['id']}", None),
            (
                "POST",
                f"/v1/pool-applications/{application['id']}/decision",
                {"outcome": "reject", "reason": "r"},
            ),
            ("GET", f"/v1/loans/{loan['id']}", None),
            ("POST", f"/v1/loans/{loan['id']}/repayments", {"count": 1, "document_no": "X"}),
            ("POST", "/v1/staff", person(unit)),
            ("GET", f"/v1/staff/{sid}", None),
            ("POST", f"/v1/staff/{sid}/departure", {"reason": "retired"}),
            ("POST", f"/v1/staff/{sid}/transfer", {"to_unit_id": mine["id"]}),
        ]
        before = await counts(api)
        for method, path, body in routes:
            response = await api.call(method, path, hr, json=body)
            assert response.status_code in (403, 404), (method, path, response.text)
            assert response.headers["content-type"] == "application/problem+json"
        assert await counts(api) == before
        for path in ("/v1/staff", "/v1/loans", "/v1/pool-applications", "/v1/ledger"):
            listed = await api.ok("GET", f"{path}?unit_id={unit}", hr)
            assert listed["data"] == [], path
        warnings = await api.ok("GET", "/v1/warnings", hr)
        assert all(w["district_id"] == own["id"] for w in warnings["data"])
        mine_staff = await api.hire(mine["id"], hr)
        assert mine_staff.status_code == 201
        school_admin = principal("school_admin", unit_id=mine["id"])
        assert (await api.call("GET", f"/v1/units/{unit}", school_admin)).status_code == 404
        assert (await api.hire(mine["id"], school_admin)).status_code == 403


@pytest.mark.parametrize("role", ["auditor", "school_admin"])
async def test_readers_may_not_write(role, make_database, identity, nats_server: NatsServer):
    async with staffing(identity, await make_database("staffing"), nats_server.url) as api:
        district = await api.district("D1")
        school = await api.school(district["id"], "S1", posts=1)
        who = principal(role, unit_id=school["id"])
        assert (await api.call("GET", f"/v1/units/{school['id']}/summary", who)).status_code == 200
        assert (await api.hire(school["id"], who)).status_code == 403
        assert (await api.quota(school["id"]))["occupied"] == 0
