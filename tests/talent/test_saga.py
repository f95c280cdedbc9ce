"""The hire saga over a real NATS with the real staffing service: a posting holds posts (of
every quota type), a hire turns one into a staff record, and the application shows hired only
then; a hire staffing refuses ends `hire_failed` with the reason and can be retried."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from common.db import utcnow
from contracts.base import Envelope
from services.talent.models import Posting, messaging
from tests.staffing.support import staffing
from tests.support import eventually
from tests.talent.support import CITY_HR, Api, Receiver, partner, talent

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


async def posting_status(api: Api, posting_id: str, wanted: str) -> dict:
    found: dict = {}

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


async def application_reaches(api: Api, application_id: str, wanted: str) -> dict:
    found: dict = {}

    async def reached() -> bool:
        found.update(await api.ok("GET", f"/v1/applications/{application_id}"))
        return found["status"] == wanted

    await eventually(reached)
    return found


async def opened_before_control_numbers_were_held(api: Api, unit_id: str) -> dict:
    """A control posting as talent opened them before staffing held control numbers: open,
    with no reservation anywhere (every open demo posting was of this kind)."""
    draft = await api.ok(
        "POST",
        "/v1/postings",
        json={
            "unit_id": unit_id,
            "title": "两自一包学校数学教师",
            "subject": "数学",
            "stage": "senior",
            "count": 1,
            "quota_type": "control",
        },
    )
    async with api.db.session() as session:
        posting = await session.get(Posting, uuid.UUID(draft["id"]))
        assert posting is not None
        posting.status, posting.reservation, posting.opened_at = "open", "not_needed", utcnow()
    return await api.ok("GET", f"/v1/postings/{draft['id']}")


async def talent_events(api: Api, event_type: str) -> list[Envelope]:
    table = messaging.outbox
    stmt = select(table.c.envelope).where(table.c.type == event_type)
    async with api.db.session(read_only=True) as session:
        return [Envelope.model_validate_json(e) for e in (await session.execute(stmt)).scalars()]


async def test_refused_control_hire_fails_visibly_then_lands_on_the_roster_once_fixed(
    make_database, own_nats, identity
):
    staffing_url, talent_url = await make_database("staffing"), await make_database("talent")
    async with (
        Receiver() as site,
        staffing(identity, staffing_url, own_nats.url) as hr,
        talent(identity, talent_url, own_nats.url, units=False) as api,
    ):
        district = await hr.district("510105")
        school = await hr.school(district["id"], "510105-S0201", posts=2)
        await units_known(api, school["id"])
        hook = await api.ok(
            "POST",
            "/v1/webhooks",
            SITE,
            json={"url": site.url, "event_types": ["application.status_changed"]},
        )
        posting = await opened_before_control_numbers_were_held(api, school["id"])
        candidate = await api.candidate(SITE)
        application = await api.application(SITE, candidate["id"], posting["id"])
        for step in STEPS:
            response = await api.move(application["id"], step)
            assert response.status_code == 200, response.text
        assert response.json()["status"] == "hiring"

        # Staffing holds no control posts for it: a refusal with the reason, not a dead letter.
        failed = await application_reaches(api, application["id"], "hire_failed")
        assert failed["hire_failure_code"] == "no_reservation"
        assert posting["id"] in failed["hire_failure_reason"]
        assert failed["staff_id"] is None
        (told,) = await talent_events(api, "talent.hire.failed")
        assert told.data["requested_by"] == CITY_HR.sub
        assert told.data["code"] == "no_reservation"
        assert (await hr.ok("GET", "/v1/staff", params={"unit_id": school["id"]}))["data"] == []
        assert (await api.ok("GET", f"/v1/postings/{posting['id']}"))["hired"] == 0

        async def partner_heard_of_the_failure() -> bool:
            verifier = Webhook(hook["secret"])
            changes = [verifier.verify(r.body, r.headers)["data"] for r in site.received]
            return any(c["to_status"] == "hire_failed" for c in changes)

        await eventually(partner_heard_of_the_failure)
        verifier = Webhook(hook["secret"])
        said = [verifier.verify(r.body, r.headers)["data"]["to_status"] for r in site.received]
        assert "hired" not in said

        # HR reopens the posting: staffing holds its posts now, or says why not.
        reopened = await api.ok("POST", f"/v1/postings/{posting['id']}/reopen")
        assert (reopened["status"], reopened["reservation_attempt"]) == ("pending_quota", 2)
        blocked = await posting_status(api, posting["id"], "blocked")
        assert "0 vacant control posts" in blocked["blocked_reason"]

        # The commission sets the school's control number (控制数); HR reopens and retries.
        await hr.adjust(school["id"], 2, "control")
        await api.ok("POST", f"/v1/postings/{posting['id']}/reopen")
        await posting_status(api, posting["id"], "open")
        assert (await hr.quota(school["id"], "control"))["reserved"] == 1
        retried = await api.move(application["id"], "hired")
        assert retried.status_code == 200, retried.text
        assert retried.json()["status"] == "hiring"
        hired = await application_reaches(api, application["id"], "hired")
        staff = await hr.ok("GET", "/v1/staff", params={"unit_id": school["id"]})
        (person,) = staff["data"]
        assert (person["id"], person["quota_type"]) == (hired["staff_id"], "control")
        quota = await hr.quota(school["id"], "control")
        assert (quota["occupied"], quota["reserved"]) == (1, 0)
        assert await hr.verify() == []

        async def partner_heard_hired() -> bool:
            verifier = Webhook(hook["secret"])
            changes = [verifier.verify(r.body, r.headers)["data"] for r in site.received]
            return any(c["to_status"] == "hired" for c in changes)

        await eventually(partner_heard_hired)


async def test_a_control_posting_holds_control_posts_and_its_hire_lands_on_the_roster(
    make_database, own_nats, identity
):
    staffing_url, talent_url = await make_database("staffing"), await make_database("talent")
    async with (
        staffing(identity, staffing_url, own_nats.url) as hr,
        talent(identity, talent_url, own_nats.url, units=False) as api,
    ):
        district = await hr.district("510105")
        new_school = await hr.school(district["id"], "510105-S0301", posts=3, quota_type="control")
        await units_known(api, new_school["id"])
        posting = await api.posting(
            quota_type="control", count=1, unit_id=uuid.UUID(new_school["id"]), held=False
        )
        assert posting["status"] == "pending_quota"
        await posting_status(api, posting["id"], "open")
        assert (await hr.quota(new_school["id"], "control"))["reserved"] == 1
        candidate = await api.candidate(CITY_HR)
        application = await api.application(CITY_HR, candidate["id"], posting["id"])
        for step in STEPS:
            assert (await api.move(application["id"], step)).status_code == 200
        hired = await application_reaches(api, application["id"], "hired")
        (person,) = (await hr.ok("GET", "/v1/staff", params={"unit_id": new_school["id"]}))["data"]
        assert person["id"] == hired["staff_id"] and person["quota_type"] == "control"
        assert await hr.verify() == []
