"""Notifications live, spreadsheet imports, sharing end to end, talent and admin pages, in
real Chromium against the whole running system (shared by every browser module)."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from openpyxl import Workbook

from teacherpool.demo import DEMO_SCHOOL_NAME
from tests.browser.conftest import System, screenshot, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]
#: Users made by the tests need a password of 10 or more characters.
TEST_PASSWORD = "browser-test-2026"


def district(system: System, name: str) -> dict:
    with system.api("cityhr") as api:
        found = api.get("/staffing/v1/units", params={"kind": "district", "limit": 100})
    return next(d for d in found.json()["data"] if d["name"] == name)


def schools_of(system: System, district_id: str) -> list[dict]:
    with system.api("cityhr") as api:
        found = api.get(
            "/staffing/v1/units",
            params={"kind": "school", "district_id": district_id, "limit": 100},
        )
    return found.json()["data"]


def unread(page) -> int:
    return int(page.get_by_test_id("unread-count").inner_text() or 0)


def log_in_as(page, username: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/login" not in url)


def on_phone(page) -> None:
    """The page at a phone's size (390 × 844), which must fit it without scrolling sideways."""
    page.set_viewport_size({"width": 390, "height": 844})
    wide = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    assert wide <= 0, f"{page.url} is {wide}px wider than a phone"


def workbook(rows: Sequence[Sequence[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "单位"
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def apply_to_pool(system: System, school: dict) -> str:
    with system.api("qingyang.hr") as api:
        sent = api.post(
            "/staffing/v1/pool-applications",
            json={
                "unit_id": school["id"],
                "quota_type": "bianzhi",
                "requested": 2,
                "reason_kind": "enrolment_growth",
                "reason": "学位增长，新增班级 2 个",
                "term_years": 3,
            },
        )
    assert sent.status_code == 201, sent.text
    return sent.json()["id"]


class TestNotifications:
    def test_a_new_notification_arrives_live_and_the_badge_counts_it(
        self, system: System, open_page
    ):
        schools = schools_of(system, district(system, "青羊区")["id"])
        # The gateway first works through the seeded city's backlog of events: a first
        # application, once notified, says it has caught up.
        first = apply_to_pool(system, schools[4])
        with system.api("commission") as api:

            def notified() -> bool:
                newest = api.get("/notifications/v1", params={"limit": 20}).json()["data"]
                return any(n["link"].endswith(first) for n in newest)

            wait_until(notified, timeout=180, what="the gateway never caught up")
        commission = open_page("commission")
        commission.goto("/dashboard")
        before = unread(commission)
        school = schools[5]
        apply_to_pool(system, school)
        badge = commission.get_by_test_id("unread-count")
        commission.wait_for_function(
            "n => Number(document.querySelector('[data-unread]').textContent) === n",
            arg=before + 1,
            timeout=15_000,
        )
        shown_at = datetime.now(UTC)
        assert badge.inner_text() == str(before + 1)
        toast = commission.get_by_test_id("toasts")
        assert "新的周转池用编申请" in toast.inner_text()
        with system.api("commission") as api:
            newest = api.get("/notifications/v1", params={"limit": 1}).json()["data"][0]
        made_at = datetime.fromisoformat(newest["created_at"])
        assert (shown_at - made_at).total_seconds() < 1.0, (made_at, shown_at)
        screenshot(commission, "notification-live")

        commission.get_by_test_id("inbox-link").click()
        item = commission.get_by_test_id("notification").first
        assert "新的周转池用编申请" in item.inner_text()
        screenshot(commission, "inbox")
        item.get_by_role("button", name="标为已读").click()
        assert "已标为已读" in commission.get_by_test_id("notice").inner_text()
        assert unread(commission) == before
        commission.get_by_test_id("read-all").click()
        assert unread(commission) == 0
        commission.get_by_test_id("notification").first.get_by_role(
            "button", name="新的周转池用编申请"
        ).click()
        commission.wait_for_url(re.compile(r"/pool/applications/"))
        assert school["name"] in commission.locator("h1").inner_text()

    def test_the_email_preference_needs_an_address_before_mail_is_on(
        self, system: System, open_page
    ):
        page = open_page("qingyang.hr")
        page.goto("/inbox/preferences")
        page.get_by_label("通过邮件向我发送通知").check()
        page.get_by_role("button", name="保存").click()
        assert (
            page.locator('[data-field="email"]').inner_text() == "开启邮件提醒前请先填写邮箱地址。"
        )
        page.get_by_label("邮箱地址").fill("hr@qingyang.example.cn")
        page.get_by_role("button", name="保存").click()
        assert "已保存" in page.get_by_test_id("notice").inner_text()
        assert page.get_by_label("通过邮件向我发送通知").is_checked()
        screenshot(page, "inbox-preferences")


class TestImports:
    def test_a_bad_row_shows_its_error_and_imports_nothing_then_a_good_file_imports(
        self, system: System, open_page
    ):
        header = ["code", "name", "kind", "district_code", "stages", "lat", "lon", "bianzhi"]
        good = ["T-IMP-001", "导入测试学校", "school", "510105", "primary", 30.67, 104.06, 40]
        bad = ["T-IMP-002", "导入测试学校二", "school", "999999", "primary", 30.66, 104.05, 30]
        page = open_page("cityhr")
        page.goto("/imports")
        page.get_by_label("表格内容").select_option("units")
        page.get_by_label("文号").fill("成编〔2026〕21号")
        page.get_by_label("工作簿（xlsx）").set_input_files(
            files=[
                {
                    "name": "units.xlsx",
                    "mimeType": "application/octet-stream",
                    "buffer": workbook([header, good, bad]),
                }
            ]
        )
        page.get_by_role("button", name="上传并导入").click()
        problem = page.get_by_test_id("problem")
        assert problem.count() == 1
        assert re.split(r"\s+", problem.inner_text().strip())[:3] == ["单位", "3", "district_code"]
        assert "999999" in problem.inner_text()
        assert "未导入任何数据" in page.get_by_test_id("form-error").inner_text()
        screenshot(page, "import-bad-row")
        with system.api("cityhr") as api:
            codes = {
                u["code"]
                for u in api.get(
                    "/staffing/v1/units", params={"kind": "school", "limit": 500}
                ).json()["data"]
            }
        assert "T-IMP-001" not in codes

        page.get_by_label("工作簿（xlsx）").set_input_files(
            files=[
                {
                    "name": "units.xlsx",
                    "mimeType": "application/octet-stream",
                    "buffer": workbook([header, good, [*bad[:3], "510105", *bad[4:]]]),
                }
            ]
        )
        page.get_by_role("button", name="上传并导入").click()
        report = page.get_by_test_id("import-report").inner_text()
        assert "导入 2 行" in report and "新增 2" in report
        screenshot(page, "import-done")

    def test_the_upload_shows_a_processing_state_while_it_runs(self, system: System, open_page):
        page = open_page("cityhr")
        page.goto("/imports")
        # What the page showed while the upload ran is kept across the navigation that ends it.
        page.evaluate(
            """() => window.addEventListener("submit", () => setTimeout(() => {
                const busy = document.querySelector("[data-testid=import-busy]");
                const button = document.querySelector("[data-testid=import-form] .primary");
                sessionStorage.setItem("busy", String(!busy.hidden && button.disabled));
                sessionStorage.setItem("text", busy.innerText);
            }, 0))"""
        )
        page.get_by_label("工作簿（xlsx）").set_input_files(
            files=[{"name": "x.xlsx", "mimeType": "application/octet-stream", "buffer": b"PK"}]
        )
        assert not page.get_by_test_id("import-busy").is_visible()
        page.get_by_role("button", name="上传并导入").click()
        page.locator('[data-field="file"]').wait_for()
        assert page.evaluate("sessionStorage.getItem('busy')") == "true"
        assert "正在处理" in page.evaluate("sessionStorage.getItem('text')")
        assert not page.get_by_test_id("import-busy").is_visible()
        assert "xlsx" in page.locator('[data-field="file"]').inner_text()


class TestSharing:
    def test_a_music_teacher_is_requested_offered_consented_accepted_and_timetabled(
        self, system: System, open_page
    ):
        school = open_page("school.demo")
        school.goto("/school/request")
        school.get_by_label("学科").select_option("音乐")
        school.get_by_label("学段").select_option("primary")
        school.get_by_label("学期开始").fill("2027-03-01")
        school.get_by_label("学期结束").fill("2027-07-10")
        for slot in ("周二第3节", "周四第5节"):
            school.get_by_label(slot).check()
        school.get_by_role("textbox", name="理由", exact=True).fill("本校缺音乐专任教师")
        screenshot(school, "sharing-request-grid")
        school.get_by_role("button", name="提交需求").click()
        assert "需求已提交" in school.get_by_test_id("notice").inner_text()
        with system.api("school.demo") as api:
            mine = api.get("/sharing/v1/requests", params={"limit": 200}).json()["data"]
        request = next(r for r in reversed(mine) if r["subject"] == "音乐")

        hr = open_page("qingyang.hr")
        hr.goto(f"/sharing/requests/{request['id']}")
        if request["status"] == "pending_approval":
            hr.get_by_role("button", name="批准该申请").click()
            assert "审批通过" in hr.get_by_test_id("notice").inner_text()
        candidates = hr.get_by_test_id("candidates")
        top = candidates.locator("tbody tr").first
        top_name = top.locator("td").nth(1).inner_text()
        # The ranking reasons read in the page's language, worded from the service's codes.
        reasons = top.locator("ul.reasons").inner_text()
        assert "教师资格" in reasons and "certified" not in reasons, reasons
        screenshot(hr, "sharing-candidates")
        top.get_by_role("button", name="发出邀请").click()
        assert "邀请已发出" in hr.get_by_test_id("notice").inner_text()
        with system.api("qingyang.hr") as api:
            offer = api.get(f"/sharing/v1/requests/{request['id']}/offers").json()["data"][0]
        with system.api("cityhr") as api:
            teacher = api.get(f"/sharing/v1/teachers/{offer['teacher_id']}").json()
            assert teacher["name"] == top_name
            home = api.get(f"/staffing/v1/units/{offer['home_unit_id']}").json()
            for body in (
                {
                    "username": "home.admin",
                    "display_name": f"{home['name']}管理员",
                    "role": "school_admin",
                    "unit_id": home["id"],
                    "district_id": home["district_id"],
                },
                {
                    "username": "shared.teacher",
                    "display_name": teacher["name"],
                    "role": "teacher",
                    "unit_id": home["id"],
                    "district_id": home["district_id"],
                    "teacher_id": teacher["id"],
                },
            ):
                made = api.post("/auth/v1/users", json={**body, "password": TEST_PASSWORD})
                assert made.status_code == 201, made.text

        home_admin = open_page()
        log_in_as(home_admin, "home.admin", TEST_PASSWORD)
        home_admin.goto("/school/offers")
        row = home_admin.get_by_test_id("offers").locator("tbody tr").filter(has_text=top_name)
        screenshot(home_admin, "school-offers")
        # The home school answers from a phone.
        on_phone(home_admin)
        screenshot(home_admin, "phone-school-offers")
        row.get_by_role("button", name="同意派出").click()
        assert "已同意派出" in home_admin.get_by_test_id("notice").inner_text()

        shared = open_page()
        log_in_as(shared, "shared.teacher", TEST_PASSWORD)
        assert unread(shared) >= 1
        # The teacher may already teach elsewhere: the offer to answer is the one with the buttons.
        card = (
            shared.get_by_test_id("offer")
            .filter(has=shared.get_by_role("button", name="接受"))
            .first
        )
        # The card names the school that asked, which the teacher cannot look up anywhere else.
        assert DEMO_SCHOOL_NAME in card.locator("h2").inner_text()
        screenshot(shared, "teacher-offers")
        # The teacher opens the offer from a link on their phone and accepts it there.
        on_phone(shared)
        from playwright.sync_api import expect

        expect(card.get_by_test_id("offer-week-days")).to_be_visible()
        expect(card.get_by_test_id("offer-week")).to_be_hidden()
        screenshot(shared, "phone-teacher-offers")
        card.get_by_role("button", name="接受").click()
        assert "已接受邀请" in shared.get_by_test_id("notice").inner_text()
        menu = shared.get_by_test_id("menu-button")
        timetable_link = shared.get_by_role("link", name="我的课表")
        assert menu.is_visible() and not timetable_link.is_visible()
        menu.click()
        screenshot(shared, "phone-menu")
        timetable_link.click()
        shared.wait_for_url(re.compile(r"/teacher/timetable$"))
        shared.goto("/teacher/timetable?on=2027-03-02")
        on_phone(shared)
        days = shared.get_by_test_id("timetable-days")
        assert not shared.get_by_test_id("timetable").is_visible()
        assert "音乐" in days.locator(":scope > li").nth(1).inner_text()  # 周二
        assert "音乐" in days.locator(":scope > li").nth(3).inner_text()  # 周四
        screenshot(shared, "phone-teacher-timetable")
        shared.set_viewport_size({"width": 1366, "height": 768})

        shared.goto("/teacher/timetable?on=2027-03-02")
        week = shared.get_by_test_id("timetable")
        for day, period in ((2, 3), (4, 5)):
            cell = week.locator("tbody tr").nth(period - 1).locator("td").nth(day - 1)
            assert "音乐" in cell.inner_text(), cell.inner_text()
        screenshot(shared, "teacher-timetable")
        school.goto("/school/timetable?on=2027-03-02")
        week = school.get_by_test_id("timetable")
        for day, period in ((2, 3), (4, 5)):
            cell = week.locator("tbody tr").nth(period - 1).locator("td").nth(day - 1)
            assert "音乐" in cell.inner_text(), cell.inner_text()
        screenshot(school, "school-timetable")
        for path, name in (("/school/request", "request"), ("/school/lessons", "lessons")):
            school.goto(path)
            on_phone(school)
            screenshot(school, f"phone-school-{name}")


class TestTalent:
    def test_postings_board_candidates_and_partner_keys(self, system: System, open_page):
        page = open_page("cityhr")
        page.goto("/talent")
        assert page.get_by_test_id("posting").count() == 12
        reservations = page.get_by_test_id("reservation").all_inner_texts()
        assert "进行中" in reservations and "受阻" in reservations, reservations
        screenshot(page, "talent-postings")

        page.get_by_test_id("posting").filter(has_text="进行中").first.get_by_role("link").click()
        applied = page.get_by_test_id("column-applied")
        before = applied.get_by_test_id("tile").count()
        assert before > 0
        tile = applied.get_by_test_id("tile").first
        # Legal moves only: the next step, or out.
        moves = tile.get_by_role("button").all_inner_texts()
        assert len(moves) == 3 and moves[0] == "资格审查", moves
        tile.get_by_role("button").first.click()
        assert page.get_by_test_id("notice").is_visible()
        assert page.get_by_test_id("column-applied").get_by_test_id("tile").count() == before - 1
        screenshot(page, "talent-board")

        page.goto("/talent/candidates")
        first = page.get_by_test_id("candidates").locator("tbody tr").first
        assert "*" in first.locator("td").nth(1).inner_text()
        screenshot(page, "talent-candidates")
        first.get_by_role("link").click()
        assert "*" in page.get_by_test_id("id-number").inner_text()
        page.get_by_label("查看目的").fill("电话通知参加面试")
        page.get_by_role("button", name="查看完整信息").click()
        assert page.get_by_test_id("whole").is_visible()
        assert "*" not in page.get_by_test_id("id-number").inner_text()

        page.goto("/talent/partners")
        page.get_by_label("名称").fill("蓉漂人才荟招聘网站")
        page.get_by_label("postings:read").check()
        page.get_by_label("applications:write").check()
        page.get_by_role("button", name="登记", exact=True).click()
        partner = page.get_by_test_id("partner").filter(has_text="蓉漂人才荟招聘网站")
        partner.get_by_role("button", name="为 蓉漂人才荟招聘网站 签发新密钥").click()
        key = page.get_by_test_id("api-key").inner_text().strip()
        assert len(key) > 20
        screenshot(page, "talent-partner-key")
        page.goto("/talent/partners")
        assert key not in page.content()
        assert (
            page.get_by_test_id("partner")
            .filter(has_text="蓉漂人才荟招聘网站")
            .locator("code")
            .filter(has_text=key[:6])
            .count()
            >= 1
        )

        page.goto("/talent/webhooks")
        screenshot(page, "talent-webhooks")

    def test_a_blocked_posting_shows_what_would_unblock_it_and_can_be_reopened(
        self, system: System, open_page
    ):
        page = open_page("qingyang.hr")
        page.goto("/talent?status=blocked")
        page.get_by_test_id("posting").first.get_by_role("link").click()
        # The seeded pending pool application of the posting's school is the way out.
        assert page.get_by_test_id("unblocking-application").count() >= 1
        screenshot(page, "talent-blocked-posting")
        page.get_by_test_id("reopen").get_by_role("button").click()
        assert page.get_by_test_id("notice").is_visible()
        # Staffing still has no vacant post: asked again, blocked again, with the reason.
        deadline = time.monotonic() + 20
        while "受阻" not in page.get_by_test_id("reservation").inner_text():
            assert time.monotonic() < deadline, "staffing answered the reopened posting"
            page.wait_for_timeout(250)
            page.reload()


class TestAdministration:
    def test_users_are_created_disabled_and_audit_history_is_linked(
        self, system: System, open_page
    ):
        qingyang = district(system, "青羊区")
        page = open_page("cityhr")
        page.goto("/users")
        form = page.get_by_test_id("new-user")
        form.get_by_label("用户名").fill("jinjiang.hr2")
        form.get_by_label("显示名称").fill("区县人事测试")
        form.get_by_label("初始密码").fill("short")
        form.get_by_label("角色").select_option("district_hr")
        form.get_by_label("初始密码").evaluate("input => input.removeAttribute('minlength')")
        form.get_by_role("button", name="创建用户").click()
        assert page.locator('[data-field="password"]').is_visible()
        assert (
            page.get_by_test_id("new-user").get_by_label("用户名").input_value() == "jinjiang.hr2"
        )
        form = page.get_by_test_id("new-user")
        form.get_by_label("初始密码").fill(TEST_PASSWORD)
        form.get_by_label("区（市）县（区县人事、学校人员）").select_option(qingyang["id"])
        form.get_by_role("button", name="创建用户").click()
        assert "用户已创建" in page.get_by_test_id("notice").inner_text()
        row = page.locator('[data-username="jinjiang.hr2"]')
        row.get_by_role("button", name="停用 jinjiang.hr2").click()
        assert "已停用" in page.locator('[data-username="jinjiang.hr2"]').inner_text()
        screenshot(page, "users")

        school = schools_of(system, qingyang["id"])[0]
        page.goto(f"/units/{school['id']}")
        page.get_by_test_id("audit-link").click()
        page.wait_for_url(re.compile(rf"/audit/unit/{school['id']}$"))
        assert page.get_by_test_id("history-item").count() >= 1
        screenshot(page, "audit-history")
        page.goto("/audit")
        assert page.get_by_test_id("audit-entries").locator("tbody tr").count() >= 1
        screenshot(page, "audit")

    def test_a_batch_proposal_is_reviewed_and_turned_into_offers(self, system: System, open_page):
        with system.api("qingyang.hr") as api:
            open_requests = api.get(
                "/sharing/v1/requests", params={"status": "open", "limit": 200}
            ).json()["data"]
        term = open_requests[0]
        page = open_page("qingyang.hr")
        page.goto("/sharing/batches")
        page.get_by_label("学期开始").fill(term["term_start"])
        page.get_by_label("学期结束").fill(term["term_end"])
        page.get_by_role("button", name="生成方案").click()
        page.wait_for_url(re.compile(r"/sharing/batches/[0-9a-f-]+"), timeout=60_000)
        proposals = page.get_by_test_id("proposals").locator("tbody tr")
        count = proposals.count()
        screenshot(page, "sharing-batch-review")
        page.get_by_test_id("batch-offers").click()
        result = page.get_by_test_id("batch-result").inner_text()
        assert "已发出" in result
        assert count >= 1
