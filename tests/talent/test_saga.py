"""The hire saga over a real NATS with the real staffing service: a posting holds posts,
a hire turns one into a staff record, and the application shows onboarded."""

from __future__ import annotations

import uuid

import pytest

from tests.staffing.support import staffing
from tests.support import eventually
from tests.talent.support import Api, partner, talent

pytestmark = pytest.mark.nats

SITE = partner("site")
STEPS = ["screened", "exam", "interview", "assessment", "offered", "hired"]


async def units_known(api: Api, *unit_ids: str) -> None:
    async def known() -> bool:
        for unit_id in unit_ids:
            if (await api.call("GET", f"/v1/units/{unit_id}")).status_code != 200:
                return False
        return True

    await eventually(known)


async def posting_status(api: Api, posting_id: str, wanted: str) -> dict:  # type: ignore[type-arg]
    found: dict = {}  # type: ignore[type-arg]

    async def reached() -> bool:
        found.update(await api.ok("GET", f"/v1/postings/{posting_id}"))
        return found["status"] == wanted

    await eventually(reached)
    return found


async def test_hire_saga_from_posting_to_onboarded(make_database, own_nats, identity):
    staffing_url, talent_url = await make_database("staffing"), await make_database("talent")
    async with (
        staffing(identity, staffing_url, own_nats.url) as hr,
        talent(identity, talent_url, own_nats.url, units=False) as api,
    ):
        district = await hr.district("510105")
        roomy = await hr.school(district["id"], "510105-S0101", posts=3)
        full = await hr.school(district["id"], "510105-S0102", posts=0)
        await units_known(api, roomy["id"], full["id"])

        opened = await api.posting(quota_type="bianzhi", count=2, unit_id=uuid.UUID(roomy["id"]))
        blocked = await api.posting(quota_type="bianzhi", count=1, unit_id=uuid.UUID(full["id"]))
        assert opened["status"] == blocked["status"] == "pending_quota"
        await posting_status(api, opened["id"], "open")
        refused = await posting_status(api, blocked["id"], "blocked")
        assert "vacant" in refused["blocked_reason"]
        assert (await hr.quota(roomy["id"]))["reserved"] == 2

        candidate = await api.candidate(SITE)
        application = await api.application(SITE, candidate["id"], opened["id"])
        for step in STEPS:
            response = await api.move(application["id"], step)
            assert response.status_code == 200, response.text

        async def onboarded() -> bool:
            body = await api.ok("GET", f"/v1/applications/{application['id']}")
            return bool(body["onboarded"])

        await eventually(onboarded)
        quota = await hr.quota(roomy["id"])
        assert (quota["occupied"], quota["reserved"]) == (1, 1)
        staff = await hr.ok("GET", "/v1/staff", params={"unit_id": roomy["id"]})
        (hired,) = staff["data"]
        assert hired["posting_id"] == opened["id"]
        assert hired["name"].startswith("候选人")

        await api.ok("POST", f"/v1/postings/{opened['id']}/close", json={"reason": "filled"})

        async def released() -> bool:
            return (await hr.quota(roomy["id"]))["reserved"] == 0

        await eventually(released)
        await posting_status(api, opened["id"], "closed")

        async def talent_heard() -> bool:
            posting = await api.ok("GET", f"/v1/postings/{opened['id']}")
            return posting["reservation"] == "released"

        await eventually(talent_heard)
