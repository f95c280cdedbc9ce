"""The whole system, started once for every browser test, and a real Chromium driven by Playwright.

`system` is session-scoped: one `teacherpool up` with the demo city serves every module under
tests/browser, and `chromium` is one browser for them all (each test still gets fresh contexts
from `open_page`). Every test collected here joins the xdist group "browser", so one worker runs
them all against that one system; a new module needs nothing more than to take these fixtures.

The system is shared, in whatever order pytest runs the modules, so a test must not rely on what
another test changed, nor change what another test reads:

- make your own entities where the test changes things (a school opened with its own code, a
  user with its own username, a district HR account of a district no other test uses:
  `make_user`);
- a test that changes a seeded school's posts takes it from `quiet_schools`, the seeded schools
  holding no talent posting, so the postings stay blocked or reserved as seeded;
- find what you made by something unique to it (its code, or a reason text of its own), not by
  its position in a list others add to;
- wait for a condition (Playwright's waits, `wait_until`), never for a fixed time.

`system.api(username)` is an httpx client with a bearer token of a demo account (tokens are
reused for a few minutes, since each is made by a `teacherpool token` subprocess).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.support import launcher_env

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORD = "demo12345"
#: Users made by the tests need a password of 10 or more characters.
TEST_PASSWORD = "browser-test-2026"
#: How long `teacherpool up` may take to seed the demo city and be ready: a bound for a machine
#: shared with other work, not a figure under test (the launcher exits on its own when a child
#: never gets ready, and that ends the wait at once).
READY_SECONDS = 600.0
#: How long a page load or an action may take (ms), and a login, which checks a password (argon2):
#: bounds for a machine busy with other work, not figures under test.
ACTION_MS = 30_000
LOGIN_MS = 60_000
#: How long a demo account's bearer token is reused: well inside the gateway's default access
#: token lifetime (600 s); a default of the tests, not of the platform.
TOKEN_REUSE_SECONDS = 300.0


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every browser test runs on the one worker that holds the shared system (before
    xdist's own hook reads the group marks), and whichever runs first may wait for the system
    to be ready beside its own time."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.xdist_group("browser"))
            item.add_marker(pytest.mark.timeout(READY_SECONDS + 300))


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed (pip install -e '.[dev]')"
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        return f"Chromium is not installed at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)"
    return None


@pytest.fixture(scope="session")
def browser_ready() -> None:
    missing = _missing()
    if missing:
        if os.environ.get("TP_REQUIRE_BROWSER") == "1":
            pytest.fail(f"TP_REQUIRE_BROWSER=1 but {missing}")
        pytest.skip(missing)


@dataclass
class System:
    """The running platform: its gateway URL, and bearer tokens for API set-up."""

    url: str
    cwd: Path
    env: dict[str, str]
    #: When it was ready: everything created before is the seeded demo city's.
    ready_at: datetime
    tokens: dict[str, tuple[float, str]] = field(default_factory=dict)
    #: A demo account's browser storage (its session cookie) once it has logged in.
    signed_in: dict[str, Any] = field(default_factory=dict)

    def token(self, username: str) -> str:
        made_at, token = self.tokens.get(username, (0.0, ""))
        if time.monotonic() - made_at < TOKEN_REUSE_SECONDS:
            return token
        token = subprocess.run(
            [sys.executable, "-m", "teacherpool", "token", username],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        self.tokens[username] = (time.monotonic(), token)
        return token

    def api(self, username: str) -> httpx.Client:
        return httpx.Client(
            base_url=f"{self.url}/api",
            headers={"Authorization": f"Bearer {self.token(username)}"},
            timeout=30,
        )


@pytest.fixture(scope="session")
def system(browser_ready: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    """`teacherpool up` in a temp directory on free ports, as tests/e2e/test_launcher.py does;
    one for the whole session (see the module's docstring for what that asks of a test)."""
    cwd = tmp_path_factory.mktemp("browser-city")
    env = launcher_env(TP_GATEWAY_RATE_LIMIT_LOGIN_PER_MINUTE="600")
    url = f"http://127.0.0.1:{env['TP_GATEWAY_PORT']}"
    log = cwd / "up.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "teacherpool", "up", "--ready-timeout", str(READY_SECONDS)],
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"{url}/readyz/upstreams", timeout=10).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        else:
            output = log.read_text(errors="replace")[-3000:]
            pytest.fail(f"the system did not become ready (exit {process.poll()}):\n{output}")
        yield System(url, cwd, env, datetime.now(UTC))
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def chromium(system: System) -> Iterator[Browser]:
    """Playwright per module: its sync API keeps an event loop running in this thread while it
    is open, and the tests an xdist worker takes after the browser group run their own loops."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(chromium: Browser, system: System) -> Iterator[Callable[..., Page]]:
    """A fresh browser context per test, at a laptop's screen size; `open_page(username)` opens
    it signed in as a demo account at its home page (through the login form the first time in
    the session, then with that session's cookie, since every login hashes a password)."""
    contexts: list[BrowserContext] = []

    def open_as(username: str | None = None) -> Page:
        signed_in = system.signed_in.get(username or "")
        context = chromium.new_context(
            viewport={"width": 1366, "height": 768},
            base_url=system.url,
            locale="zh-CN",
            storage_state=signed_in,
        )
        contexts.append(context)
        context.set_default_timeout(ACTION_MS)
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())
        if signed_in:
            page.goto("/")
        elif username:
            log_in(page, username)
            system.signed_in[username] = context.storage_state()
        return page

    yield open_as
    for context in contexts:
        context.close()


def log_in(page: Page, username: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click(timeout=LOGIN_MS)
    page.wait_for_url(lambda url: "/login" not in url, timeout=LOGIN_MS)


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def district(system: System, name: str) -> dict:
    """A district of the demo city by its name."""
    with system.api("cityhr") as api:
        found = api.get("/staffing/v1/units", params={"kind": "district", "limit": 100})
    return next(d for d in found.json()["data"] if d["name"] == name)


def schools_of(system: System, district_id: str) -> list[dict]:
    """A district's schools, by code."""
    with system.api("cityhr") as api:
        found = api.get(
            "/staffing/v1/units",
            params={"kind": "school", "district_id": district_id, "limit": 100},
        )
    return found.json()["data"]


def quiet_schools(system: System, district_name: str = "青羊区") -> list[dict]:
    """The district's seeded schools, by code, that hold no talent posting: the ones a test may
    give or take posts from without changing what a posting's reservation meets."""
    with system.api("cityhr") as api:
        postings = api.get("/talent/v1/postings", params={"limit": 200}).json()["data"]
    holding = {p["unit_id"] for p in postings}
    return [
        school
        for school in schools_of(system, district(system, district_name)["id"])
        if school["id"] not in holding
        and school["status"] == "open"
        and datetime.fromisoformat(school["created_at"]) < system.ready_at
    ]


def make_user(system: System, username: str, role: str, unit: dict, **extra: str) -> None:
    """A user of the test's own, by city HR, with TEST_PASSWORD; `unit` a district or school."""
    district_id = unit["id"] if unit["kind"] == "district" else unit["district_id"]
    body = {
        "username": username,
        "display_name": extra.pop("display_name", username),
        "role": role,
        "district_id": district_id,
        **({"unit_id": unit["id"]} if unit["kind"] == "school" else {}),
        **extra,
    }
    with system.api("cityhr") as api:
        made = api.post("/auth/v1/users", json={**body, "password": TEST_PASSWORD})
    assert made.status_code == 201, made.text


def wait_until(check: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Poll `check` until it holds; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s"
        time.sleep(0.25)
