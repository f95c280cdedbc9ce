"""Finding 6: NATS is open. Each service has its own NATS user, and a real nats-server started
by the test enforces what each may do: its credentials cannot publish another service's
subject, use another's consumer, read another's stream or replies, or destroy anything, while
its own JetStream work (its stream, its consumers, its dead letters and their replay) goes on.
A dead letter is replayed by the service that parked it, never re-published by the gateway."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import nats
import pytest
from fastapi import FastAPI
from nats.aio.msg import Msg
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext

from common.app import ServiceSpec
from common.bus import DLQ_STREAM, Bus
from common.db import Database
from common.deadletters import DeadLetterNotFound, dead_letters, replay
from common.inbox import Consumer
from common.natsauth import CONSUMES, authorization_block, new_passwords, permissions, url_for
from contracts.base import Envelope, Event
from contracts.staffing import UnitRegistered
from gateway.ratelimit import NatsRateLimiter
from services.sharing.models import messaging as sharing_messaging
from tests.common.test_events import EffectCounter
from tests.support import (
    Identity,
    eventually,
    free_port,
    nats_binary,
    service_settings,
    wait_for_listener,
)

pytestmark = pytest.mark.nats

Secured = tuple[str, dict[str, str]]


@pytest.fixture
def secured_nats(tmp_path: Path) -> Iterator[Secured]:
    passwords = new_passwords()
    port = free_port()
    config = tmp_path / "nats.conf"
    config.write_text(
        f'listen: "127.0.0.1:{port}"\n'
        f'jetstream {{ store_dir: "{tmp_path / "js"}" }}\n' + authorization_block(passwords)
    )
    process = start_server(config, port)
    try:
        yield f"nats://127.0.0.1:{port}", passwords
    finally:
        process.terminate()
        process.wait(5)


def start_server(config: Path, port: int) -> subprocess.Popen[bytes]:
    """nats-server on `config`, once it listens on `port`."""
    process = subprocess.Popen(
        [nats_binary(), "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_for_listener(process, port)
    except RuntimeError:
        process.kill()
        raise
    return process


class Refusals:
    """The permission violations the server reports to one connection."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    async def on_error(self, error: Exception) -> None:
        self.seen.append(str(error).lower())

    async def refused(self, what: str) -> None:
        async def reported() -> bool:
            return any("permissions violation" in s and what.lower() in s for s in self.seen)

        await eventually(reported)


async def connect_as(secured: Secured, service: str, refusals: Refusals | None = None):
    base, passwords = secured
    url = url_for(base, service, passwords[service])
    for _ in range(100):
        try:
            return await nats.connect(
                url,
                allow_reconnect=False,
                connect_timeout=0.5,
                inbox_prefix=f"_INBOX_{service}",
                **({"error_cb": refusals.on_error} if refusals else {}),
            )
        except Exception:
            await asyncio.sleep(0.05)
    raise RuntimeError("nats-server did not start")


async def bus_as(secured: Secured, service: str) -> Bus:
    base, passwords = secured
    bus = Bus(url_for(base, service, passwords[service]), name=service)
    await bus.connect(retry_forever=True)
    return bus


@pytest.mark.parametrize(
    ("service", "subject"),
    [
        ("sharing", "staffing.staff.hired"),
        ("talent", "staffing.staff.hired"),
        ("gateway", "staffing.staff.hired"),
        ("staffing", "talent.candidate.hired"),
        ("staffing", "dlq.sharing"),
        ("talent", "tp.gateway.revoked"),
        ("sharing", "$KV.gateway_rate_limits.login"),
    ],
)
async def test_a_service_cannot_publish_another_services_subject(
    secured_nats: Secured, service: str, subject: str
):
    refusals = Refusals()
    own = await bus_as(secured_nats, "staffing")  # the streams exist, so only permissions refuse
    client = await connect_as(secured_nats, service, refusals)
    try:
        await client.publish(subject, b"{}")
        await client.flush()
        await refusals.refused(subject)
        with pytest.raises((NoRespondersError, NatsTimeout)):
            await client.jetstream(timeout=1).publish(subject, b"{}")
        assert (await own.js.stream_info("STAFFING")).state.messages == 0
    finally:
        await client.close()
        await own.close()


async def test_a_service_keeps_its_own_jetstream_work_and_nothing_more(secured_nats: Secured):
    staffing = await bus_as(secured_nats, "staffing")
    refusals = Refusals()
    sharing = await connect_as(secured_nats, "sharing", refusals)
    talent = await bus_as(secured_nats, "talent")
    try:
        ack = await staffing.js.publish("staffing.unit.registered", b"{}")
        assert ack.stream == "STAFFING"
        js = sharing.jetstream(timeout=2)
        consumer = await js.pull_subscribe("staffing.>", durable="sharing", stream="STAFFING")
        (message,) = await consumer.fetch(1, timeout=5)
        await message.ack()

        # Another service's durable consumer, direct reads of a stream, destruction: refused.
        await talent.js.add_consumer("STAFFING", durable_name="talent")
        js = sharing.jetstream(timeout=1)
        for forbidden in (
            pull(js, "talent"),
            js.get_msg("STAFFING", seq=1),
            js.purge_stream("STAFFING"),
            js.delete_stream("STAFFING"),
            js.delete_consumer("STAFFING", "talent"),
            js.add_consumer("STAFFING", durable_name="talent"),
            js.update_stream(name="STAFFING", subjects=["staffing.>"], max_age=1),
        ):
            with pytest.raises((NatsTimeout, NoRespondersError)):
                await forbidden
        spy = await sharing.subscribe("_INBOX_staffing.>")
        await sharing.flush()
        await refusals.refused("_INBOX_staffing")
        await spy.unsubscribe()
        info = await staffing.js.stream_info("STAFFING")
        assert info.state.messages == 1 and info.config.max_age and info.config.max_age > 1
        assert (await talent.js.consumer_info("STAFFING", "talent")).num_pending == 1
        for refused in ("msg.next.staffing.talent", "msg.get.staffing", "purge.staffing"):
            await refusals.refused(refused)
    finally:
        await staffing.close()
        await sharing.close()
        await talent.close()


async def pull(js: JetStreamContext, durable: str) -> None:
    """Fetch one message from a durable consumer of STAFFING."""
    await (await js.pull_subscribe_bind(durable=durable, stream="STAFFING")).fetch(1, timeout=1)


class Flaky(EffectCounter):
    """A handler that fails until its cause is fixed."""

    broken = True

    async def __call__(self, session, event: Event, envelope: Envelope) -> None:
        if self.broken:
            raise RuntimeError("the unit's district is not known yet")
        await super().__call__(session, event, envelope)


async def test_the_service_that_parked_a_dead_letter_replays_it_and_the_gateway_cannot(
    secured_nats: Secured, make_database
):
    """The gateway lists dead letters but may neither re-publish the event nor replay a
    service's letter itself; the service that parked it applies it again under its own user."""
    staffing, sharing, gateway = [
        await bus_as(secured_nats, s) for s in ("staffing", "sharing", "gateway")
    ]
    db = Database(await make_database("sharing"))
    flaky = Flaky(db)
    await flaky.prepare()
    consumer = Consumer(
        service="sharing",
        publisher="staffing",
        db=db,
        bus=sharing,
        inbox=sharing_messaging.inbox,
        handlers={"staffing.unit.registered": flaky},
        max_attempts=1,
    )
    task = asyncio.create_task(consumer.run())
    refusals = Refusals()
    gateway_client = await connect_as(secured_nats, "gateway", refusals)
    try:
        event = UnitRegistered(unit_id=uuid.uuid4(), kind="school", code="S-DLQ", name="学校")
        envelope = Envelope.wrap(event, source="teacherpool/staffing", subject=str(event.unit_id))
        await staffing.js.publish(
            event.event_type,
            envelope.model_dump_json().encode(),
            headers={"Nats-Msg-Id": str(envelope.id)},
        )

        async def parked() -> bool:
            return len(await dead_letters(gateway.js)) == 1

        await eventually(parked)
        (letter,) = await dead_letters(gateway.js, service="sharing")
        with pytest.raises(DeadLetterNotFound):
            await replay(gateway.js, letter.sequence, [])
        await gateway_client.publish(letter.subject, letter.data)
        await gateway_client.flush()
        await refusals.refused(letter.subject)

        flaky.broken = False
        await replay(sharing.js, letter.sequence, [consumer])
        assert await flaky.count() == 1
        assert await dead_letters(gateway.js) == []
        assert (await staffing.js.stream_info("STAFFING")).state.messages == 1, "re-published"
        assert (await gateway.js.stream_info(DLQ_STREAM)).state.messages == 0
    finally:
        consumer.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await gateway_client.close()
        for bus in (staffing, sharing, gateway):
            await bus.close()
        await db.dispose()


async def test_the_gateway_keeps_its_shared_rate_limits_and_its_core_subjects(
    secured_nats: Secured,
):
    """What only the gateway does still works under its user: the rate-limit bucket in
    JetStream key-value, shared by two replicas, and its revocation subject."""
    replicas = [await bus_as(secured_nats, "gateway") for _ in range(2)]
    limiters = [NatsRateLimiter(bus) for bus in replicas]
    try:
        decisions = [await limiters[n % 2].hit("user:cityhr", per_minute=4) for n in range(6)]
        assert [d.allowed for d in decisions] == [True] * 4 + [False] * 2
        heard: list[bytes] = []

        async def on_revoked(message: Msg) -> None:
            heard.append(message.data)

        assert replicas[1].nc is not None and replicas[0].nc is not None
        await replicas[1].nc.subscribe("tp.gateway.revoked", cb=on_revoked)
        await replicas[1].nc.flush()
        await replicas[0].nc.publish("tp.gateway.revoked", b"session")

        async def arrived() -> bool:
            # Core NATS is at most once: a copy sent while a connection was re-made under a
            # busy machine is lost, so it is sent again until one arrives.
            if not heard:
                assert replicas[0].nc is not None
                await replicas[0].nc.publish("tp.gateway.revoked", b"session")
            return bool(heard) and set(heard) == {b"session"}

        await eventually(arrived)
    finally:
        for limiter in limiters:
            await limiter.close()
        for bus in replicas:
            await bus.close()


def test_the_permissions_name_every_stream_each_service_consumes(
    monkeypatch: pytest.MonkeyPatch, identity: Identity
):
    """The NATS users' consumer rights follow what each service's app consumes."""
    from gateway.audit.events import handlers as gateway_handlers
    from services.sharing import app as sharing_app
    from services.sharing.settings import SharingSettings
    from services.staffing import app as staffing_app
    from services.staffing.settings import StaffingSettings
    from services.talent import app as talent_app
    from services.talent.settings import TalentSettings

    declared: dict[str, set[str]] = {}
    for module, settings_cls in (
        (staffing_app, StaffingSettings),
        (sharing_app, SharingSettings),
        (talent_app, TalentSettings),
    ):

        def capture(spec: ServiceSpec) -> FastAPI:
            declared[spec.settings.service_name] = set(spec.consumes)
            return FastAPI()

        monkeypatch.setattr(module, "create_service_app", capture)
        module.create_app(service_settings(settings_cls, identity, "sqlite://", "nats://x:1"))

    async def ignore(*_: object) -> None:
        return None

    declared["gateway"] = set(gateway_handlers(ignore))
    assert {s: set(p) for s, p in CONSUMES.items()} == declared
    for service, publishers in CONSUMES.items():
        allowed = permissions(service)["publish"]["allow"]
        for publisher in publishers:
            assert f"$JS.API.CONSUMER.MSG.NEXT.{publisher.upper()}.{service}" in allowed
        destroying = ("$JS.API.STREAM.PURGE", "$JS.API.STREAM.DELETE", "$JS.API.CONSUMER.DELETE")
        assert not any(a.startswith(destroying) for a in allowed)


async def test_no_credentials_no_connection(secured_nats: Secured):
    base, _ = secured_nats
    await (await connect_as(secured_nats, "talent")).close()
    with pytest.raises(Exception, match=r"(?i)authori"):
        await nats.connect(base, allow_reconnect=False, max_reconnect_attempts=0)


def write_users(out: Path, url: str) -> None:
    written = subprocess.run(
        [sys.executable, "-m", "teacherpool", "nats-users", "--out", str(out), "--url", url],
        capture_output=True,
        text=True,
        check=False,
    )
    assert written.returncode == 0, written.stderr


async def test_the_cli_writes_users_a_server_enforces(tmp_path: Path):
    out = tmp_path / "nats-users"
    port = free_port()
    write_users(out, f"nats://127.0.0.1:{port}")
    assert oct((out / "auth.conf").stat().st_mode & 0o777) == "0o600"
    config = tmp_path / "nats.conf"
    # nats-server resolves an include beside the including file.
    config.write_text(f'listen: "127.0.0.1:{port}"\ninclude "nats-users/auth.conf"\n')
    process = start_server(config, port)
    try:
        talent_url = (out / "talent.url").read_text().strip()
        for _ in range(100):
            try:
                talent = await nats.connect(talent_url, allow_reconnect=False)
                break
            except Exception:
                await asyncio.sleep(0.05)
        else:
            raise AssertionError("nats-server did not start")
        await talent.close()
    finally:
        process.terminate()
        process.wait(5)
