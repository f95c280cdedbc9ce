"""The whole system started once per module, and a real Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support import launcher_env

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


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed (pip install -e '.[dev]')"
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        return f"Chromium is not installed at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)"
    return None


@pytest.fixture(scope="module")
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

    def token(self, username: str) -> str:
        return subprocess.run(
            [sys.executable, "-m", "teacherpool", "token", username],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()

    def api(self, username: str) -> httpx.Client:
        return httpx.Client(
            base_url=f"{self.url}/api",
            headers={"Authorization": f"Bearer {self.token(username)}"},
            timeout=30,
        )


@pytest.fixture(scope="module")
def system(browser_ready: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    """`teacherpool up` in a temp directory on free ports, as tests/e2e/test_launcher.py does."""
    cwd = tmp_path_factory.mktemp("browser-city")
    env = launcher_env(TP_GATEWAY_RATE_LIMIT_LOGIN_PER_MINUTE="600")
    url = f"http://127.0.0.1:{env['TP_GATEWAY_PORT']}"
    process = subprocess.Popen(
        [sys.executable, "-m", "teacherpool", "up"],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"{url}/readyz/upstreams", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        else:
            pytest.fail(f"the system did not become ready (exit {process.poll()})")
        yield System(url, cwd, env)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


@pytest.fixture(scope="module")
def chromium(system: System) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(chromium: object, system: System) -> Iterator[object]:
    """A fresh browser context per test (its own cookies), at a laptop's screen size."""
    contexts = []

    def open_as(username: str | None = None) -> object:
        context = chromium.new_context(  # type: ignore[attr-defined]
            viewport={"width": 1366, "height": 768}, base_url=system.url, locale="zh-CN"
        )
        contexts.append(context)
        context.set_default_timeout(10_000)
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())
        if username:
            log_in(page, username)
        return page

    yield open_as
    for context in contexts:
        context.close()


def log_in(page: object, username: str) -> None:
    page.goto("/login")  # type: ignore[attr-defined]
    page.get_by_label("用户名").fill(username)  # type: ignore[attr-defined]
    page.get_by_label("密码").fill(PASSWORD)  # type: ignore[attr-defined]
    page.get_by_role("button", name="登录").click()  # type: ignore[attr-defined]
    page.wait_for_url(lambda url: "/login" not in url)  # type: ignore[attr-defined]


def screenshot(page: object, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]
