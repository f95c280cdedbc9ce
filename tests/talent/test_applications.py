"""Applications: one per candidate and posting, only legal moves, each recorded, and a hire
only into posts staffing holds."""

from __future__ import annotations

import uuid

import pytest

from contracts.staffing import ReservationConfirmed, ReservationRejected, StaffHired
from tests.support import eventually
from tests.talent.support import CITY_HR, SCHOOL, partner

pytestmark = pytest.mark.nats

SITE = partner("site")
STEPS = ["screened", "exam", "interview", "assessment", "offered", "hired"]


@pytest.fixture
async def api(make_database, own_nats, identity):
    from tests.talent.support import talent

    async with talent(identity, await make_database("talent"), own_nats.url) as client:
        yield client


async def status_of(api, posting_id: str) -> str:
    return (await api.ok("GET", f"/v1/postings/{posting_id}"))["status"]


class TestApply:
    async def test_a_second_application_is_409_with_the_existing_id(self, api):
        posting = await api.posting()
        candidate = await api.candidate(SITE)
        first = await api.application(SITE, candidate["id"], posting["id"])
        again = await api.call(
            "POST",
            "/v1/applications",
            SITE,
            json={"candidate_id": candidate["id"], "posting_id": posting["id"]},
        )
        assert again.status_code == 409
        assert again.json()["type"] == "/problems/already-applied"
        assert again.json()["existing_id"] == first["id"]

    async def test_partner_cannot_apply_to_a_posting_still_waiting_for_posts(self, api):
        posting = await api.posting(quota_type="bianzhi", held=False)
        assert posting["status"] == "pending_quota"
        candidate = await api.candidate(SITE)
        response = await api.call(
            "POST",
            "/v1/applications",
            SITE,
            json={"candidate_id": candidate["id"], "posting_id": posting["id"]},
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "body.posting_id"


class TestPipeline:
    async def test_every_step_in_order_is_recorded_with_actor_and_note(self, api):
        posting = await api.posting()
        candidate = await api.candidate(SITE)
        application = await api.application(SITE, candidate["id"], posting["id"])
        for step in STEPS:
            response = await api.move(application["id"], step, note=f"到{step}")
            assert response.status_code == 200, response.text
        # hired only once staffing confirms the staff record; until then, hiring
        assert response.json()["status"] == "hiring"
        await api.staffing_hired(application, posting)
        detail = await api.ok("GET", f"/v1/applications/{application['id']}")
        assert detail["status"] == "hired"
        moves = [(t["from_status"], t["to_status"], t["actor"]) for t in detail["transitions"]]
        assert moves[0] == (None, "applied", SITE.sub)
        assert [m[1] for m in moves[1:]] == [*STEPS[:-1], "hiring", "hired"]
        assert {m[2] for m in moves[1:-1]} == {CITY_HR.sub}
        assert moves[-1][2] == "teacherpool/staffing"
        assert (await api.ok("GET", f"/v1/postings/{posting['id']}"))["hired"] == 1

    async def test_illegal_moves_are_422_and_change_nothing(self, api):
        posting = await api.posting()
        candidate = await api.candidate(SITE)
        application = await api.application(SITE, candidate["id"], posting["id"])
        skip = await api.move(application["id"], "interview")
        assert skip.status_code == 422
        assert skip.json()["errors"][0]["field"] == "body.to"
        assert "screened" in skip.json()["errors"][0]["message"]
        assert (await api.move(application["id"], "withdrawn", SITE)).status_code == 200
        after_exit = await api.move(application["id"], "screened")
        assert after_exit.status_code == 422
        detail = await api.ok("GET", f"/v1/applications/{application['id']}")
        assert detail["status"] == "withdrawn" and len(detail["transitions"]) == 2

    async def test_partner_may_not_offer_or_hire(self, api):
        posting = await api.posting()
        candidate = await api.candidate(SITE)
        application = await api.application(SITE, candidate["id"], posting["id"])
        assert (await api.move(application["id"], "screened", SITE)).status_code == 200
        assert (await api.move(application["id"], "hired", SITE)).status_code == 403


class TestHireNeedsHeldPosts:
    async def test_hire_into_a_posting_whose_reservation_was_rejected_is_refused(self, api):
        posting = await api.posting(quota_type="bianzhi", held=False)
        candidate = await api.candidate(CITY_HR)
        # HR may take applications at the fair while the posts are pending
        application = await api.application(CITY_HR, candidate["id"], posting["id"])
        for step in STEPS[:-1]:
            assert (await api.move(application["id"], step)).status_code == 200
        await api.staffing_says(
            ReservationRejected(
                posting_id=uuid.UUID(posting["id"]),
                unit_id=SCHOOL,
                quota_type="bianzhi",
                count=2,
                reason="unit 510105-S0001 has 0 vacant bianzhi posts",
            ),
            posting["id"],
        )

        async def blocked() -> bool:
            return await status_of(api, posting["id"]) == "blocked"

        await eventually(blocked)
        refused = await api.move(application["id"], "hired")
        assert refused.status_code == 409
        assert "0 vacant bianzhi posts" in refused.json()["detail"]
        detail = await api.ok("GET", f"/v1/applications/{application['id']}")
        assert detail["status"] == "offered"
        posting_now = await api.ok("GET", f"/v1/postings/{posting['id']}")
        assert posting_now["blocked_reason"].startswith("unit 510105-S0001")
        assert posting_now["hired"] == 0

    async def test_hire_waits_for_confirmation_then_shows_onboarded(self, api):
        posting = await api.posting(quota_type="bianzhi", count=1, held=False)
        candidate = await api.candidate(CITY_HR)
        application = await api.application(CITY_HR, candidate["id"], posting["id"])
        for step in STEPS[:-1]:
            assert (await api.move(application["id"], step)).status_code == 200
        assert (await api.move(application["id"], "hired")).status_code == 409
        await api.staffing_says(
            ReservationConfirmed(
                posting_id=uuid.UUID(posting["id"]), unit_id=SCHOOL, quota_type="bianzhi", count=1
            ),
            posting["id"],
        )

        async def opened() -> bool:
            return await status_of(api, posting["id"]) == "open"

        await eventually(opened)
        assert (await api.move(application["id"], "hired")).status_code == 200
        other = await api.candidate(CITY_HR)
        late = await api.application(CITY_HR, other["id"], posting["id"])
        for step in STEPS[:-1]:
            await api.move(late["id"], step)
        full = await api.move(late["id"], "hired")
        assert full.status_code == 409 and "filled" in full.json()["detail"]
        assert full.json()["type"] == "/problems/posting-filled"
        assert full.json()["count"] == 1
        await api.staffing_says(
            StaffHired(
                staff_id=uuid.uuid4(),
                unit_id=SCHOOL,
                district_id=None,
                quota_type="bianzhi",
                name="x",
                hire_date="2026-09-01",
                posting_id=uuid.UUID(posting["id"]),
                application_id=uuid.UUID(application["id"]),
            ),
            application["id"],
        )

        async def onboarded() -> bool:
            return (await api.ok("GET", f"/v1/applications/{application['id']}"))["onboarded"]

        await eventually(onboarded)
