"""Finding 6 (the part done): each service has its own NATS user, and its credentials cannot
publish another service's subjects, while its own JetStream work (streams, events, consumers)
goes on. A real nats-server started by the test enforces the permissions."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import nats
import pytest
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout

from common.bus import Bus
from common.natsauth import authorization_block, new_passwords, url_for
from tests.support import free_port, nats_binary

pytestmark = pytest.mark.nats


@pytest.fixture
def secured_nats(tmp_path: Path):  # type: ignore[no-untyped-def]
    passwords = new_passwords()
    port = free_port()
    config = tmp_path / "nats.conf"
    config.write_text(
        f'listen: "127.0.0.1:{port}"\n'
        f'jetstream {{ store_dir: "{tmp_path / "js"}" }}\n' + authorization_block(passwords)
    )
    process = subprocess.Popen(
        [nats_binary(), "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"nats://127.0.0.1:{port}"
    try:
        yield base, passwords
    finally:
        process.terminate()
        process.wait(5)


async def connect_when_up(url: str, **kwargs):  # type: ignore[no-untyped-def]
    for _ in range(100):
        try:
            return await nats.connect(url, allow_reconnect=False, connect_timeout=0.5, **kwargs)
        except Exception:
            await asyncio.sleep(0.05)
    raise RuntimeError("nats-server did not start")


async def test_a_service_cannot_publish_another_services_subject(secured_nats):
    base, passwords = secured_nats
    violations: list[str] = []

    async def on_error(error: Exception) -> None:
        violations.append(str(error))

    sharing = await connect_when_up(
        url_for(base, "sharing", passwords["sharing"]), error_cb=on_error
    )
    try:
        js = sharing.jetstream(timeout=2)
        await sharing.publish("staffing.staff.hired", b"{}")
        await sharing.flush()
        with pytest.raises((NoRespondersError, NatsTimeout)):
            await js.publish("staffing.staff.hired", b"{}")
        for _ in range(40):
            if violations:
                break
            await asyncio.sleep(0.05)
        assert any("permissions violation" in v.lower() for v in violations), violations
    finally:
        await sharing.close()


async def test_a_service_keeps_its_own_jetstream_work(secured_nats):
    base, passwords = secured_nats
    staffing = Bus(url_for(base, "staffing", passwords["staffing"]), name="staffing")
    sharing = Bus(url_for(base, "sharing", passwords["sharing"]), name="sharing")
    try:
        await staffing.connect(retry_forever=True)
        await sharing.connect(retry_forever=True)
        ack = await staffing.js.publish("staffing.unit.registered", b"{}")
        assert ack.stream == "STAFFING"
        consumer = await sharing.js.pull_subscribe(
            "staffing.>", durable="sharing-test", stream="STAFFING"
        )
        (message,) = await consumer.fetch(1, timeout=5)
        await message.ack()
        with pytest.raises(Exception):  # noqa: B017 any refusal will do: the purge must not happen
            await sharing.js.purge_stream("STAFFING")
        assert (await staffing.js.stream_info("STAFFING")).state.messages == 1
    finally:
        await staffing.close()
        await sharing.close()


async def test_no_credentials_no_connection(secured_nats):
    base, passwords = secured_nats
    await (await connect_when_up(url_for(base, "talent", passwords["talent"]))).close()
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


def start_server(config: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [nats_binary(), "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


async def test_the_cli_writes_users_a_server_enforces(tmp_path: Path):
    out = tmp_path / "nats-users"
    port = free_port()
    write_users(out, f"nats://127.0.0.1:{port}")
    assert oct((out / "auth.conf").stat().st_mode & 0o777) == "0o600"
    config = tmp_path / "nats.conf"
    # nats-server resolves an include beside the including file.
    config.write_text(f'listen: "127.0.0.1:{port}"\ninclude "nats-users/auth.conf"\n')
    process = start_server(config)
    try:
        talent_url = (out / "talent.url").read_text().strip()
        talent = await connect_when_up(talent_url)
        await talent.close()
    finally:
        process.terminate()
        process.wait(5)
