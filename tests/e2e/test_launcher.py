"""`teacherpool up` from an empty ./var: ready, serving the slice, restarting a killed service,
and gone on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import nats
import psutil
import pytest

from tests.support import launcher_env

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(900)]
#: How long the test waits for what the system does in its own time (migrating, seeding the demo
#: city and starting every child; working through the demo roster's events; restarting a killed
#: child): a bound for a machine shared with other work, not a figure under test.
PATIENCE_SECONDS = 600


async def refused_without_user(url: str) -> bool:
    try:
        connection = await nats.connect(url, allow_reconnect=False, max_reconnect_attempts=0)
    except Exception as error:
        return "authorization" in str(error).lower()
    await connection.close()
    return False


def test_up_from_empty_var_is_ready_then_stops_every_child(tmp_path: Path):
    env = launcher_env()
    gateway = f"http://127.0.0.1:{env['TP_GATEWAY_PORT']}"
    process = subprocess.Popen(
        [sys.executable, "-m", "teacherpool", "up", "--ready-timeout", str(PATIENCE_SECONDS)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    children: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + PATIENCE_SECONDS
        ready = False
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"{gateway}/readyz/upstreams", timeout=10).status_code == 200:
                    ready = True
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        assert ready, f"not ready: {process.poll()=}"
        assert (tmp_path / "var" / "nats").is_dir()
        assert (tmp_path / "var" / "staffing.db").exists()
        children = psutil.Process(process.pid).children(recursive=True)
        names = " ".join(" ".join(c.cmdline()) for c in children)
        for expected in (
            "nats-server",
            "serve staffing",
            "serve sharing",
            "serve talent",
            "serve gateway",
        ):
            assert expected in names
        # NATS has a user per service, generated under var/ and readable by the owner only;
        # a connection without one is refused (the services' own rights: tests/security).
        users = tmp_path / "var" / "nats" / "users"
        for name in ("auth.conf", "staffing.url", "sharing.url", "talent.url", "gateway.url"):
            assert oct((users / name).stat().st_mode & 0o777) == "0o600", name
        assert asyncio.run(refused_without_user(env["TP_NATS_URL"]))

        token = subprocess.run(
            [sys.executable, "-m", "teacherpool", "token", "cityhr"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        headers = {"Authorization": f"Bearer {token}"}
        units = httpx.get(
            f"{gateway}/api/staffing/v1/units?kind=district&limit=100", headers=headers
        )
        assert units.status_code == 200
        assert len(units.json()["data"]) == 23
        qingyang = next(u for u in units.json()["data"] if u["name"] == "青羊区")
        created = httpx.post(
            f"{gateway}/api/staffing/v1/units",
            headers=headers,
            json={
                "kind": "school",
                "code": "510105-S9999",
                "name": "青羊区新建小学",
                "district_id": qingyang["id"],
                "stages": ["primary"],
                "lat": 30.67,
                "lon": 104.05,
            },
        )
        assert created.status_code == 201, created.text
        school_id = created.json()["id"]
        # The demo roster's events (about 20,000) are ahead of this one in the streams.
        deadline = time.monotonic() + PATIENCE_SECONDS
        seen: set[str] = set()
        while time.monotonic() < deadline and len(seen) < 2:
            for service in ("sharing", "talent"):
                r = httpx.get(f"{gateway}/api/{service}/v1/units/{school_id}", headers=headers)
                if r.status_code == 200:
                    seen.add(service)
            time.sleep(0.5)
        assert seen == {"sharing", "talent"}

        # A service killed outright is restarted by the launcher; the rest carry on.
        talent = next(c for c in children if "serve talent" in " ".join(c.cmdline()))
        talent.send_signal(signal.SIGKILL)
        talent.wait(10)
        deadline = time.monotonic() + PATIENCE_SECONDS
        back = False
        while time.monotonic() < deadline and not back:
            time.sleep(0.25)
            children = psutil.Process(process.pid).children(recursive=True)
            restarted = any(
                "serve talent" in " ".join(c.cmdline()) and c.pid != talent.pid for c in children
            )
            try:
                ready = httpx.get(f"{gateway}/readyz/upstreams", timeout=10).status_code == 200
            except httpx.HTTPError:
                ready = False
            back = restarted and ready
        assert back, "talent did not come back"
        assert process.poll() is None
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            output, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
    assert process.returncode == 0, output
    assert "ready at" in output
    assert "talent exited with -9; restarting in" in output
    assert "talent restarted (pid" in output
    gone = psutil.wait_procs(children, timeout=5)[1]
    assert not gone, f"left running: {[p.pid for p in gone]}"
