"""District pools, the due-to-retire list and a school's life, in real Chromium against the
whole running system (shared by every browser module)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import (
    TEST_PASSWORD,
    System,
    district,
    log_in,
    make_user,
    quiet_schools,
    schools_of,
)

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]


def test_the_due_to_retire_tab_lists_people_with_their_rule(system: System, open_page):
    school = schools_of(system, district(system, "青羊区")["id"])[0]
    page = open_page("qingyang.hr")
    page.goto(f"/units/{school['id']}?tab=retirements&months=120")
    table = page.get_by_test_id("retirements")
    assert "法定退休年龄" in page.content()
    if table.locator("tbody tr td").count() > 1:
        assert "附件" in table.inner_text() or "国发" in table.inner_text()
    assert page.get_by_test_id("retirement-count").is_visible()


def test_district_hr_opens_its_pool_and_sees_only_its_own(system: System, open_page):
    # A district no other browser test uses: once it pools, its schools' applications go to it.
    make_user(system, "jinjiang.pool.hr", "district_hr", district(system, "锦江区"))
    page = open_page()
    log_in(page, "jinjiang.pool.hr", TEST_PASSWORD)
    page.goto("/pool")
    page.get_by_role("button", name="开设本区周转池").click()
    page.wait_for_url("**/pool?tab=queue&done=opened")
    rows = page.get_by_test_id("district-pool")
    assert rows.count() == 1
    assert "锦江区" in rows.first.inner_text()
    city = open_page("cityhr")
    city.goto("/pool")
    assert city.get_by_test_id("district-pools").is_visible()


def test_a_school_is_opened_and_merged_through_the_ui(system: System, open_page):
    qingyang = district(system, "青羊区")
    page = open_page("cityhr")
    page.goto("/schools/new")
    form = page.get_by_test_id("open-school")
    form.get_by_label("代码").fill("QY-NEW-1")
    form.get_by_label("名称").fill("青羊区新建实验小学")
    form.get_by_label("区(市)县").select_option(qingyang["id"])
    form.get_by_label("小学").check()
    form.get_by_label("纬度").fill("30.67")
    form.get_by_label("经度").fill("104.05")
    form.get_by_label("文号").fill("青教〔2026〕31号")
    form.get_by_label("理由").fill("新建小区配套学校")
    page.locator("#posts-bianzhi").fill("12")
    page.locator("#source-bianzhi").select_option("adjustment")
    page.get_by_role("button", name="开办学校").click()
    page.wait_for_url("**tab=lifecycle**")
    assert "青教〔2026〕31号" in page.get_by_test_id("acts").inner_text()
    # The survivor gains the posts: one holding no posting, so every posting meets what it did.
    survivor = quiet_schools(system)[-1]
    page.locator("#merge-into").select_option(survivor["id"])
    page.locator("#merge-doc").fill("青教〔2026〕32号")
    page.locator("#merge-reason").fill("撤并")
    page.get_by_role("button", name="合并", exact=True).click()
    page.wait_for_url("**done=school_merged**")
    assert page.get_by_test_id("unit-status").inner_text().startswith("已合并")


def test_the_dashboard_shows_both_warnings_by_year_and_a_school_its_places(
    system: System, open_page
):
    page = open_page("cityhr")
    page.goto("/dashboard")
    card = page.get_by_test_id("warnings-by-year")
    assert "学位预警" in card.inner_text() and "编制预警" in card.inner_text()
    first = page.get_by_test_id("place-warnings").locator("a").first
    first.click()
    page.wait_for_url("**tab=places**")
    assert page.get_by_test_id("place-warning").is_visible()
    assert page.get_by_test_id("places").is_visible()
