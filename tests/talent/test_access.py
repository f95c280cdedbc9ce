"""Nobody sees what is not theirs: a partner its own candidates, applications and webhooks,
scopes checked; district HR its district's postings; no staffing route for a partner key."""

from __future__ import annotations

import pytest

from services.staffing.app import create_app as create_staffing
from services.staffing.settings import StaffingSettings
from tests.support import principal, running, service_settings
from tests.talent.support import (
    ALL_SCOPES,
    DISTRICT,
    OTHER_SCHOOL,
    SCHOOL,
    Receiver,
    partner,
    person,
    talent,
)

pytestmark = pytest.mark.nats

MINE, THEIRS = partner("mine"), partner("theirs")


async def test_a_partner_cannot_reach_another_partners_data(make_database, own_nats, identity):
    async with (
        Receiver() as site,
        talent(identity, await make_database("talent"), own_nats.url) as api,
    ):
        posting = await api.posting()
        candidate = await api.candidate(THEIRS)
        application = await api.application(THEIRS, candidate["id"], posting["id"])
        hook = await api.ok(
            "POST",
            "/v1/webhooks",
            THEIRS,
            json={"url": site.url, "event_types": ["posting.opened"]},
        )
        for path in (
            f"/v1/candidates/{candidate['id']}",
            f"/v1/applications/{application['id']}",
            f"/v1/webhooks/{hook['id']}",
            f"/v1/webhooks/{hook['id']}/deliveries",
        ):
            assert (await api.call("GET", path, MINE)).status_code == 404, path
        for method, path, body in (
            ("POST", f"/v1/candidates/{candidate['id']}/erase", None),
            ("POST", f"/v1/applications/{application['id']}/transitions", {"to": "withdrawn"}),
            ("PATCH", f"/v1/webhooks/{hook['id']}", {"enabled": False}),
            ("DELETE", f"/v1/webhooks/{hook['id']}", None),
            (
                "POST",
                "/v1/applications",
                {"candidate_id": candidate["id"], "posting_id": posting["id"]},
            ),
        ):
            response = await api.call(method, path, MINE, json=body)
            assert response.status_code == 404, (path, response.text)
        for path in ("/v1/candidates", "/v1/applications", "/v1/webhooks"):
            assert (await api.ok("GET", path, MINE))["data"] == [], path
        assert len((await api.ok("GET", "/v1/candidates", THEIRS))["data"]) == 1


async def test_scopes_limit_what_a_key_may_do(make_database, own_nats, identity):
    read_only = partner("reader", scopes=("postings:read",))
    async with talent(identity, await make_database("talent"), own_nats.url) as api:
        await api.posting()
        assert len((await api.ok("GET", "/v1/postings", read_only))["data"]) == 1
        for method, path in (
            ("POST", "/v1/candidates"),
            ("GET", "/v1/applications"),
            ("GET", "/v1/webhooks"),
        ):
            response = await api.call(method, path, read_only, json={})
            assert response.status_code in (403, 422), path
        pushed = await api.call(
            "POST",
            "/v1/candidates",
            read_only,
            json=person(),
        )
        assert pushed.status_code == 403
        nothing = partner("nothing", scopes=())
        assert (await api.call("GET", "/v1/postings", nothing)).status_code == 403


async def test_partners_see_only_published_postings_and_hr_its_district(
    make_database, own_nats, identity
):
    async with talent(identity, await make_database("talent"), own_nats.url) as api:
        ours = await api.posting(unit_id=SCHOOL)
        await api.posting(unit_id=OTHER_SCHOOL)
        draft = await api.ok(
            "POST",
            "/v1/postings",
            json={"unit_id": str(SCHOOL), "title": "草稿", "count": 1, "quota_type": "control"},
        )
        seen = {p["id"] for p in (await api.ok("GET", "/v1/postings", MINE))["data"]}
        assert draft["id"] not in seen and len(seen) == 2
        assert (await api.call("GET", f"/v1/postings/{draft['id']}", MINE)).status_code == 404
        district_hr = principal("district_hr", district_id=DISTRICT)
        theirs = {p["id"] for p in (await api.ok("GET", "/v1/postings", district_hr))["data"]}
        assert theirs == {ours["id"], draft["id"]}
        foreign = await api.call(
            "POST",
            "/v1/postings",
            district_hr,
            json={"unit_id": str(OTHER_SCHOOL), "title": "越权", "count": 1},
        )
        assert foreign.status_code == 403
        assert (await api.call("POST", "/v1/postings", MINE, json={})).status_code in (403, 422)


async def test_a_partner_key_reaches_no_staffing_route(make_database, own_nats, identity):
    settings = service_settings(
        StaffingSettings, identity, await make_database("staffing"), own_nats.url
    )
    key = identity.headers(partner("site", scopes=ALL_SCOPES))
    async with running(create_staffing(settings)) as client:
        for path in ("/v1/units", "/v1/staff"):
            response = await client.get(path, headers=key)
            assert response.status_code == 403 or response.json()["data"] == [], path
        hired = await client.post("/v1/staff", headers=key, json={})
        assert hired.status_code in (403, 422)


async def test_city_hr_reads_every_delivery_log_and_changes_no_endpoint(
    make_database, own_nats, identity
):
    city, auditor = principal("city_hr"), principal("auditor")
    district_hr = principal("district_hr", district_id=DISTRICT)
    async with (
        Receiver() as site,
        talent(identity, await make_database("talent"), own_nats.url) as api,
    ):
        hook = await api.ok(
            "POST",
            "/v1/webhooks",
            THEIRS,
            json={"url": site.url, "event_types": ["posting.opened"]},
        )
        for reader in (city, auditor):
            listed = await api.ok("GET", "/v1/webhooks", reader)
            assert [h["id"] for h in listed["data"]] == [hook["id"]]
            assert (await api.call("GET", f"/v1/webhooks/{hook['id']}", reader)).status_code == 200
            log = await api.call("GET", f"/v1/webhooks/{hook['id']}/deliveries", reader)
            assert log.status_code == 200
            assert "secret" not in (await api.ok("GET", f"/v1/webhooks/{hook['id']}", reader))
        for method, body in (("PATCH", {"enabled": False}), ("DELETE", None)):
            refused = await api.call(method, f"/v1/webhooks/{hook['id']}", city, json=body)
            assert refused.status_code == 403, refused.text
        assert (await api.call("GET", "/v1/webhooks", district_hr)).status_code == 403
        assert (
            await api.call("GET", f"/v1/webhooks/{hook['id']}/deliveries", district_hr)
        ).status_code == 403
