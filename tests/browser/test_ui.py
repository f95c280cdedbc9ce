"""The admin UI in real Chromium against the whole running system."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import System, quiet_schools, screenshot

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]


def kpi(page, testid: str) -> int:
    return int(page.get_by_test_id(testid).inner_text().replace(",", ""))


def pool_balance_on_dashboard(page) -> int:
    page.goto("/dashboard")
    table = page.get_by_test_id("pool-balance").inner_text()
    found = re.search(r"^编制\s+([\d,]+)$", table, re.MULTILINE)
    assert found, table
    return int(found.group(1).replace(",", ""))


def test_pool_application_approved_in_part_moves_the_balance_and_the_summary(
    system: System, open_page
):
    donor, school = quiet_schools(system)[:2]
    with system.api("cityhr") as api:
        raised = api.post(
            f"/staffing/v1/units/{donor['id']}/adjustments",
            json={
                "quota_type": "bianzhi",
                "delta": 20,
                "document_no": "成编〔2026〕7号",
                "reason": "核增编制",
            },
        )
        assert raised.status_code == 201, raised.text
        deposited = api.post(
            "/staffing/v1/pools/bianzhi/deposits",
            json={
                "unit_id": donor["id"],
                "count": 10,
                "document_no": "成编〔2026〕8号",
                "reason": "收储空余编制",
            },
        )
        assert deposited.status_code == 201, deposited.text

    hr = open_page("qingyang.hr")
    hr.goto("/pool?tab=apply")
    hr.get_by_label("学校").select_option(school["id"])
    hr.get_by_label("申请编制数").fill("5")
    hr.get_by_label("申请类别").select_option("enrolment_growth")
    hr.get_by_role("textbox", name="理由", exact=True).fill("学位增长，新增班级 6 个")
    screenshot(hr, "pool-apply")
    hr.get_by_role("button", name="提交申请").click()
    assert "申请已提交市委编办" in hr.get_by_test_id("notice").inner_text()

    commission = open_page("commission")
    before = pool_balance_on_dashboard(commission)
    with system.api("commission") as api:
        assert before == api.get("/staffing/v1/pools/bianzhi").json()["balance"] >= 10
    commission.goto(f"/units/{school['id']}")
    approved_before = kpi(commission, "approved")
    borrowed_before = kpi(commission, "borrowed")

    commission.goto("/pool")
    card = (
        commission.get_by_test_id("application")
        .filter(has_text=school["name"])
        .filter(has_text="学位增长，新增班级 6 个")
    )
    assert card.get_by_test_id("attrition").is_visible()
    screenshot(commission, "pool-queue")
    card.get_by_label("批准编制数").fill("3")
    card.get_by_label("审批理由").fill("自然减员不足以覆盖，部分批准")
    card.get_by_role("button", name="批准", exact=True).click()
    assert "审批结果已记录" in commission.get_by_test_id("notice").inner_text()
    assert "部分批准" in commission.locator("main").inner_text()

    assert pool_balance_on_dashboard(commission) == before - 3
    screenshot(commission, "dashboard")
    commission.goto(f"/units/{school['id']}")
    assert kpi(commission, "approved") == approved_before + 3
    assert kpi(commission, "borrowed") == borrowed_before + 3
    screenshot(commission, "unit-summary")


def test_a_refused_form_shows_the_error_beside_the_field_and_keeps_the_input(
    system: System, open_page
):
    school = quiet_schools(system)[2]
    hr = open_page("qingyang.hr")
    hr.goto("/pool?tab=apply")
    hr.get_by_label("学校").select_option(school["id"])
    hr.get_by_label("申请编制数").fill("0")
    hr.get_by_label("申请类别").select_option("new_school")
    hr.get_by_role("textbox", name="理由", exact=True).fill("新建学校")
    # The browser's own check would stop 0 before the server sees it: the server must say it too.
    hr.locator("#requested").evaluate("input => input.removeAttribute('min')")
    hr.get_by_role("button", name="提交申请").click()
    assert hr.locator('[data-field="requested"]').inner_text() == "数值过小。"
    assert hr.get_by_role("textbox", name="理由", exact=True).input_value() == "新建学校"
    assert hr.get_by_label("学校").input_value() == school["id"]


def test_the_language_switch_turns_the_whole_page_into_english_and_back(system: System, open_page):
    page = open_page("cityhr")
    page.goto("/pool")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert "编制周转池" in page.locator("h1").inner_text()
    page.get_by_test_id("lang-en").click()
    page.wait_for_url(re.compile(r"/pool$"))
    assert page.locator("html").get_attribute("lang") == "en"
    text = page.locator("body").inner_text()
    assert "Turnover pool" in text
    # Every word the UI itself writes is English now; Chinese is left only in data and "中文".
    own = page.locator("nav.sidebar, .topbar, h1, th, label, button").all_inner_texts()
    chinese = [t for t in own if re.search(r"[\u4e00-\u9fff]", t) and t not in ("中文",)]
    assert not [t for t in chinese if "人事处" not in t], chinese
    screenshot(page, "pool-english")
    page.get_by_test_id("lang-zh_CN").click()
    page.wait_for_url(re.compile(r"/pool$"))
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert "编制周转池" in page.locator("h1").inner_text()


def test_login_page_and_role_homes(system: System, open_page):
    page = open_page()
    page.goto("/units")
    assert "/login" in page.url
    screenshot(page, "login")
    page.get_by_label("用户名").fill("school.demo")
    page.get_by_label("密码").fill("demo12345")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/units$"))
    assert "您的角色无权访问此页面" in page.locator("main").inner_text()
    page.goto("/")
    assert page.url.endswith("/school")
    screenshot(page, "school-home")
    page.goto("/school/request")
    page.get_by_label("周二第3节").check()
    screenshot(page, "school-request-grid")
    teacher = open_page("teacher.demo")
    assert teacher.url.endswith("/teacher")


#: The roles whose pages the sweep visits: city HR sees every HR page, and the detail pages of
#: each kind; the commission and a district's HR see their own menus, with the forms and
#: figures of their role; a school and a teacher have their own pages.
SWEEP_ROLES = ("cityhr", "commission", "qingyang.hr", "school.demo", "teacher.demo")
#: Only these impacts fail the sweep: axe's "moderate" and "minor" are advice.
BLOCKING = {"serious", "critical"}
PHONE = {"width": 390, "height": 844}
TABLET = {"width": 768, "height": 1024}
DESKTOP = {"width": 1366, "height": 768}
#: axe-core's run over the whole page, its violations only.
AXE_RUN = "() => axe.run(document, {resultTypes: ['violations']}).then((r) => r.violations)"
WIDER = "document.scrollingElement.scrollWidth - window.innerWidth"
#: Controls a finger must hit on a phone, at least 44 × 44 CSS px (WCAG 2.5.5). A checkbox or
#: radio counts by the label around it; a link inside running text is exempt (WCAG 2.5.8).
TAP_TARGETS = """() => [...document.querySelectorAll(
    'button, input:not([type=hidden]):not([type=checkbox]):not([type=radio]), select, textarea,'
    + ' summary, .sidebar a, .topbar a, a.button, .pager a, .week label, fieldset.field label')]
  .filter((e) => e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden')
  .map((e) => [e, e.getBoundingClientRect()])
  .filter(([e, box]) => box.height < 43.5 || box.width < 43.5)
  .map(([e, box]) => `${e.tagName.toLowerCase()}`
    + ` "${(e.innerText || e.name || '').trim().slice(0, 20)}"`
    + ` ${Math.round(box.width)}×${Math.round(box.height)}`)"""


def pages_of(page, role: str) -> list[str]:
    """The pages a role reaches from its menu, with its inbox and a detail page of each kind."""
    paths = [a.get_attribute("href") for a in page.locator("nav.sidebar a").all()]
    paths.append("/inbox")
    if role == "cityhr":
        for listing, link in (
            ("/units", "main a[href^='/units/']"),
            ("/sharing", "main a[href^='/sharing/requests/']"),
            ("/talent", "main a[href^='/talent/postings/']"),
        ):
            page.goto(listing)
            found = page.locator(link).first
            if found.count():
                paths.append(found.get_attribute("href"))
        paths += [
            "/sharing/settlements",
            "/sharing/teachers",
            "/sharing/evaluations/form",
            "/standards",
            "/standards/retirement",
            "/pool?tab=loans",
        ]
    return list(dict.fromkeys(paths))


def test_every_page_is_accessible_in_both_languages_at_desktop_and_phone_width(
    system: System, open_page
):
    """axe-core on every page of each role, in Chinese and English, at 1366 and 390 px: no
    serious or critical violation. On a phone the teacher's and school's pages also fit the
    screen and every control is big enough to tap; HR's pages fit a 768 px tablet. One visit and
    one axe run per page, language and width; every finding is listed in one failure."""
    from axe_playwright_python.sync_playwright import Axe

    # axe-core is loaded by the browser into every page the context opens, instead of being sent
    # over the wire and compiled again at each visit (as Axe.run does).
    axe_source = Axe().axe_script
    problems: list[str] = []
    visits = 0
    for role in SWEEP_ROLES:
        page = open_page(role)
        page.context.add_init_script(script=axe_source)
        paths = pages_of(page, role)
        phone_role = role in ("school.demo", "teacher.demo")
        for lang in ("zh_CN", "en"):
            page.context.add_cookies([{"name": "tp_lang", "value": lang, "url": system.url}])
            for viewport in (DESKTOP, PHONE):
                page.set_viewport_size(viewport)
                for path in paths:
                    page.goto(path)
                    visits += 1
                    where = f"{role} {lang} {viewport['width']}px {path}"
                    problems += [
                        f"{where}: {v['id']} ({v['impact']}) {v['help']} at "
                        f"{[', '.join(n['target']) for n in v['nodes'][:3]]}"
                        for v in page.evaluate(AXE_RUN)
                        if v["impact"] in BLOCKING
                    ]
                    if viewport is PHONE and phone_role:
                        wide = page.evaluate(WIDER)
                        if wide > 0:
                            problems.append(f"{where}: {wide}px wider than the screen")
                        small = page.evaluate(TAP_TARGETS)
                        if small:
                            problems.append(f"{where}: too small to tap: {small[:5]}")
                    if viewport is DESKTOP and not phone_role and lang == "zh_CN":
                        page.set_viewport_size(TABLET)
                        wide = page.evaluate(WIDER)
                        if wide > 0:
                            problems.append(f"{where}: {wide}px wider than a 768px screen")
                        page.set_viewport_size(DESKTOP)
        page.context.add_cookies([{"name": "tp_lang", "value": "zh_CN", "url": system.url}])
    assert not problems, "\n".join(problems)
    assert visits >= 4 * 20, visits
