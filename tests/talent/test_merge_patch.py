"""Talent's PATCH routes are JSON Merge Patch: a member left out stays, null clears what may be
cleared, null on what the record needs is a 422 naming it. On SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from tests.talent.support import SCHOOL, partner, talent

SITE = partner("site")


@pytest.fixture
async def api(make_database, nats_server, identity):
    async with talent(identity, await make_database("talent"), nats_server.url) as client:
        yield client


async def draft(api: Any) -> dict[str, Any]:
    return await api.ok(
        "POST",
        "/v1/postings",
        json={
            "unit_id": str(SCHOOL),
            "title": "高中数学教师",
            "subject": "数学",
            "stage": "senior",
            "count": 2,
            "quota_type": "control",
            "requirements": {"degree": "master"},
            "apply_from": "2026-12-01",
            "apply_until": "2026-12-31",
        },
    )


def fields(response: Any) -> list[str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [e["field"] for e in response.json()["errors"]]


class TestPostingPatch:
    async def test_members_left_out_stay_and_nulls_clear_what_may_be_cleared(self, api):
        posting = await draft(api)
        patched = await api.ok(
            "PATCH",
            f"/v1/postings/{posting['id']}",
            json={"subject": None, "apply_from": None, "requirements": None},
        )
        assert (patched["subject"], patched["apply_from"]) == (None, None)
        assert not any(patched["requirements"].values())
        for kept in ("title", "stage", "count", "quota_type", "apply_until"):
            assert patched[kept] == posting[kept], kept

    @pytest.mark.parametrize("member", ["title", "count", "quota_type"])
    async def test_null_on_a_member_the_posting_needs_is_422_naming_it(self, api, member):
        posting = await draft(api)
        refused = await api.call("PATCH", f"/v1/postings/{posting['id']}", json={member: None})
        assert fields(refused) == [f"body.{member}"]
        assert await api.ok("GET", f"/v1/postings/{posting['id']}") == posting

    async def test_only_a_draft_changes_and_the_refusal_names_the_posting_state(self, api):
        posting = await api.posting(held=False)
        refused = await api.call("PATCH", f"/v1/postings/{posting['id']}", json={"count": 3})
        assert refused.status_code == 409
        body = refused.json()
        assert body["type"] == "/problems/illegal-transition"
        assert (body["state"], body["state_of"]) == (posting["status"], "posting")
        assert posting["status"] != "draft"

    async def test_dates_stay_in_order(self, api):
        posting = await draft(api)
        refused = await api.call(
            "PATCH", f"/v1/postings/{posting['id']}", json={"apply_until": "2026-11-01"}
        )
        assert fields(refused) == ["body.apply_until"]


class TestWebhookPatch:
    async def endpoint(self, api: Any) -> dict[str, Any]:
        return await api.ok(
            "POST",
            "/v1/webhooks",
            SITE,
            json={
                "url": "http://127.0.0.1:9/hooks",
                "event_types": ["posting.opened"],
                "description": "站点",
            },
        )

    async def test_a_null_description_clears_it_and_the_rest_stays(self, api):
        hook = await self.endpoint(api)
        patched = await api.ok(
            "PATCH", f"/v1/webhooks/{hook['id']}", SITE, json={"description": None}
        )
        assert patched["description"] is None
        assert (patched["url"], patched["event_types"]) == (hook["url"], hook["event_types"])

    @pytest.mark.parametrize("member", ["url", "event_types", "enabled"])
    async def test_null_on_a_member_the_endpoint_needs_is_422_naming_it(self, api, member):
        hook = await self.endpoint(api)
        refused = await api.call("PATCH", f"/v1/webhooks/{hook['id']}", SITE, json={member: None})
        assert fields(refused) == [f"body.{member}"]
        hook.pop("secret")
        assert await api.ok("GET", f"/v1/webhooks/{hook['id']}", SITE) == hook
