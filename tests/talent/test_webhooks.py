"""Webhooks: a signed delivery for each status change to a real HTTP server, retries with
backoff then a disabled endpoint with the reason, manual redelivery, and no SSRF targets."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from common.db import Database
from contracts import Envelope
from contracts.talent import WebhookDisabled
from services.talent.models import WebhookEndpoint, messaging
from services.talent.webhooks.service import announce_disabled
from services.talent.webhooks.targets import TargetRefused, check_target
from tests.support import eventually
from tests.talent.support import Receiver, partner, talent

pytestmark = pytest.mark.nats

SITE = partner("site")
STEPS = ["screened", "exam", "interview", "assessment", "offered", "hired"]


async def register(api, url: str, *types: str) -> dict:
    return await api.ok("POST", "/v1/webhooks", SITE, json={"url": url, "event_types": list(types)})


async def disabled_events(db: Database) -> list[Envelope]:
    """The `talent.webhook.disabled` events in the outbox."""
    table = messaging.outbox
    stmt = select(table.c.envelope).where(table.c.type == WebhookDisabled.event_type)
    async with db.session(read_only=True) as session:
        return [Envelope.model_validate_json(r) for r in (await session.execute(stmt)).scalars()]


async def test_each_status_change_arrives_signed(make_database, own_nats, identity):
    async with (
        Receiver() as site,
        talent(identity, await make_database("talent"), own_nats.url) as api,
    ):
        hook = await register(api, site.url, "application.status_changed", "posting.opened")
        assert hook["secret"].startswith("whsec_")
        posting = await api.posting()
        candidate = await api.candidate(SITE)
        application = await api.application(SITE, candidate["id"], posting["id"])
        for step in STEPS:
            assert (await api.move(application["id"], step)).status_code == 200
        await api.staffing_hired(application, posting)

        async def all_arrived() -> bool:
            return len(site.received) == 1 + 1 + len(STEPS) + 1

        await eventually(all_arrived)
        verifier = Webhook(hook["secret"])
        messages = [verifier.verify(r.body, r.headers) for r in site.received]
        changes = [m["data"]["to_status"] for m in messages if m["type"] != "posting.opened"]
        assert sorted(changes) == sorted(["applied", *STEPS[:-1], "hiring", "hired"])
        opened = [m for m in messages if m["type"] == "posting.opened"]
        assert opened[0]["data"]["posting_id"] == posting["id"]
        status_messages = [m for m in messages if m["type"] == "application.status_changed"]
        assert {m["data"]["external_id"] for m in status_messages} == {candidate["external_id"]}
        assert len({r.headers["webhook-id"] for r in site.received}) == len(site.received)
        tampered = dict(site.received[0].headers)
        with pytest.raises(Exception, match="signature"):
            verifier.verify(site.received[0].body + b" ", tampered)

        async def logged() -> bool:
            log = await api.ok("GET", f"/v1/webhooks/{hook['id']}/deliveries", SITE)
            return {d["status"] for d in log["data"]} == {"delivered"}

        await eventually(logged)


async def test_failures_back_off_then_disable_the_endpoint_and_redelivery_works(
    make_database, own_nats, identity
):
    async with (
        Receiver(status=500) as site,
        talent(
            identity,
            await make_database("talent"),
            own_nats.url,
            webhook_retry_seconds=(0.05, 0.1, 0.2),
        ) as api,
    ):
        hook = await register(api, f"{site.url}?token=partner-secret", "application.status_changed")
        posting = await api.posting()
        candidate = await api.candidate(SITE)
        await api.application(SITE, candidate["id"], posting["id"])

        async def disabled() -> bool:
            body = await api.ok("GET", f"/v1/webhooks/{hook['id']}", SITE)
            return not body["enabled"]

        await eventually(disabled)
        endpoint = await api.ok("GET", f"/v1/webhooks/{hook['id']}", SITE)
        assert "failed 4 times" in endpoint["disabled_reason"]
        assert "http_500" in endpoint["disabled_reason"]
        (event,) = await disabled_events(api.db)
        assert event.subject == hook["id"]
        assert event.data == {
            "endpoint_id": hook["id"],
            "partner_id": SITE.sub,
            "host": "127.0.0.1",
            "reason": endpoint["disabled_reason"],
        }
        assert "partner-secret" not in event.model_dump_json()
        assert hook["secret"] not in event.model_dump_json()
        (delivery,) = (await api.ok("GET", f"/v1/webhooks/{hook['id']}/deliveries", SITE))["data"]
        assert (delivery["status"], delivery["attempts"]) == ("failed", 4)
        assert delivery["last_status_code"] == 500

        blocked = await api.call("POST", f"/v1/deliveries/{delivery['id']}/redeliver", SITE)
        assert blocked.status_code == 409
        site.status = 200
        await api.ok("PATCH", f"/v1/webhooks/{hook['id']}", SITE, json={"enabled": True})
        await api.ok("POST", f"/v1/deliveries/{delivery['id']}/redeliver", SITE)

        async def delivered() -> bool:
            return len(site.received) == 1

        await eventually(delivered)
        message = Webhook(hook["secret"]).verify(site.received[0].body, site.received[0].headers)
        assert message["data"]["to_status"] == "applied"
        assert site.received[0].headers["webhook-id"] == delivery["id"]


async def test_deliveries_queued_while_down_go_out_after_a_restart(
    make_database, own_nats, identity
):
    url = await make_database("talent")
    async with Receiver() as site:
        async with talent(identity, url, own_nats.url, webhook_poll_seconds=3600) as api:
            hook = await register(api, site.url, "application.status_changed")
            posting = await api.posting()
            candidate = await api.candidate(SITE)
            await api.application(SITE, candidate["id"], posting["id"])

            async def queued() -> bool:
                log = await api.ok("GET", f"/v1/webhooks/{hook['id']}/deliveries", SITE)
                return len(log["data"]) == 1

            await eventually(queued)
        assert site.received == []
        async with talent(identity, url, own_nats.url, units=False):

            async def sent() -> bool:
                return len(site.received) == 1

            await eventually(sent)


async def test_the_disabled_event_names_the_host_and_not_the_url(make_database):
    db = Database(await make_database("talent"))
    url = "https://hooks.example.com/in/tok-123?sig=abc"
    endpoint = WebhookEndpoint(
        partner_id=SITE.sub,
        url=url,
        event_types=["posting.opened"],
        secret_enc="sealed",
        disabled_reason=f"delivery d failed 4 times; last error: refused: {url} is odd",
    )
    try:
        async with db.session() as session:
            await announce_disabled(session, endpoint)
        (event,) = await disabled_events(db)
    finally:
        await db.dispose()
    assert event.data["host"] == "hooks.example.com"
    assert event.data["reason"].endswith("refused: hooks.example.com is odd")
    assert "tok-123" not in event.model_dump_json() and "sig=abc" not in event.model_dump_json()


class TestTargets:
    async def test_production_refuses_http_and_private_addresses(self):
        for url, says in (
            ("http://example.com/hook", "https"),
            ("https://127.0.0.1/hook", "public addresses only"),
            ("https://10.1.2.3/hook", "public addresses only"),
            ("https://169.254.169.254/latest", "public addresses only"),
            ("https://[::1]/hook", "public addresses only"),
            ("https://localhost/hook", "public addresses only"),
            ("https://user:pw@example.com/hook", "credentials"),
            ("ftp://example.com/", "absolute https"),
        ):
            with pytest.raises(TargetRefused, match=says):
                await check_target(url, allow_private=False)
        await check_target("https://93.184.215.14/hook", allow_private=False)

    async def test_embedded_mode_allows_loopback(self):
        await check_target("http://127.0.0.1:9999/hook", allow_private=True)

    async def test_registration_refuses_a_private_target_in_production_mode(
        self, make_database, own_nats, identity
    ):
        async with talent(
            identity,
            await make_database("talent"),
            own_nats.url,
            webhook_allow_private_targets=False,
        ) as api:
            response = await api.call(
                "POST",
                "/v1/webhooks",
                SITE,
                json={"url": "https://127.0.0.1/x", "event_types": ["posting.opened"]},
            )
            assert response.status_code == 422
            assert response.json()["errors"][0]["field"] == "body.url"
