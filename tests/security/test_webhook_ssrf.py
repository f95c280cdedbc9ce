"""Finding 4: webhook delivery connects to the address it vetted (no DNS rebinding), private
targets are refused unless an operator opts in, and a partner sees only an error category.
"""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from common.db import Database
from services.talent.models import WebhookDelivery
from services.talent.settings import TalentSettings
from services.talent.webhooks.delivery import Claimed, Deliverer
from services.talent.webhooks.targets import TargetRefused, check_target
from tests.support import free_port
from tests.talent.support import Receiver, partner, talent, talent_settings

SITE = partner("site")


class RebindingDns:
    """A resolver as an attacker's DNS server answers: first the vetted address, then another."""

    def __init__(self, first: str, then: str) -> None:
        self.answers = [first, then]
        self.asked = 0

    async def __call__(self, host: str, port: int) -> list[str]:
        answer = self.answers[min(self.asked, len(self.answers) - 1)]
        self.asked += 1
        return [answer]


async def test_delivery_connects_to_the_vetted_address_with_the_hostname(identity, tmp_path):
    dns = RebindingDns("127.0.0.1", "127.0.0.2")
    settings = talent_settings(identity, "sqlite+aiosqlite:///unused.db", "nats://127.0.0.1:1")
    async with Receiver() as site, httpx.AsyncClient(timeout=5) as client:
        deliverer = Deliverer(None, None, settings, client, resolver=dns)
        claimed = Claimed(
            uuid.uuid4(),
            f"http://hooks.partner.test:{site.port}/hooks",
            "whsec_" + "A" * 32,
            '{"type": "posting.opened"}',
        )
        result = await deliverer._send(claimed)
    assert result.error is None, result
    assert dns.asked == 1, "the host was resolved again after it was vetted"
    assert site.received[0].headers["host"] == f"hooks.partner.test:{site.port}"


def test_private_targets_are_refused_unless_an_operator_opts_in():
    settings = TalentSettings(common={"env": "development"})
    assert settings.webhook_allow_private_targets is False
    assert settings.private_targets_allowed is False


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "100.64.0.1",  # CGNAT
        "169.254.169.254",  # cloud metadata
        "::1",
        "fd00:ec2::254",  # AWS metadata over IPv6
        "fe80::1",
        "::ffff:10.0.0.1",
    ],
)
async def test_every_private_range_is_refused(address):
    async def resolve(host: str, port: int) -> list[str]:
        return [address]

    with pytest.raises(TargetRefused) as refused:
        await check_target("https://hooks.partner.test/x", allow_private=False, resolver=resolve)
    assert address not in str(refused.value), "the partner must not learn our addresses"


async def test_partner_sees_only_an_error_category(make_database, own_nats, identity):
    closed = free_port()
    url = await make_database("talent")
    async with talent(identity, url, own_nats.url, webhook_retry_seconds=(60.0,)) as api:
        hook = await api.ok(
            "POST",
            "/v1/webhooks",
            SITE,
            json={"url": f"http://127.0.0.1:{closed}/hooks", "event_types": ["posting.opened"]},
        )
        await api.posting()

        async def failed() -> list[dict]:
            log = await api.ok("GET", f"/v1/webhooks/{hook['id']}/deliveries", SITE)
            return [d for d in log["data"] if d["last_error"]]

        for _ in range(200):
            if await failed():
                break
            await asyncio.sleep(0.05)
        (delivery,) = await failed()
        assert delivery["last_error"] == "refused", delivery
        db: Database = api.db
        async with db.session(read_only=True) as session:
            row = await session.get(WebhookDelivery, uuid.UUID(delivery["id"]))
            assert row is not None and row.last_error == "refused"
