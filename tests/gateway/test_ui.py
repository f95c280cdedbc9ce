"""The admin UI's HTTP behaviour without a browser: log-in, CSRF on forms, language, catalogs."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from sqlalchemy import select
from sqlmodel import col

from common.db import Database, utcnow
from common.errors import DomainError
from gateway.app import create_app
from gateway.models import Notification, User
from gateway.ui.charts import bars, text_width
from gateway.ui.client import ApiProblem
from gateway.ui.forms import PROBLEMS, STATES, explain
from gateway.ui.labels import REASONS, reason
from gateway.ui.render import local_date, money, month_name, render, translator, when
from tests.gateway.support import PASSWORD, gateway_settings
from tests.support import Identity, running

UI = Path(__file__).resolve().parents[2] / "gateway" / "ui"


@pytest.fixture
async def client(database_url: str, identity: Identity) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(gateway_settings(identity, database_url, rate_limit_login_per_minute=100))
    async with running(app, "http://gateway") as c:
        yield c


async def log_in(client: httpx.AsyncClient, username: str = "cityhr") -> httpx.Response:
    form = await client.get("/login")
    found = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert found is not None, form.text
    token = found.group(1)
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
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
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
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
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


async def notify(database_url: str, username: str, title: str, link: str) -> None:
    """A notification for `username`, as the rules would make it from an event."""
    db = Database(database_url)
    try:
        async with db.session() as session:
            user = (
                await session.execute(select(User).where(col(User.username) == username))
            ).scalar_one()
            session.add(
                Notification(
                    recipient_id=user.id,
                    event_id=str(uuid.uuid4()),
                    kind="application_submitted",
                    title_zh=title,
                    title_en="A new application to the staffing pool",
                    body_zh="申请 2 个编制",
                    body_en="2 established posts requested",
                    link=link,
                    created_at=utcnow(),
                )
            )
    finally:
        await db.dispose()


def badge(html: str) -> str:
    found = re.search(r'data-testid="unread-count"[^>]*>([^<]*)<', html)
    assert found, "no unread badge in the header"
    return found.group(1)


async def csrf(client: httpx.AsyncClient) -> str:
    token: str = (await client.get("/ui/me")).json()["csrf_token"]
    return token


class TestInbox:
    async def test_the_header_counts_unread_notifications_on_every_page(self, client, database_url):
        await log_in(client)
        assert badge((await client.get("/inbox")).text) == "0"
        await notify(database_url, "cityhr", "新的周转池用编申请", "/pool/applications/x")
        page = await client.get("/inbox")
        assert badge(page.text) == "1"
        assert "新的周转池用编申请" in page.text
        assert 'data-stream="/api/notifications/v1/stream"' in page.text

    async def test_the_inbox_is_in_the_users_language(self, client, database_url):
        await log_in(client)
        await notify(database_url, "cityhr", "新的周转池用编申请", "/pool/applications/x")
        await client.get("/lang/en")
        page = (await client.get("/inbox")).text
        assert "A new application to the staffing pool" in page
        assert "Mark all as read" in page

    async def test_mark_read_and_mark_all_read(self, client, database_url):
        await log_in(client)
        for _ in range(3):
            await notify(database_url, "cityhr", "新的周转池用编申请", "/pool/applications/x")
        listed = await client.get("/api/notifications/v1")
        first = listed.json()["data"][0]["id"]
        token = await csrf(client)
        marked = await client.post(f"/inbox/{first}/read", data={"csrf_token": token})
        assert marked.headers["location"] == "/inbox?done=read"
        assert badge((await client.get("/inbox")).text) == "2"
        await client.post("/inbox/read-all", data={"csrf_token": token})
        assert badge((await client.get("/inbox")).text) == "0"

    async def test_opening_a_notification_marks_it_read_and_goes_to_its_link(
        self, client, database_url
    ):
        await log_in(client)
        await notify(database_url, "cityhr", "新的周转池用编申请", "/pool/applications/abc")
        first = (await client.get("/api/notifications/v1")).json()["data"][0]["id"]
        opened = await client.post(f"/inbox/{first}/open", data={"csrf_token": await csrf(client)})
        assert opened.headers["location"] == "/pool/applications/abc"
        assert badge((await client.get("/inbox")).text) == "0"

    async def test_a_form_without_the_token_marks_nothing(self, client, database_url):
        await log_in(client)
        await notify(database_url, "cityhr", "新的周转池用编申请", "/pool/applications/x")
        refused = await client.post("/inbox/read-all", data={})
        assert refused.status_code == 403
        assert badge((await client.get("/inbox")).text) == "1"

    async def test_mail_needs_an_address_and_the_error_is_beside_the_field(self, client):
        await log_in(client)
        token = await csrf(client)
        refused = await client.post(
            "/inbox/preferences", data={"csrf_token": token, "email_enabled": "on"}
        )
        assert refused.status_code == 422
        assert 'data-field="email">开启邮件提醒前请先填写邮箱地址。' in refused.text
        saved = await client.post(
            "/inbox/preferences",
            data={"csrf_token": token, "email_enabled": "on", "email": "hr@example.cn"},
        )
        assert saved.status_code == 303
        prefs = (await client.get("/api/notifications/v1/preferences")).json()
        assert prefs == {"email": "hr@example.cn", "email_enabled": True, "language": "zh_CN"}

    async def test_a_bad_address_is_refused_beside_the_field_in_chinese(self, client):
        await log_in(client)
        refused = await client.post(
            "/inbox/preferences",
            data={"csrf_token": await csrf(client), "email": "not-an-address"},
        )
        assert refused.status_code == 422
        assert 'data-field="email">格式不正确。' in refused.text
        assert 'value="not-an-address"' in refused.text


class TestAdministration:
    async def test_city_hr_creates_and_disables_a_user(self, client):
        await log_in(client)
        token = await csrf(client)
        created = await client.post(
            "/users",
            data={
                "csrf_token": token,
                "username": "auditor2",
                "display_name": "审计员",
                "password": "long-enough-password",
                "role": "auditor",
            },
        )
        assert created.status_code == 303, created.text[:500]
        users = (await client.get("/api/auth/v1/users")).json()["data"]
        made = next(u for u in users if u["username"] == "auditor2")
        await client.post(f"/users/{made['id']}/disable", data={"csrf_token": token})
        again = (await client.get(f"/api/auth/v1/users/{made['id']}")).json()
        assert again["disabled"] is True

    async def test_a_short_password_is_refused_beside_the_field(self, client):
        await log_in(client)
        refused = await client.post(
            "/users",
            data={
                "csrf_token": await csrf(client),
                "username": "someone",
                "display_name": "某人",
                "password": "short",
                "role": "auditor",
            },
        )
        assert refused.status_code == 422
        assert 'data-field="password"' in refused.text
        assert 'value="someone"' in refused.text


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


class TestFormats:
    """Money, dates and months as each language writes them (Babel)."""

    def test_money_is_yuan_with_two_decimals(self):
        assert money(123450, "zh_CN") == "1,234.50 元"
        assert money(5, "zh_CN") == "0.05 元"
        assert money(123450, "en") == "CN¥1,234.50"
        assert money(None, "zh_CN") == "—"

    def test_dates_and_instants_are_written_as_the_language_does(self):
        assert local_date("2026-11-30", "zh_CN") == "2026年11月30日"
        assert local_date("2026-11-30", "en") == "Nov 30, 2026"
        # A UTC instant is shown in Asia/Shanghai.
        assert when("2026-11-30T18:05:00+00:00", "zh_CN") == "2026年12月1日 02:05"
        assert month_name("2026-11", "zh_CN") == "2026年11月"
        assert month_name("2026-11", "en") == "Nov 2026"


class TestReasons:
    """A candidate's ranking reasons are worded by the page from the service's codes."""

    def test_each_code_reads_in_chinese_with_its_values(self):
        _ = translator("zh_CN")
        said = [
            reason(
                {"code": "certified_teaching", "params": {"stage": "primary", "subject": "音乐"}},
                _,
                "zh_CN",
            ),
            reason(
                {"code": "free_with_travel", "params": {"periods": 2, "minutes": 18}}, _, "zh_CN"
            ),
            reason({"code": "distance", "params": {"km": 3.4}}, _, "zh_CN"),
            reason({"code": "load", "params": {"load": 2, "cap": 8}}, _, "zh_CN"),
            reason({"code": "rated", "params": {"rating": 4.5, "evaluations": 3}}, _, "zh_CN"),
        ]
        assert said == [
            "持有小学音乐教师资格；现任教该学科",
            "所需 2 节全部有空（已计入路程 18 分钟）",
            "距所在学校 3.4 公里",
            "每周共享课时已排 2 节（上限 8 节）",
            "评价得分 4.5（满分 5 分，共 3 次评价，近期权重更高）",
        ]
        assert not [s for s in said if re.search("[a-z]{3}", s)]

    def test_english_names_the_subject_and_stage_in_english(self):
        text = reason(
            {"code": "certified_not_teaching", "params": {"stage": "primary", "subject": "音乐"}},
            translator("en"),
            "en",
        )
        assert text == "certified for Primary Music; does not teach it now"

    def test_a_code_the_page_does_not_know_shows_the_services_words(self):
        item = {"code": "something_new", "params": {}, "detail": "a new factor"}
        assert reason(item, translator("zh_CN"), "zh_CN") == "a new factor"
        assert reason({"detail": "older service"}, translator("zh_CN"), "zh_CN") == "older service"

    def test_every_code_of_the_ranking_has_words(self):
        source = (UI.parents[1] / "services" / "sharing" / "matching" / "index.py").read_text()
        codes = set(
            re.findall(
                r'"(certified_\w+|free\w*|distance|location_unknown|load|rated|'
                r'not_rated|honours)"',
                source,
            )
        )
        assert codes and codes <= set(REASONS), codes - set(REASONS)


class TestProblems:
    """A service's problem shown on a Chinese page is in Chinese, figures included."""

    def test_a_timetable_clash_is_worded_with_its_slot(self):
        problem = ApiProblem(
            409,
            {
                "type": "/problems/timetable-clash",
                "detail": "timetable clash: Tue period 3 is taken by an assignment",
                "errors": [{"field": "body.slots", "message": "Tue period 3 is taken"}],
                "clash": {"weekday": 2, "period": 3, "with": "x", "kind": "overlap"},
            },
        )
        said = explain(problem, translator("zh_CN"))
        assert said.summary == "该教师在这些节次没有空闲。"
        assert said.detail == "周二第3节已有安排。"
        assert said.fields == {"slots": "周二第3节已有安排。"}

    def test_a_known_problem_drops_the_english_detail_on_a_chinese_page(self):
        problem = ApiProblem(
            409, {"type": "/problems/pool-exhausted", "detail": "the pool holds 3 posts"}
        )
        said = explain(problem, translator("zh_CN"))
        assert (said.summary, said.detail) == ("周转池中的编制不足。", "")
        english = explain(problem, translator("en"))
        assert (english.summary, english.detail) == (
            "The pool holds too few posts.",
            "the pool holds 3 posts",
        )

    def test_over_the_cap_gives_the_figures(self):
        problem = ApiProblem(
            409,
            {"type": "/problems/over-weekly-cap", "load": 6, "adding": 4, "cap": 8, "detail": "x"},
        )
        assert explain(problem, translator("zh_CN")).detail == (
            "每周已排共享课时 6 节，再加 4 节将超过上限 8 节。"
        )

    @pytest.mark.parametrize(
        ("body", "zh", "en"),
        [
            (
                {
                    "type": "/problems/no-vacancy",
                    "detail": "unit S1 has 0 vacant bianzhi posts and this needs 1 (approved 1, "
                    "occupied 1, reserved 0)",
                    "vacant": 0,
                    "needed": 1,
                    "quota_type": "bianzhi",
                },
                "该单位编制仅空余 0 个，本次需要 1 个。",
                "Established posts vacant at the unit: 0; this needs 1.",
            ),
            (
                {
                    "type": "/problems/pool-exhausted",
                    "detail": "the yuan_e pool holds 3 posts and this decision grants 4",
                    "pool_balance": 3,
                    "granted": 4,
                    "quota_type": "yuan_e",
                },
                "周转池中员额仅余 3 个，本次拟核拨 4 个。",
                "Contract headcount in the pool: 3; this grants 4.",
            ),
            (
                {
                    "type": "/problems/below-held-posts",
                    "detail": "cutting 2 bianzhi posts would leave unit S1 with 2, below the 3 "
                    "held by staff, reservations and loans (occupied 3, reserved 0, borrowed 0)",
                    "quota_type": "bianzhi",
                    "remaining": 2,
                    "held": 3,
                },
                "核减后该单位编制为 2 个，少于在编人员、预留和借用占用的 3 个。",
                "Established posts after the cut: 2, below the 3 held by staff, reservations "
                "and loans.",
            ),
            (
                {
                    "type": "/problems/over-repayment",
                    "detail": "the loan has 2 posts outstanding, not 3",
                    "outstanding": 2,
                    "count": 3,
                },
                "该笔借用仅剩 2 个未归还，不能归还 3 个。",
                "The loan has only 2 posts outstanding; 3 cannot be repaid.",
            ),
            (
                {
                    "type": "/problems/posts-reserved",
                    "detail": "school S1 holds 2 bianzhi posts for open postings: close them first",
                    "quota_type": "bianzhi",
                    "reserved": 2,
                },
                "该校为在招岗位预留的编制：2 个，请先关闭或调整这些岗位。",
                "Established posts held at the school for open postings: 2; close or move those "
                "postings first.",
            ),
            (
                {
                    "type": "/problems/pool-not-open",
                    "detail": "the city does not pool yuan_e posts",
                    "quota_type": "yuan_e",
                },
                "全市员额周转池尚未开设。",
                "Contract headcount: the city's pool is not open.",
            ),
            (
                {
                    "type": "/problems/not-on-roster",
                    "detail": "李老师 is no longer on the roster: resigned",
                    "staff_status": "resigned",
                },
                "此人已不在册：辞职。",
                "The person has left the roster: Resigned.",
            ),
            (
                {
                    "type": "/problems/lesson-not-yet-due",
                    "detail": "the lesson is on 2026-12-07, it cannot be given yet",
                    "taught_on": "2026-12-07",
                },
                "该课时在2026年12月7日，当天起才能标记为已授课。",
                "The lesson is on Dec 7, 2026; it can be marked given from that day on.",
            ),
            (
                {
                    "type": "/problems/posting-filled",
                    "detail": "all 3 posts of the posting are filled",
                    "count": 3,
                },
                "该岗位的 3 个名额均已录满。",
                "All 3 posts of the posting are filled.",
            ),
            (
                {
                    "type": "/problems/illegal-transition",
                    "detail": "the lesson is confirmed; only a scheduled lesson can be moved",
                    "state": "confirmed",
                    "state_of": "lesson",
                },
                "该课时当前状态：已确认。",
                "The lesson is now: Confirmed.",
            ),
            (
                {
                    "type": "/problems/illegal-transition",
                    "detail": "the offer is consented",
                    "state": "consented",
                    "state_of": "offer",
                },
                "该邀请当前状态：待教师确认。",
                "The offer is now: Awaiting teacher.",
            ),
            (
                {
                    "type": "/problems/illegal-transition",
                    "detail": "the application is consented",
                    "state": "consented",
                    "state_of": "library_application",
                },
                "该入库申请当前状态：待区县审核。",
                "The library application is now: Awaiting district HR.",
            ),
            (
                {
                    "type": "/problems/illegal-transition",
                    "detail": "the move is withdrawn",
                    "state": "withdrawn",
                    "state_of": "lesson_move",
                },
                "该调课申请当前状态：已撤回。",
                "The lesson move is now: Withdrawn.",
            ),
            (
                {
                    "type": "/problems/illegal-transition",
                    "detail": "only a draft can be changed; this posting is pending_quota",
                    "state": "pending_quota",
                    "state_of": "posting",
                },
                "该招聘岗位当前状态：等待编制。",
                "The posting is now: Waiting for posts.",
            ),
            (
                {
                    "type": "/problems/illegal-transition",
                    "detail": "the application was already decided: rejected",
                    "state": "rejected",
                    "state_of": "pool_application",
                },
                "该用编申请当前状态：未通过。",
                "The pool application is now: Rejected.",
            ),
            (
                {
                    "type": "/problems/illegal-transition",
                    "detail": "the batch match is offered",
                    "state": "offered",
                    "state_of": "batch_match",
                },
                "该批量匹配方案当前状态：已发出邀请。",
                "The batch proposal is now: Offers sent.",
            ),
        ],
    )
    def test_the_values_a_problem_carries_are_worded_in_the_page_language(self, body, zh, en):
        problem = ApiProblem(409, {"title": "x", "status": 409, **body})
        said = explain(problem, translator("zh_CN"))
        assert said.detail == zh
        assert not re.search("[a-z]{3}", said.summary + said.detail)
        english = explain(problem, translator("en"))
        assert english.detail == en
        assert english.summary == PROBLEMS[problem.slug]

    def test_the_pool_plan_field_of_a_school_opening_gets_the_figures(self):
        problem = ApiProblem(
            409,
            {
                "type": "/problems/pool-exhausted",
                "detail": "the bianzhi pool holds 1 posts and the plan grants 2",
                "errors": [{"field": "body.plan", "message": "more than the pool holds"}],
                "pool_balance": 1,
                "granted": 2,
                "quota_type": "bianzhi",
            },
        )
        said = explain(problem, translator("zh_CN"))
        assert said.fields == {"plan": "周转池中编制仅余 1 个，本次拟核拨 2 个。"}

    @pytest.mark.parametrize(
        ("entry", "zh", "en"),
        [
            (
                {
                    "field": "body.3.stage",
                    "message": "S1 does not teach junior",
                    "code": "stage_not_taught",
                    "unit_code": "S1",
                    "stage": "junior",
                },
                "S1 未开设初中。",
                "S1 does not teach Junior secondary.",
            ),
            (
                {
                    "field": "body.0.grade",
                    "message": "junior has no grade 4",
                    "code": "no_such_grade",
                    "stage": "junior",
                    "grade": 4,
                },
                "初中没有4年级。",
                "Junior secondary has no grade 4.",
            ),
        ],
    )
    def test_a_field_the_service_words_with_values_reads_in_the_page_language(self, entry, zh, en):
        problem = ApiProblem(
            422, {"type": "/problems/invalid-input", "detail": entry["message"], "errors": [entry]}
        )
        name = entry["field"].rsplit(".", 1)[-1]
        said = explain(problem, translator("zh_CN"))
        assert (said.fields, said.detail) == ({name: zh}, zh)
        english = explain(problem, translator("en"))
        assert (english.fields, english.detail) == ({name: en}, en)

    def test_a_state_the_page_has_no_name_for_keeps_the_services_words(self):
        problem = ApiProblem(
            409,
            {
                "type": "/problems/illegal-transition",
                "detail": "the lesson is archived",
                "state": "archived",
                "state_of": "lesson",
            },
        )
        said = explain(problem, translator("zh_CN"))
        assert (said.summary, said.detail) == (
            "当前状态下无法执行此操作。",
            "the lesson is archived",
        )

    def test_a_move_already_proposed_has_words_of_its_own(self):
        problem = ApiProblem(
            409,
            {
                "type": "/problems/move-already-proposed",
                "detail": "the lesson already has a move waiting for an answer",
            },
        )
        said = explain(problem, translator("zh_CN"))
        assert (said.summary, said.detail) == ("该课时已有待答复的调课申请。", "")
        english = explain(problem, translator("en"))
        assert english.summary == "The lesson already has a move waiting for an answer."

    def test_a_plain_conflict_in_words_the_catalog_has_reads_in_chinese(self):
        problem = ApiProblem(
            409,
            {
                "type": "/problems/conflict",
                "detail": "this assignment was already evaluated for that period",
            },
        )
        assert explain(problem, translator("zh_CN")).detail == "该共享任教在此期间已评价过"

    def test_every_problem_type_a_form_can_meet_has_words(self):
        modules = [
            "common.errors",
            "common.spreadsheets",
            "gateway.errors",
            *(f"services.{s}.errors" for s in ("staffing", "sharing", "talent")),
        ]
        slugs = {
            cls.slug
            for name in modules
            for _, cls in inspect.getmembers(importlib.import_module(name), inspect.isclass)
            if issubclass(cls, DomainError)
        }
        # The base class is never raised itself; a log-in, not a form, answers `unauthorized`.
        unshown = {"bad-request", "unauthorized"}
        assert slugs - unshown <= set(PROBLEMS), sorted(slugs - unshown - set(PROBLEMS))

    def test_every_state_the_services_name_has_words(self):
        named: set[str] = set()
        for path in (UI.parents[1] / "services").rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if not (
                    isinstance(node, ast.Call) and ast.unparse(node.func) == "IllegalTransition"
                ):
                    continue
                given = {k.arg: k.value for k in node.keywords}
                if "state" in given:
                    of = given.get("state_of")
                    assert isinstance(of, ast.Constant), f"{path}:{node.lineno} names no state_of"
                    named.add(of.value)
        assert named and named <= set(STATES), sorted(named - set(STATES))


def test_settlements_show_names_and_money_not_raw_fields():
    html = render(
        "settlements.html",
        "zh_CN",
        user=None,
        path="/sharing/settlements",
        full_path="/sharing/settlements",
        csrf="token",
        role="city_hr",
        settlements=[
            {
                "id": str(uuid.uuid4()),
                "teacher_id": "t1",
                "home_unit_id": "u1",
                "month": "2026-11",
                "title": "一级教师",
                "lines": [
                    {
                        "title": "一级教师",
                        "rate_cents": 8000,
                        "periods": 12,
                        "amount_cents": 96000,
                        "late": False,
                    }
                ],
                "periods": 12,
                "amount_cents": 96000,
                "adjustment_periods": 0,
                "adjustment_cents": 0,
                "total_cents": 96000,
                "issued_by": str(uuid.uuid4()),
                "issued_at": "2026-11-30T06:05:00+00:00",
            }
        ],
        teacher_names={"t1": "王老师"},
        names={"u1": "成都市青羊区实验学校"},
        unpriced=[],
        available=True,
        month="2026-11",
    )
    row = re.sub(r"<[^>]+>|\s+", " ", html[html.index('data-testid="settlement"') :])
    for shown in (
        "王老师",
        "成都市青羊区实验学校",
        "2026年11月",
        "12 节 × 80.00 元",
        "960.00 元",
        "2026年11月30日 14:05",
    ):
        assert shown in row, shown
    assert "amount_cents" not in html and "teacher_id" not in html


def test_the_week_is_a_table_and_a_list_day_by_day():
    html = render(
        "timetable.html",
        "zh_CN",
        user=None,
        path="/teacher/timetable",
        full_path="/teacher/timetable",
        grid={(2, 3): [{"kind": "shared", "subject": "音乐", "unit_id": "u1"}]},
        available=True,
        names={"u1": "草堂小学"},
        weekdays=range(1, 6),
        periods=range(1, 9),
        on="",
    )
    days = html[html.index('data-testid="timetable-days"') :]
    tuesday = days[days.index("周二") : days.index("周三")]
    assert "第3节" in tuesday and "音乐 · 草堂小学" in tuesday
    assert days.count("当天无课") == 4
    assert 'class="week read" data-testid="timetable"' in html


def test_long_chart_labels_are_shortened_with_the_whole_label_as_a_tooltip():
    svg = str(bars("缺编", [("体育与健康", 5), ("三十天内到期的借用编制及其他说明", 2)]))
    assert "体育与健康</text>" in svg
    assert "三十天内到期的借用编制…<title>三十天内到期的借用编制及其他说明</title></text>" in svg
    # The room left of the bars holds the longest label as drawn, Chinese characters at 1 em.
    left = float(re.search(r'translate\(([\d.]+), [\d.]+\)" class="plot"', svg).group(1))
    assert left >= text_width("三十天内到期的借用编制…", 12)


def test_an_offer_shows_its_periods_day_by_day_too():
    html = render(
        "teacher_offers.html",
        "zh_CN",
        user=None,
        path="/teacher",
        full_path="/teacher",
        csrf="token",
        offers=[
            {
                "id": "o1",
                "request_id": "r1",
                "host_unit_id": "u1",
                "status": "consented",
                "expires_at": "2026-12-01T00:00:00+00:00",
            }
        ],
        requests={
            "r1": {
                "subject": "音乐",
                "stage": "primary",
                "mode": "in_person",
                "term_start": "2027-03-01",
                "term_end": "2027-07-10",
                "slots": [[2, 3], [4, 5]],
            }
        },
        slots={"r1": {(2, 3), (4, 5)}},
        names={"u1": "草堂小学"},
        weekdays=range(1, 6),
        periods=range(1, 9),
    )
    days = html[html.index('data-testid="offer-week-days"') :]
    assert days.count("音乐") == 2 and days.count("当天无课") == 3
    assert html.count('class="picked"') == 2
    assert "2027年3月1日 – 2027年7月10日" in html


def test_settlement_lines_name_the_host_district_mode_and_travel_allowance():
    line = {"title": "一级教师", "rate_cents": 6000, "periods": 4, "late": False}
    html = render(
        "settlements.html",
        "zh_CN",
        user=None,
        path="/sharing/settlements",
        full_path="/sharing/settlements",
        csrf="token",
        role="city_hr",
        settlements=[
            {
                "id": str(uuid.uuid4()),
                "teacher_id": "t1",
                "home_unit_id": "u1",
                "month": "2026-11",
                "title": "一级教师",
                "lines": [
                    {
                        **line,
                        "host_district_id": "d1",
                        "mode": "in_person",
                        "travel_cents": 500,
                        "amount_cents": 26000,
                    },
                    {
                        **line,
                        "host_district_id": "d2",
                        "mode": "online",
                        "travel_cents": 0,
                        "amount_cents": 24000,
                    },
                ],
                "by_host_district": [
                    {"host_district_id": "d1", "periods": 4, "amount_cents": 26000},
                    {"host_district_id": "d2", "periods": 4, "amount_cents": 24000},
                ],
                "periods": 8,
                "amount_cents": 50000,
                "adjustment_periods": 0,
                "adjustment_cents": 0,
                "total_cents": 50000,
                "issued_by": str(uuid.uuid4()),
                "issued_at": "2026-11-30T06:05:00+00:00",
            }
        ],
        teacher_names={"t1": "王老师"},
        names={"u1": "成都市青羊区实验学校", "d1": "青羊区", "d2": "锦江区"},
        unpriced=[],
        available=True,
        month="2026-11",
    )
    row = re.sub(r"<[^>]+>|\s+", " ", html[html.index('data-testid="settlement"') :])
    for shown in ("青羊区 · 一级教师", "交通补贴每节 5.00 元", "260.00 元", "锦江区 240.00 元"):
        assert shown in row, (shown, row)
