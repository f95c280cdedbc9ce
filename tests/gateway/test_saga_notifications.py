"""Notifications of the sagas' failure replies and of the one account–teacher link: a refused
hire tells the HR who moved it, a departed teacher's host school is told, and an offer to the
demo teacher reaches its inbox and its mail."""

from __future__ import annotations

import email.parser
import email.policy
import uuid

from common.city import DEMO_TEACHER_ID
from contracts import Envelope
from contracts.sharing import AssignmentEnded
from contracts.talent import HireFailed
from gateway.app import create_app as create_gateway
from gateway.demo_accounts import DEMO_PASSWORD
from gateway.seed import seed_gateway
from teacherpool.demo import build_city
from tests.gateway.support import add_user, bearer, gateway_settings, password_grant
from tests.gateway.test_notifications import (
    DISTRICT,
    HOME,
    HOST,
    TEACHER,
    add_people,
    apply,
    offer_sent,
    recipients,
)
from tests.support import eventually, running


def hire_failed(requested_by: str | None) -> Envelope:
    return Envelope.wrap(
        HireFailed(
            application_id=uuid.uuid4(),
            posting_id=uuid.uuid4(),
            unit_id=HOST,
            quota_type="control",
            code="no_vacancy",
            reason="unit S-HOST has 0 vacant control posts and this needs 1",
            requested_by=requested_by,
        ),
        source="talent",
        subject="application",
    )


def assignment_ended(cause: str) -> Envelope:
    return Envelope.wrap(
        AssignmentEnded(
            assignment_id=uuid.uuid4(),
            request_id=uuid.uuid4(),
            teacher_id=TEACHER,
            home_unit_id=HOME,
            host_unit_id=HOST,
            starts_on="2026-09-01",
            ends_on="2026-11-15",
            periods_per_week=2,
            reason="teacher left: retired" if cause == "teacher_left" else "并校",
            cause=cause,
        ),
        source="sharing",
        subject="assignment",
    )


async def test_a_refused_hire_tells_the_hr_who_moved_it_and_no_one_else(make_database, identity):
    url = await make_database("gateway")
    await add_people(url)
    await add_user(url, "hr_mover", "district_hr", district_id=DISTRICT)
    refused = hire_failed("user:hr_mover")
    await apply(url, refused)
    assert await recipients(url) == ["hr_mover"]
    settings = gateway_settings(identity, url)
    async with running(create_gateway(settings), base_url="http://gateway") as gateway:
        headers = await bearer(gateway, "hr_mover")
        response = await gateway.get(
            "/api/notifications/v1", headers=headers, params={"lang": "en"}
        )
        (notification,) = response.json()["data"]
    assert notification["title"] == "A hire could not be recorded on the roster"
    assert "0 vacant control posts" in notification["body"]
    assert notification["link"] == f"/talent/applications/{refused.data['application_id']}"


async def test_a_refused_hire_nobody_moved_by_hand_reaches_the_units_district_hr(
    make_database,
):
    url = await make_database("gateway")
    await add_people(url)
    await apply(url, hire_failed("system:seed"))
    assert await recipients(url) == ["hr_host"]


async def test_the_host_school_hears_when_its_shared_teacher_left(make_database):
    url = await make_database("gateway")
    await add_people(url)
    await apply(url, assignment_ended("by_hand"))
    assert await recipients(url) == []
    await apply(url, assignment_ended("teacher_left"))
    assert await recipients(url) == ["admin_host", "hr_host"]


async def test_an_offer_to_the_demo_teacher_reaches_its_inbox_and_mail(
    make_database, identity, tmp_path
):
    url = await make_database("gateway")
    await seed_gateway(url, build_city("demo"))
    mail_dir = tmp_path / "mail"
    settings = gateway_settings(
        identity, url, mail_dir=mail_dir, mail_digest_seconds=0.0, mail_poll_seconds=0.05
    )
    async with running(create_gateway(settings), base_url="http://gateway") as gateway:
        tokens = await password_grant(gateway, "teacher.demo", DEMO_PASSWORD)
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        prefs = await gateway.put(
            "/api/notifications/v1/preferences",
            headers=headers,
            json={"email": "zhang@school.example", "email_enabled": True},
        )
        assert prefs.status_code == 200, prefs.text
        # The offer names the teacher record; the account is found by the one link to it.
        await apply(url, offer_sent(DEMO_TEACHER_ID))
        inbox = await gateway.get("/api/notifications/v1", headers=headers)
        assert [n["title"] for n in inbox.json()["data"]] == ["您收到一个共享任教邀约"]

        async def mailed() -> bool:
            return any(mail_dir.glob("*.eml"))

        await eventually(mailed, timeout=10)
    (written,) = sorted(mail_dir.glob("*.eml"))
    mail = email.parser.BytesParser(policy=email.policy.default).parsebytes(written.read_bytes())
    assert mail["To"] == "zhang@school.example"
    assert "共享任教邀约" in mail["Subject"]
