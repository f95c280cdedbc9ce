"""Notifications: made once per event for the people in scope, live over SSE, mailed as digests."""

from __future__ import annotations

import asyncio
import contextlib
import email.parser
import email.policy
import json
import time
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select
from sqlmodel import col

from common.bus import Bus
from common.db import Database
from common.inbox import Consumer
from contracts import Envelope
from contracts.sharing import OfferConsented, OfferSent, SettlementIssued
from contracts.staffing import (
    ApplicationDecided,
    ApplicationSubmitted,
    LoanDueApproached,
    UnitRegistered,
)
from contracts.talent import WebhookDisabled
from gateway.app import create_app as create_gateway
from gateway.audit.events import handlers
from gateway.models import MailDelivery, Notification, User, messaging
from gateway.notifications.mailer import MailWorker, make_mailer
from gateway.notifications.service import Hub, Notifier
from tests.gateway.support import add_user, bearer, gateway_settings, served
from tests.support import Identity, eventually, free_port, running

DISTRICT = uuid.uuid4()
OTHER_DISTRICT = uuid.uuid4()
HOME = uuid.uuid4()
HOST = uuid.uuid4()
TEACHER = uuid.uuid4()


def offer_sent(teacher_id: uuid.UUID = TEACHER) -> Envelope:
    return Envelope.wrap(
        OfferSent(
            offer_id=uuid.uuid4(),
            request_id=uuid.uuid4(),
            teacher_id=teacher_id,
            home_unit_id=HOME,
            host_unit_id=HOST,
            expires_at="2026-12-01T12:00:00+08:00",
        ),
        source="sharing",
        subject="offer",
    )


def settlement(teacher_id: uuid.UUID = TEACHER) -> Envelope:
    return Envelope.wrap(
        SettlementIssued(
            settlement_id=uuid.uuid4(),
            teacher_id=teacher_id,
            home_unit_id=HOME,
            month="2026-11",
            periods=12,
            adjustment_periods=1,
            total_cents=123450,
        ),
        source="sharing",
        subject="settlement",
    )


async def add_people(url: str) -> None:
    """A teacher of HOME, its two admins, another school's admin, HR of both districts."""
    await add_user(url, "teacher1", "teacher", unit_id=HOME, teacher_id=TEACHER)
    await add_user(url, "admin1", "school_admin", unit_id=HOME, district_id=OTHER_DISTRICT)
    await add_user(url, "admin2", "school_admin", unit_id=HOME, district_id=OTHER_DISTRICT)
    await add_user(url, "admin_host", "school_admin", unit_id=HOST, district_id=DISTRICT)
    await add_user(url, "hr_host", "district_hr", district_id=DISTRICT)
    await add_user(url, "hr_home", "district_hr", district_id=OTHER_DISTRICT)


async def apply(url: str, *envelopes: Envelope, digest: float = 0.0) -> None:
    """Apply envelopes as the gateway's consumer does (inbox and handlers), without NATS."""
    db = Database(url)
    notifier = Notifier(Hub(), digest_seconds=digest)
    try:
        for envelope in envelopes:
            publisher = envelope.type.split(".", 1)[0]
            consumer = Consumer(
                service="gateway",
                publisher=publisher,
                db=db,
                bus=Bus("nats://127.0.0.1:1", name="unused"),
                inbox=messaging.inbox,
                handlers=handlers(notifier.on_event)[publisher],
            )
            await consumer.apply(envelope, envelope.parse_data())
    finally:
        await db.dispose()


async def publish(bus: Bus, envelope: Envelope, msg_id: str | None = None) -> None:
    await bus.js.publish(
        envelope.type,
        envelope.model_dump_json().encode(),
        headers={"Nats-Msg-Id": msg_id or str(envelope.id)},
    )


async def consumed(bus: Bus, stream: str, count: int) -> None:
    """Wait until the gateway's durable consumer has acknowledged `count` messages of `stream`."""

    async def done() -> bool:
        try:
            info = await bus.js.consumer_info(stream, "gateway")
        except Exception:
            return False
        return info.ack_floor.stream_seq >= count and not info.num_ack_pending

    await eventually(done, timeout=20)


async def titles(client: httpx.AsyncClient, username: str, **params: str) -> list[str]:
    headers = await bearer(client, username)
    response = await client.get("/api/notifications/v1", headers=headers, params=params)
    assert response.status_code == 200, response.text
    return [n["title"] for n in response.json()["data"]]


async def recipients(url: str) -> list[str]:
    """Who was notified of anything, one username per notification (quicker than logging in)."""
    db = Database(url)
    try:
        async with db.session(read_only=True) as session:
            stmt = select(col(User.username)).join(
                Notification, col(Notification.recipient_id) == col(User.id)
            )
            return sorted((await session.execute(stmt)).scalars())
    finally:
        await db.dispose()


@pytest.fixture
async def bus(own_nats) -> AsyncIterator[Bus]:
    bus = Bus(own_nats.url, name="test-publisher")
    await bus.connect()
    yield bus
    await bus.close()


@contextlib.asynccontextmanager
async def consuming_gateway(
    url: str, identity: Identity, nats_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a gateway on the database `url` that consumes the events on `nats_url`."""
    settings = gateway_settings(
        identity, url, consume_events=True, common=identity.common(nats_url)
    )
    async with running(create_gateway(settings), base_url="http://gateway") as gateway:
        yield gateway


@pytest.mark.nats
class TestMadeFromEvents:
    async def test_offer_sent_notifies_teacher_and_home_admins_once_when_delivered_twice(
        self, make_database, own_nats, identity, bus
    ):
        url = await make_database("gateway")
        await add_people(url)
        async with consuming_gateway(url, identity, own_nats.url) as gateway:
            envelope = offer_sent()
            await publish(bus, envelope, "first")
            await publish(bus, envelope, "second")
            await consumed(bus, "SHARING", 2)

            assert await titles(gateway, "teacher1") == ["您收到一个共享任教邀约"]
            expected = ["本校教师收到共享邀约，待您同意"]
            assert await titles(gateway, "admin1") == expected
            assert await titles(gateway, "admin2") == expected
            for outsider in ("admin_host", "hr_host", "hr_home"):
                assert await titles(gateway, outsider) == [], outsider
            db = Database(url)
            try:
                async with db.session(read_only=True) as session:
                    total = await session.scalar(select(func.count()).select_from(Notification))
            finally:
                await db.dispose()
            assert total == 3

    async def test_consent_reaches_hr_of_the_host_district_only(
        self, make_database, own_nats, identity, bus
    ):
        url = await make_database("gateway")
        await add_people(url)
        async with consuming_gateway(url, identity, own_nats.url) as gateway:
            host = UnitRegistered(
                unit_id=HOST, kind="school", code="S-HOST", name="东城小学", district_id=DISTRICT
            )
            await publish(bus, Envelope.wrap(host, source="staffing", subject=str(HOST)))
            await consumed(bus, "STAFFING", 1)
            consent = OfferConsented(
                offer_id=uuid.uuid4(),
                request_id=uuid.uuid4(),
                teacher_id=TEACHER,
                home_unit_id=HOME,
                host_unit_id=HOST,
                consented=True,
            )
            await publish(bus, Envelope.wrap(consent, source="sharing", subject="offer"))
            await consumed(bus, "SHARING", 1)

            assert await titles(gateway, "hr_host", lang="en") == ["The home school consented"]
            assert await titles(gateway, "teacher1", lang="en") == [
                "Your school consented: please answer the offer"
            ]
            assert await titles(gateway, "hr_home") == []
            assert await titles(gateway, "admin1") == []

    async def test_a_loan_falling_due_reaches_hr_of_the_borrowing_district_only(
        self, make_database, own_nats, identity, bus
    ):
        url = await make_database("gateway")
        await add_people(url)
        async with consuming_gateway(url, identity, own_nats.url) as gateway:
            # A school the gateway knows nothing of: the event's district alone finds its HR.
            falling_due = LoanDueApproached(
                loan_id=uuid.uuid4(),
                unit_id=uuid.uuid4(),
                district_id=DISTRICT,
                quota_type="bianzhi",
                outstanding=2,
                due_date="2026-12-20",
            )
            envelope = Envelope.wrap(falling_due, source="staffing", subject="loan")
            await publish(bus, envelope, "first")
            await publish(bus, envelope, "second")
            await consumed(bus, "STAFFING", 2)

            assert await recipients(url) == ["hr_host"], "once, and nobody else"
            headers = await bearer(gateway, "hr_host")
            for lang, title in (
                ("zh_CN", "借用的周转编制即将到期"),
                ("en", "Borrowed posts fall due soon"),
            ):
                response = await gateway.get(
                    "/api/notifications/v1", headers=headers, params={"lang": lang}
                )
                (notification,) = response.json()["data"]
                assert notification["title"] == title
            assert "2 borrowed established posts fall due on 2026-12-20" in notification["body"]
            assert notification["link"] == f"/pool/loans/{falling_due.loan_id}"

    async def test_a_disabled_webhook_endpoint_reaches_city_hr(
        self, make_database, own_nats, identity, bus
    ):
        url = await make_database("gateway")
        for username, role in (("cityhr1", "city_hr"), ("cityhr2", "city_hr")):
            await add_user(url, username, role)
        # Outsiders: another city-wide role, and HR of a district.
        await add_user(url, "commission1", "staffing_commission")
        await add_user(url, "hr_host", "district_hr", district_id=DISTRICT)
        async with consuming_gateway(url, identity, own_nats.url) as gateway:
            disabled = WebhookDisabled(
                endpoint_id=uuid.uuid4(),
                partner_id="partner:site",
                host="hooks.example.com",
                reason="delivery d failed 4 times over 2.0 hours; last error: HTTP 500",
            )
            await publish(bus, Envelope.wrap(disabled, source="talent", subject="webhook"))
            await consumed(bus, "TALENT", 1)

            assert await recipients(url) == ["cityhr1", "cityhr2"], "city HR and nobody else"
            assert await titles(gateway, "cityhr2", lang="en") == [
                "A partner's webhook endpoint was disabled"
            ]
            headers = await bearer(gateway, "cityhr1")
            response = await gateway.get("/api/notifications/v1", headers=headers)
            (notification,) = response.json()["data"]
            assert notification["title"] == "合作方的 Webhook 地址已停用"
            assert "hooks.example.com" in notification["body"]
            assert "HTTP 500" in notification["body"]
            assert notification["link"] == f"/talent/webhooks?endpoint={disabled.endpoint_id}"


@pytest.mark.nats
async def test_stream_pushes_a_new_notification_within_a_second(
    make_database, own_nats, identity, bus
):
    url = await make_database("gateway")
    await add_people(url)
    settings = gateway_settings(
        identity, url, consume_events=True, common=identity.common(own_nats.url)
    )
    with served(create_gateway(settings)) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            headers = await bearer(client, "teacher1")

            async def consumer_ready() -> bool:
                try:
                    await bus.js.consumer_info("SHARING", "gateway")
                except Exception:
                    return False
                return True

            await eventually(consumer_ready, timeout=20)
            path = "/api/notifications/v1/stream"
            async with client.stream("GET", path, headers=headers) as response:
                assert response.headers["content-type"].startswith("text/event-stream")
                events = sse_events(response)
                assert await anext(events) == ("unread", {"unread": 0})
                started = time.monotonic()
                await publish(bus, offer_sent())
                kind, data = await asyncio.wait_for(anext(events), timeout=5)
                took = time.monotonic() - started
                assert kind == "notification"
                assert data["title"] == "您收到一个共享任教邀约"
                assert took < 1.0, f"the notification took {took:.2f}s"
                assert await asyncio.wait_for(anext(events), 5) == ("unread", {"unread": 1})
                count = await client.get("/api/notifications/v1/unread-count", headers=headers)
                assert count.json() == {"unread": 1}

                marked = await client.post(
                    f"/api/notifications/v1/{data['id']}/read", headers=headers
                )
                assert marked.status_code == 200 and marked.json()["read_at"]
                assert await asyncio.wait_for(anext(events), 5) == ("unread", {"unread": 0})


async def sse_events(response: httpx.Response) -> AsyncIterator[tuple[str, dict]]:
    """The named events of a text/event-stream, as (event, parsed data)."""
    kind, data = "message", ""
    async for line in response.aiter_lines():
        if line.startswith("event:"):
            kind = line.partition(":")[2].strip()
        elif line.startswith("data:"):
            data += line.partition(":")[2].strip()
        elif line == "" and data:
            yield kind, json.loads(data)
            kind, data = "message", ""


class SmtpSink:
    """A tiny SMTP server (aiosmtpd) that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's hook name
        self.messages.append(envelope.content)
        return "250 OK"


@pytest.mark.nats
async def test_mail_waits_for_an_unreachable_smtp_server_and_the_inbox_does_not(
    make_database, own_nats, identity, bus
):
    url = await make_database("gateway")
    await add_people(url)
    port = free_port()
    settings = gateway_settings(
        identity,
        url,
        consume_events=True,
        common=identity.common(own_nats.url),
        mail_backend="smtp",
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_tls="none",
        smtp_timeout_seconds=2,
        mail_digest_seconds=0,
        mail_poll_seconds=0.05,
        mail_retry_base_seconds=0.1,
        mail_retry_max_seconds=0.3,
    )
    async with running(create_gateway(settings), base_url="http://gateway") as gateway:
        headers = await bearer(gateway, "teacher1")
        prefs = await gateway.put(
            "/api/notifications/v1/preferences",
            headers=headers,
            json={"email": "teacher1@school.example", "email_enabled": True},
        )
        assert prefs.status_code == 200, prefs.text
        await publish(bus, offer_sent())
        await consumed(bus, "SHARING", 1)
        assert await titles(gateway, "teacher1") == ["您收到一个共享任教邀约"]

        db = Database(url)
        try:

            async def tried_and_failed() -> bool:
                async with db.session(read_only=True) as session:
                    row = (await session.execute(select(MailDelivery))).scalar_one_or_none()
                    return row is not None and row.attempts >= 2 and row.status == "pending"

            await eventually(tried_and_failed, timeout=10)
            sink = SmtpSink()
            controller = Controller(sink, hostname="127.0.0.1", port=port)
            controller.start()
            try:

                async def delivered() -> bool:
                    async with db.session(read_only=True) as session:
                        row = (await session.execute(select(MailDelivery))).scalar_one()
                        return row.status == "sent" and row.last_error is None

                await eventually(delivered, timeout=10)
            finally:
                controller.stop()
        finally:
            await db.dispose()
    mail = email.parser.BytesParser(policy=email.policy.default).parsebytes(sink.messages[0])
    assert mail["To"] == "teacher1@school.example"
    assert mail["Subject"] == "您收到一个共享任教邀约"
    assert len(sink.messages) == 1


async def mail_settled(url: str) -> bool:
    """Every mail queued so far is sent or given up: none is left to write."""
    db = Database(url)
    try:
        async with db.session(read_only=True) as session:
            statuses = (await session.execute(select(col(MailDelivery.status)))).scalars().all()
    finally:
        await db.dispose()
    return bool(statuses) and set(statuses) <= {"sent", "failed"}


async def test_embedded_mailer_writes_one_readable_eml_digest(make_database, identity, tmp_path):
    url = await make_database("gateway")
    await add_people(url)
    mail_dir = tmp_path / "mail"
    settings = gateway_settings(
        identity,
        url,
        mail_dir=mail_dir,
        mail_digest_seconds=1.0,
        mail_poll_seconds=0.05,
        public_url="https://teacherpool.example",
    )
    async with running(create_gateway(settings), base_url="http://gateway") as gateway:
        headers = await bearer(gateway, "teacher1")
        prefs = await gateway.put(
            "/api/notifications/v1/preferences",
            headers=headers,
            json={"email": "teacher1@school.example", "email_enabled": True, "language": "en"},
        )
        assert prefs.status_code == 200, prefs.text
        await apply(url, offer_sent(), settlement(), digest=1.0)

        await eventually(lambda: mail_settled(url), timeout=10)
    files = sorted(mail_dir.glob("*.eml"))
    assert len(files) == 1, "two notifications within the window make one digest"
    mail = email.parser.BytesParser(policy=email.policy.default).parsebytes(files[0].read_bytes())
    assert mail["Subject"] == "You have 2 new notifications"
    assert mail["To"] == "teacher1@school.example"
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "You have an offer to teach at another school" in text
    assert "Your period pay for 2026-11 was issued" in text
    assert "https://teacherpool.example/sharing/settlements/" in text


class TestInboxApi:
    async def test_list_pages_filters_and_marks_read(self, make_database, identity):
        url = await make_database("gateway")
        await add_people(url)
        await apply(url, *(settlement() for _ in range(3)), offer_sent())
        settings = gateway_settings(identity, url)
        async with running(create_gateway(settings), base_url="http://gateway") as gateway:
            headers = await bearer(gateway, "teacher1")
            base = "/api/notifications/v1"
            first = (await gateway.get(base, headers=headers, params={"limit": 2})).json()
            assert len(first["data"]) == 2 and first["next_cursor"]
            rest = await gateway.get(
                base, headers=headers, params={"limit": 2, "cursor": first["next_cursor"]}
            )
            ids = [n["id"] for n in first["data"] + rest.json()["data"]]
            assert len(set(ids)) == 4 and rest.json()["next_cursor"] is None
            assert first["data"][0]["title"] == "您收到一个共享任教邀约", "newest first"

            read = await gateway.post(f"{base}/{ids[0]}/read", headers=headers)
            assert read.status_code == 200
            unread = (await gateway.get(base, headers=headers, params={"unread": "true"})).json()
            assert [n["id"] for n in unread["data"]] == ids[1:]
            count = await gateway.get(f"{base}/unread-count", headers=headers)
            assert count.json() == {"unread": 3}

            others = await bearer(gateway, "admin1")
            assert (await gateway.post(f"{base}/{ids[1]}/read", headers=others)).status_code == 404

            marked = await gateway.post(f"{base}/read-all", headers=headers)
            assert marked.json() == {"marked": 3, "unread": 0}
            count = await gateway.get(f"{base}/unread-count", headers=headers)
            assert count.json() == {"unread": 0}
            bad = await gateway.get(base, headers=headers, params={"cursor": "nonsense"})
            assert bad.status_code == 422

    async def test_mail_needs_an_address_and_is_off_by_default(self, make_database, identity):
        url = await make_database("gateway")
        await add_people(url)
        settings = gateway_settings(identity, url)
        async with running(create_gateway(settings), base_url="http://gateway") as gateway:
            headers = await bearer(gateway, "teacher1")
            path = "/api/notifications/v1/preferences"
            assert (await gateway.get(path, headers=headers)).json() == {
                "email": None,
                "email_enabled": False,
                "language": "zh_CN",
            }
            refused = await gateway.put(path, headers=headers, json={"email_enabled": True})
            assert refused.status_code == 422
            assert (await gateway.get(path, headers=headers)).json()["email_enabled"] is False

    async def test_a_redelivered_event_makes_nothing_more(self, make_database):
        url = await make_database("gateway")
        await add_people(url)
        envelope = offer_sent()
        await apply(url, envelope, envelope)
        db = Database(url)
        try:
            async with db.session(read_only=True) as session:
                total = await session.scalar(select(func.count()).select_from(Notification))
        finally:
            await db.dispose()
        assert total == 3

    async def test_district_of_a_school_comes_from_its_users_before_the_units_are_known(
        self, make_database, identity
    ):
        url = await make_database("gateway")
        await add_people(url)
        await add_user(url, "commission1", "staffing_commission")
        refused = OfferConsented(
            offer_id=uuid.uuid4(),
            request_id=uuid.uuid4(),
            teacher_id=TEACHER,
            home_unit_id=HOME,
            host_unit_id=HOST,
            consented=False,
            reason="期中考试",
        )
        submitted = ApplicationSubmitted(
            application_id=uuid.uuid4(),
            unit_id=DISTRICT,
            quota_type="bianzhi",
            requested=3,
            reason_kind="new_school",
            term_years=3,
            forecast_attrition=2,
        )
        decided = ApplicationDecided(
            application_id=submitted.application_id,
            unit_id=DISTRICT,
            quota_type="bianzhi",
            outcome="partially_approved",
            requested=3,
            granted=2,
            reason="按预计减员核定",
        )
        await apply(
            url,
            *(
                Envelope.wrap(e, source=e.event_type.split(".")[0], subject="x")
                for e in (refused, submitted, decided)
            ),
        )
        settings = gateway_settings(identity, url)
        async with running(create_gateway(settings), base_url="http://gateway") as gateway:
            assert await titles(gateway, "hr_host") == ["用编申请部分批准", "派出学校不同意外派"]
            assert await titles(gateway, "commission1") == ["新的周转池用编申请"]
            for outsider in ("hr_home", "teacher1", "admin1", "admin_host"):
                assert await titles(gateway, outsider) == [], outsider


async def test_the_mail_worker_stops_between_batches_rather_than_being_cut_off(
    make_database, identity
):
    url = await make_database("gateway")
    settings = gateway_settings(identity, url, mail_poll_seconds=60)
    db = Database(url)
    try:
        worker = MailWorker(db, settings, make_mailer(settings))
        first_round = asyncio.Event()
        work_once = worker.work_once

        async def counted() -> int:
            done = await work_once()
            first_round.set()
            return done

        worker.work_once = counted
        running_worker = asyncio.create_task(worker.run())
        # Once its first round is done, the worker waits for the next poll, a minute away.
        await asyncio.wait_for(first_round.wait(), timeout=10)
        worker.stop()
        await asyncio.wait_for(running_worker, timeout=2)
        assert not running_worker.cancelled()
    finally:
        await db.dispose()
