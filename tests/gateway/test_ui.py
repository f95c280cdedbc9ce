"""The admin UI's HTTP behaviour without a browser: log-in, CSRF on forms, language, catalogs."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from gateway.app import create_app
from tests.gateway.support import PASSWORD, add_user, gateway_settings
from tests.support import Identity, running

UI = Path(__file__).resolve().parents[2] / "gateway" / "ui"


@pytest.fixture
async def database_url(make_database) -> str:  # type: ignore[no-untyped-def]
    url: str = await make_database("gateway")
    await add_user(url, "cityhr", "city_hr")
    return url


@pytest.fixture
async def client(database_url: str, identity: Identity) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(gateway_settings(identity, database_url, rate_limit_login_per_minute=100))
    async with running(app, "http://gateway") as c:
        yield c


async def log_in(client: httpx.AsyncClient, username: str = "cityhr") -> httpx.Response:
    form = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    return await client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token, "next": "/users"},
    )


class TestLogIn:
    async def test_a_page_without_a_session_redirects_to_log_in_and_back(self, client):
        answer = await client.get("/pool?tab=loans")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/login?next=/pool%3Ftab%3Dloans"

    async def test_log_in_sets_the_session_and_goes_where_the_user_was_going(self, client):
        answer = await log_in(client)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/users"
        assert "tp_session" in client.cookies

    async def test_a_wrong_password_says_so_in_chinese_and_keeps_the_name(self, client):
        form = await client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
        answer = await client.post(
            "/login", data={"username": "cityhr", "password": "wrong", "csrf_token": token}
        )
        assert answer.status_code == 401
        assert "用户名或密码错误" in answer.text
        assert 'value="cityhr"' in answer.text

    async def test_log_in_without_the_form_token_is_refused(self, client):
        answer = await client.post("/login", data={"username": "cityhr", "password": PASSWORD})
        assert answer.status_code == 403
        assert "tp_session" not in client.cookies

    async def test_next_never_leaves_the_site(self, client):
        form = await client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
        answer = await client.post(
            "/login",
            data={
                "username": "cityhr",
                "password": PASSWORD,
                "csrf_token": token,
                "next": "//evil.example/",
            },
        )
        assert answer.headers["location"] == "/"


class TestCsrf:
    async def test_a_form_without_the_session_token_changes_nothing(self, client):
        await log_in(client)
        answer = await client.post("/logout", data={})
        assert answer.status_code == 403
        assert (await client.get("/ui/me")).status_code == 200

    async def test_a_form_with_the_session_token_goes_through(self, client):
        await log_in(client)
        token = (await client.get("/ui/me")).json()["csrf_token"]
        answer = await client.post("/logout", data={"csrf_token": token})
        assert answer.status_code == 303
        assert (await client.get("/ui/me")).status_code == 303


class TestLanguage:
    async def test_chinese_by_default_english_by_cookie(self, client):
        assert '<html lang="zh-CN">' in (await client.get("/login")).text
        switched = await client.get("/lang/en?next=/login")
        assert switched.headers["location"] == "/login"
        page = (await client.get("/login")).text
        assert '<html lang="en">' in page
        assert "Log in" in page and "登录" not in page

    async def test_an_unknown_language_is_ignored(self, client):
        await client.get("/lang/xx")
        assert '<html lang="zh-CN">' in (await client.get("/login")).text


def test_every_message_of_the_ui_is_translated_into_chinese():
    found = {
        message if isinstance(message, str) else message[0]
        for _, _, message, _, _ in extract_from_dir(
            str(UI),
            method_map=[("templates/**.html", "jinja2"), ("**.py", "python")],
            keywords={"_": None, "N_": None},
        )
    }
    with (UI / "locale" / "zh_CN" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po)
    missing = sorted(m for m in found if not (catalog.get(m) and catalog.get(m).string))
    assert not missing, missing
