"""The UI's forms for the actions the API offers: each shown to the roles the policy table lets
submit it and hidden from the others; a submission does what the API does; a refused one shows
why beside the form, in Chinese, and changes nothing.

The services and the gateway run on real ports in this process (no NATS), on one small city.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from markupsafe import escape

from common.clock import local_today
from common.db import Database, utcnow
from services.staffing.models import Unit as StaffingUnit
from services.staffing.units.service import add_unit
from services.talent.models import Unit as TalentUnit
from services.talent.models import WebhookDelivery, WebhookEndpoint
from services.talent.pii import load_cipher
from services.talent.settings import TalentSettings
from tests.gateway.platform import NO_NATS, serve
from tests.gateway.support import PASSWORD, add_user
from tests.sharing.support import (
    DISTRICT,
    OTHER_DISTRICT,
    SCHOOLS,
    add_request,
    add_teacher,
    school_id,
    seed_city,
)
from tests.support import Databases, Identity, service_settings
from tests.talent.support import ALL_SCOPES, person

#: The accounts of the city, by role.
USERS = {
    "ui.city": ("city_hr", {}),
    "ui.commission": ("staffing_commission", {}),
    "ui.district": ("district_hr", {"district_id": DISTRICT}),
    "ui.auditor": ("auditor", {}),
    "ui.school1": ("school_admin", {"unit_id": school_id(1)}),
    "ui.school2": ("school_admin", {"unit_id": school_id(2)}),
}


@dataclass
class Desk:
    """Where the gateway answers, its databases, and the seeded teacher."""

    url: str
    sharing: str
    talent: str
    teacher_id: uuid.UUID

    def browser(self, username: str) -> UiUser:
        return UiUser(self, username)


class UiUser:
    """A browser session of one user: cookies, the form token, and the pages it gets."""

    def __init__(self, desk: Desk, username: str) -> None:
        self.desk = desk
        self.http = httpx.Client(base_url=desk.url, timeout=60, follow_redirects=False)
        form = self.http.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token is not None
        answer = self.http.post(
            "/login",
            data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)},
        )
        assert answer.status_code == 303, answer.text
        self.csrf = self.http.get("/ui/me").json()["csrf_token"]

    def get(self, path: str) -> httpx.Response:
        return self.http.get(path)

    def post(self, path: str, **data: Any) -> httpx.Response:
        return self.http.post(path, data={"csrf_token": self.csrf, **data})

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The same user through the API (the session cookie and its CSRF header)."""
        return self.http.request(
            method, f"/api/{path}", headers={"x-csrf-token": self.csrf}, **kwargs
        )

    def close(self) -> None:
        self.http.close()


async def seed(urls: dict[str, str]) -> uuid.UUID:
    """One city in every service's database, a teacher at school 2, and the accounts."""
    now = utcnow()
    sharing = Database(urls["sharing"])
    try:
        await seed_city(sharing)
        teacher_id = await add_teacher(sharing, 2, subject="音乐", stage="primary")
    finally:
        await sharing.dispose()
    staffing = Database(urls["staffing"])
    talent = Database(urls["talent"])
    try:
        async with staffing.session() as session:
            for district, code in ((DISTRICT, "D1"), (OTHER_DISTRICT, "D2")):
                await add_unit(
                    session,
                    StaffingUnit(id=district, kind="district", code=code, name=code, stages=[]),
                )
            for n in SCHOOLS:
                await add_unit(
                    session,
                    StaffingUnit(
                        id=school_id(n),
                        kind="school",
                        code=f"S{n}",
                        name=f"学校{n}",
                        district_id=OTHER_DISTRICT if n == 9 else DISTRICT,
                        stages=["primary", "junior"],
                    ),
                )
        async with talent.session() as session:
            for district, code in ((DISTRICT, "D1"), (OTHER_DISTRICT, "D2")):
                session.add(
                    TalentUnit(
                        id=district, kind="district", code=code, name=code, stages=[], as_of=now
                    )
                )
            for n in SCHOOLS:
                session.add(
                    TalentUnit(
                        id=school_id(n),
                        kind="school",
                        code=f"S{n}",
                        name=f"学校{n}",
                        district_id=OTHER_DISTRICT if n == 9 else DISTRICT,
                        stages=["primary", "junior"],
                        as_of=now,
                    )
                )
    finally:
        await staffing.dispose()
        await talent.dispose()
    for username, (role, scope) in USERS.items():
        await add_user(urls["gateway"], username, role, **scope)
    await add_user(
        urls["gateway"], "ui.teacher", "teacher", unit_id=school_id(2), teacher_id=teacher_id
    )
    return teacher_id


@pytest.fixture(scope="module")
def desk(databases: Databases, identity: Identity) -> Iterator[Desk]:
    urls = {
        name: asyncio.run(databases.create(name, "sqlite"))
        for name in ("staffing", "sharing", "talent", "gateway")
    }
    teacher_id = asyncio.run(seed(urls))
    servers = serve(identity, urls, rate_limit_login_per_minute=1000)
    try:
        yield Desk(servers[-1].url, urls["sharing"], urls["talent"], teacher_id)
    finally:
        for server in servers:
            server.stop()


@pytest.fixture(scope="module")
def users(desk: Desk) -> Iterator[dict[str, UiUser]]:
    made = {name: desk.browser(name) for name in [*USERS, "ui.teacher"]}
    yield made
    for user in made.values():
        user.close()


def field_error(html: str, name: str) -> str:
    found = re.search(rf'data-field="{name}">([^<]*)<', html)
    assert found, f"no error beside {name}"
    return found.group(1)


def new_request(desk: Desk, school: int = 1, slots: list[tuple[int, int]] | None = None) -> str:
    async def make() -> uuid.UUID:
        db = Database(desk.sharing)
        try:
            return await add_request(db, school, slots or [(3, 5)])
        finally:
            await db.dispose()

    return str(asyncio.run(make()))


class TestPoolDeposits:
    def test_district_hr_is_offered_only_its_own_districts_pool(self, users):
        page = users["ui.district"].get("/pool?tab=deposits")
        assert page.status_code == 200
        # No district pool is open yet: district HR has nowhere to deposit, and is told why.
        assert 'data-testid="no-deposit"' in page.text
        assert 'action="/pool/deposits"' not in page.text

    def test_city_roles_see_the_form_and_the_auditor_does_not(self, users):
        city = users["ui.city"].get(f"/pool?tab=deposits&district_id={DISTRICT}")
        assert 'action="/pool/deposits"' in city.text
        audit = users["ui.auditor"].get(f"/pool?tab=deposits&district_id={DISTRICT}")
        assert 'action="/pool/deposits"' not in audit.text
        assert 'action="/pool/district-pools"' not in audit.text

    def test_district_hr_depositing_into_the_city_pool_is_refused_before_the_api(self, users):
        refused = users["ui.district"].post(
            "/pool/deposits",
            target="city",
            unit_id=str(school_id(1)),
            count="1",
            document_no="成编〔2026〕1号",
            reason="空编",
        )
        assert refused.status_code == 403


class TestCancelRequest:
    def test_the_school_cancels_its_own_request_with_a_reason(self, desk, users):
        request_id = new_request(desk, 1)
        school = users["ui.school1"]
        page = school.get("/school/request")
        assert f'action="/school/requests/{request_id}/cancel"' in page.text
        empty = school.post(f"/school/requests/{request_id}/cancel", reason="")
        assert empty.status_code == 422
        assert field_error(empty.text, "reason") == "此项为必填。"
        assert school.api("GET", f"sharing/v1/requests/{request_id}").json()["status"] == "open"
        done = school.post(f"/school/requests/{request_id}/cancel", reason="已自行解决")
        assert done.status_code == 303 and done.headers["location"].endswith("done=cancelled")
        found = school.api("GET", f"sharing/v1/requests/{request_id}").json()
        assert found["status"] == "cancelled"

    def test_hr_cancels_from_the_request_page_and_the_auditor_only_reads(self, desk, users):
        request_id = new_request(desk, 1)
        assert (
            'data-testid="cancel-request"'
            in users["ui.district"].get(f"/sharing/requests/{request_id}").text
        )
        audit = users["ui.auditor"].get(f"/sharing/requests/{request_id}")
        assert audit.status_code == 200
        assert 'data-testid="cancel-request"' not in audit.text
        assert 'action="/sharing/requests/' + request_id + '/offers"' not in audit.text
        refused = users["ui.auditor"].post(f"/sharing/requests/{request_id}/cancel", reason="x")
        assert refused.status_code == 403
        done = users["ui.district"].post(f"/sharing/requests/{request_id}/cancel", reason="撤销")
        assert done.status_code == 303
        again = users["ui.district"].post(f"/sharing/requests/{request_id}/cancel", reason="撤销")
        assert again.status_code == 409
        assert 'data-testid="form-error"' in again.text, again.text[-3000:]
        assert "当前状态" in again.text

    def test_a_teacher_has_no_cancel_form(self, users):
        assert users["ui.teacher"].get("/school/request").status_code == 403


class TestEndAssignment:
    def test_hr_ends_an_assignment_and_the_request_opens_again(self, desk, users):
        request_id = new_request(desk, 1, [(4, 6)])
        city, school2, teacher = users["ui.city"], users["ui.school2"], users["ui.teacher"]
        offer = city.api(
            "POST",
            f"sharing/v1/requests/{request_id}/offers",
            json={"teacher_id": str(desk.teacher_id)},
        )
        assert offer.status_code == 201, offer.text
        offer_id = offer.json()["id"]
        consent = school2.api(
            "POST", f"sharing/v1/offers/{offer_id}/consent", json={"consent": True}
        )
        assert consent.status_code == 200, consent.text
        accepted = teacher.api("POST", f"sharing/v1/offers/{offer_id}/accept")
        assert accepted.status_code == 200, accepted.text
        assignment_id = accepted.json()["assignment_id"]

        page = city.get(f"/sharing/requests/{request_id}")
        assert 'data-testid="end-assignment"' in page.text
        audit = users["ui.auditor"].get(f"/sharing/requests/{request_id}")
        assert 'data-testid="assignments"' in audit.text
        assert 'data-testid="end-assignment"' not in audit.text

        too_early = (local_today() - timedelta(days=60)).isoformat()
        refused = city.post(
            f"/sharing/assignments/{assignment_id}/end", reason="调离", last_day=too_early
        )
        assert refused.status_code == 422
        assert field_error(refused.text, "last_day") == "不能结束在一个多月之前"
        still = city.api("GET", f"sharing/v1/assignments/{assignment_id}").json()
        assert still["status"] == "active"

        ended = city.post(f"/sharing/assignments/{assignment_id}/end", reason="调离")
        assert ended.status_code == 303 and ended.headers["location"].endswith("done=ended")
        assert city.api("GET", f"sharing/v1/assignments/{assignment_id}").json()["status"] == (
            "ended"
        )
        assert city.api("GET", f"sharing/v1/requests/{request_id}").json()["status"] == "open"


class TestSettlements:
    def test_personnel_hr_issues_a_finished_month_and_a_running_one_is_refused(self, users):
        city = users["ui.city"]
        assert 'data-testid="issue-settlements"' in city.get("/sharing/settlements").text
        for other in ("ui.auditor", "ui.commission", "ui.teacher"):
            page = users[other].get("/sharing/settlements")
            assert 'data-testid="issue-settlements"' not in page.text, other
        this_month = local_today().strftime("%Y-%m")
        refused = city.post("/sharing/settlements", month=this_month)
        assert refused.status_code == 422
        assert field_error(refused.text, "month") == "该月尚未结束"
        last_month = (local_today().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
        issued = city.post("/sharing/settlements", month=last_month)
        assert issued.status_code == 303
        assert issued.headers["location"] == f"/sharing/settlements?month={last_month}&done=issued"

    def test_the_commission_may_not_issue(self, users):
        refused = users["ui.commission"].post("/sharing/settlements", month="2026-01")
        assert refused.status_code == 403


class TestRatesAndApproval:
    def test_city_roles_add_a_rate_in_yuan_and_a_bad_amount_changes_nothing(self, users):
        city = users["ui.city"]
        assert 'data-testid="add-rate"' in city.get("/sharing/rates").text
        for other in ("ui.district", "ui.auditor"):
            page = users[other].get("/sharing/rates")
            assert page.status_code == 200
            assert 'data-testid="add-rate"' not in page.text, other
        before = city.api("GET", "sharing/v1/period-rates").json()
        bad = city.post(
            "/sharing/rates",
            effective_from="2026-09-01",
            title="一级教师",
            rate="八十",
            source="成教发〔2026〕1号",
        )
        assert bad.status_code == 422
        assert field_error(bad.text, "rate") == "请输入以元为单位的金额，最多两位小数。"
        no_source = city.post(
            "/sharing/rates", effective_from="2026-09-01", title="一级教师", rate="80", source=""
        )
        assert no_source.status_code == 422
        assert field_error(no_source.text, "source") == "此项为必填。"
        assert city.api("GET", "sharing/v1/period-rates").json() == before
        added = city.post(
            "/sharing/rates",
            effective_from="2026-09-01",
            title="一级教师",
            rate="80.50",
            source="成教发〔2026〕1号",
        )
        assert added.status_code == 303
        rates = city.api("GET", "sharing/v1/period-rates").json()
        assert {"effective_from": "2026-09-01", "title": "一级教师", "rate_cents": 8050} in [
            {k: r[k] for k in ("effective_from", "title", "rate_cents")} for r in rates
        ]
        assert "80.50" in city.get("/sharing/rates").text

    def test_city_hr_adds_an_online_rate_until_a_day_and_a_travel_band(self, users):
        city = users["ui.city"]
        page = city.get("/sharing/rates").text
        assert 'data-testid="add-allowance"' in page
        assert 'data-testid="add-allowance"' not in users["ui.district"].get("/sharing/rates").text
        added = city.post(
            "/sharing/rates",
            effective_from="2026-10-01",
            effective_to="2027-01-31",
            title="二级教师",
            mode="online",
            rate="45",
            source="成教发〔2026〕2号",
        )
        assert added.status_code == 303, added.text
        rates = city.api("GET", "sharing/v1/period-rates").json()
        assert {
            "effective_from": "2026-10-01",
            "effective_to": "2027-01-31",
            "title": "二级教师",
            "mode": "online",
            "rate_cents": 4500,
        } in [
            {k: r[k] for k in ("effective_from", "effective_to", "title", "mode", "rate_cents")}
            for r in rates
        ]
        bad_band = city.post(
            "/sharing/rates/allowances",
            effective_from="2026-10-01",
            min_km="10",
            max_km="5",
            amount="15",
            source="成教发〔2026〕2号",
        )
        assert bad_band.status_code == 422
        assert 'data-field="max_km"' in bad_band.text
        assert city.api("GET", "sharing/v1/travel-allowances").json() == []
        band = city.post(
            "/sharing/rates/allowances",
            effective_from="2026-10-01",
            min_km="10",
            max_km="",
            amount="15",
            source="成教发〔2026〕2号",
        )
        assert band.status_code == 303, band.text
        (saved,) = city.api("GET", "sharing/v1/travel-allowances").json()
        assert (saved["min_km"], saved["max_km"], saved["cents"]) == (10, None, 1500)
        assert 'data-testid="allowance"' in city.get("/sharing/rates").text

    def test_district_hr_sets_its_districts_approval(self, users):
        district = users["ui.district"]
        page = district.get("/sharing/rates")
        assert page.text.count('data-testid="district-setting"') == 1
        assert 'action="/sharing/rates/approval"' in page.text
        assert (
            'action="/sharing/rates/approval"' not in users["ui.auditor"].get("/sharing/rates").text
        )
        assert (
            'action="/sharing/rates/approval"'
            not in users["ui.commission"].get("/sharing/rates").text
        )
        done = district.post("/sharing/rates/approval", requires_approval="yes")
        assert done.status_code == 303
        found = district.api("GET", f"sharing/v1/district-settings/{DISTRICT}").json()
        assert found["requires_approval"] is True
        district.post("/sharing/rates/approval", requires_approval="no")
        found = district.api("GET", f"sharing/v1/district-settings/{DISTRICT}").json()
        assert found["requires_approval"] is False

    def test_an_unknown_district_is_said_and_nothing_is_set(self, users):
        refused = users["ui.city"].post(
            "/sharing/rates/approval", district_id=str(uuid.uuid4()), requires_approval="yes"
        )
        assert refused.status_code == 404
        assert "您的管辖范围内没有该区县" in refused.text


class TestTeacherProfile:
    def test_the_teacher_changes_cap_modes_and_home_periods_but_not_the_title(self, desk, users):
        teacher = users["ui.teacher"]
        page = teacher.get("/teacher/profile")
        assert 'data-testid="profile-form"' in page.text
        assert 'name="title"' not in page.text
        too_many = teacher.post("/teacher/profile", weekly_cap="99", modes="online", slot="1-1")
        assert too_many.status_code == 422
        assert field_error(too_many.text, "weekly_cap") == "数值过大。"
        before = teacher.api("GET", f"sharing/v1/teachers/{desk.teacher_id}").json()
        assert before["weekly_cap"] == 6
        saved = teacher.http.post(
            "/teacher/profile",
            data={
                "csrf_token": teacher.csrf,
                "weekly_cap": "5",
                "modes": ["online", "in_person"],
                "slot": ["1-1", "2-2"],
            },
        )
        assert saved.status_code == 303
        after = teacher.api("GET", f"sharing/v1/teachers/{desk.teacher_id}").json()
        assert after["weekly_cap"] == 5
        assert sorted(after["modes"]) == ["in_person", "online"]
        assert sorted(map(tuple, after["home_timetable"])) == [(1, 1), (2, 2)]

    def test_hr_lists_the_teachers_of_its_scope_by_district_and_school(self, desk, users):
        name = f"教师{desk.teacher_id.hex[:4]}"
        link = f'href="/sharing/teachers/{desk.teacher_id}"'
        district = users["ui.district"]
        listed = district.get("/sharing/teachers")
        assert listed.status_code == 200 and link in listed.text and name in listed.text
        assert "学校2" in listed.text  # the home school, by name
        assert link in district.get(f"/sharing/teachers?unit_id={school_id(2)}").text
        assert link not in district.get(f"/sharing/teachers?unit_id={school_id(1)}").text
        city = users["ui.city"]
        assert link in city.get(f"/sharing/teachers?district_id={DISTRICT}").text
        assert link not in city.get(f"/sharing/teachers?district_id={OTHER_DISTRICT}").text
        assert users["ui.school1"].get("/sharing/teachers").status_code == 403

    def test_district_hr_may_set_the_title_and_the_auditor_only_reads(self, desk, users):
        path = f"/sharing/teachers/{desk.teacher_id}"
        district = users["ui.district"]
        assert 'name="title"' in district.get(path).text
        audit = users["ui.auditor"].get(path)
        assert audit.status_code == 200 and 'data-testid="profile-form"' not in audit.text
        assert 'data-testid="profile-form"' not in users["ui.commission"].get(path).text
        assert users["ui.auditor"].post(path, weekly_cap="3").status_code == 403
        saved = district.http.post(
            path,
            data={
                "csrf_token": district.csrf,
                "title": "高级教师",
                "weekly_cap": "4",
                "modes": ["online"],
                "slot": ["1-1"],
            },
        )
        assert saved.status_code == 303
        found = district.api("GET", f"sharing/v1/teachers/{desk.teacher_id}").json()
        assert (found["title"], found["weekly_cap"], found["modes"]) == ("高级教师", 4, ["online"])


class TestPostings:
    def test_district_hr_creates_changes_opens_and_closes_a_posting(self, users):
        district = users["ui.district"]
        listing = district.get("/talent")
        assert 'data-testid="new-posting"' in listing.text
        form = district.get("/talent/postings/new")
        assert f'value="{school_id(1)}"' in form.text
        fields = {
            "unit_id": str(school_id(1)),
            "title": "小学音乐教师",
            "count": "2",
            "quota_type": "bianzhi",
            "stage": "primary",
            "subject": "音乐",
            "degree": "bachelor",
        }
        before = district.api("GET", "talent/v1/postings").json()["data"]
        backwards = district.post(
            "/talent/postings", **fields, apply_from="2026-12-10", apply_until="2026-12-01"
        )
        assert backwards.status_code == 422
        assert 'data-testid="form-error"' in backwards.text
        not_a_number = district.post("/talent/postings", **{**fields, "count": "两"})
        assert not_a_number.status_code == 422
        assert field_error(not_a_number.text, "count") == "请输入整数。"
        assert district.api("GET", "talent/v1/postings").json()["data"] == before

        created = district.post("/talent/postings", **fields)
        assert created.status_code == 303, created.text
        posting_path = created.headers["location"].split("?")[0]
        posting_id = posting_path.rsplit("/", 1)[-1]
        page = district.get(posting_path)
        assert (
            'data-testid="edit-posting"' in page.text and 'data-testid="open-posting"' in page.text
        )

        changed = district.post(
            f"{posting_path}/edit", **{**fields, "count": "3", "major": "音乐学"}
        )
        assert changed.status_code == 303
        found = district.api("GET", f"talent/v1/postings/{posting_id}").json()
        assert (found["count"], found["requirements"]["major"]) == (3, "音乐学")

        opened = district.post(f"{posting_path}/open")
        assert opened.status_code == 303
        found = district.api("GET", f"talent/v1/postings/{posting_id}").json()
        assert found["status"] == "pending_quota"
        page = district.get(posting_path)
        assert 'data-testid="edit-posting"' not in page.text
        no_change = district.post(f"{posting_path}/edit", **fields)
        assert no_change.status_code == 409

        closed = district.post(f"{posting_path}/close", reason="岗位已撤销")
        assert closed.status_code == 303
        assert district.api("GET", f"talent/v1/postings/{posting_id}").json()["status"] == "closed"
        again = district.post(f"{posting_path}/close", reason="岗位已撤销")
        assert again.status_code == 409
        assert "该招聘岗位当前状态：已关闭。" in again.text

    def test_the_auditor_and_the_commission_have_no_posting_forms(self, users):
        for name in ("ui.auditor", "ui.commission"):
            assert 'data-testid="new-posting"' not in users[name].get("/talent").text, name
            assert users[name].get("/talent/postings/new").status_code == 403, name


def quota(user: UiUser, school: int) -> dict[str, Any]:
    found = user.api("GET", f"staffing/v1/units/{school_id(school)}/quotas").json()
    rows = found["data"] if isinstance(found, dict) else found
    return next((q for q in rows if q["quota_type"] == "bianzhi"), {"approved": 0, "occupied": 0})


class TestAdjustments:
    def test_the_commission_raises_a_schools_posts_and_a_bad_change_is_refused(self, users):
        commission = users["ui.commission"]
        path = f"/units/{school_id(3)}"
        assert 'data-testid="adjust-posts"' in commission.get(f"{path}?tab=ledger").text
        for other in ("ui.district", "ui.auditor"):
            page = users[other].get(f"{path}?tab=ledger")
            assert 'data-testid="adjust-posts"' not in page.text, other
        assert users["ui.district"].post(f"{path}/adjustments", delta="1").status_code == 403
        before = quota(commission, 3)["approved"]
        fields = {"quota_type": "bianzhi", "document_no": "成编〔2026〕9号", "reason": "新增班级"}
        zero = commission.post(f"{path}/adjustments", delta="0", **fields)
        assert zero.status_code == 422
        assert field_error(zero.text, "delta") == "该值无效。"
        words = commission.post(f"{path}/adjustments", delta="三", **fields)
        assert words.status_code == 422
        assert quota(commission, 3)["approved"] == before
        done = commission.post(f"{path}/adjustments", delta="+3", **fields)
        assert done.status_code == 303
        assert quota(commission, 3)["approved"] == before + 3


class TestStaff:
    def test_district_hr_hires_records_a_title_transfers_and_records_a_departure(self, users):
        commission, district = users["ui.commission"], users["ui.district"]
        for school in (4, 5):
            commission.post(
                f"/units/{school_id(school)}/adjustments",
                delta="2",
                quota_type="bianzhi",
                document_no="成编〔2026〕10号",
                reason="新增班级",
            )
        person = {
            "name": "李老师",
            "sex": "female",
            "birth_date": "1990-05-01",
            "hire_date": "2015-09-01",
            "stage": "primary",
            "subject": "音乐",
        }
        roster = f"/units/{school_id(4)}?tab=roster"
        assert 'data-testid="hire"' in district.get(roster).text
        assert 'data-testid="hire"' not in users["ui.auditor"].get(roster).text
        # School 6 holds no posts: the hire is refused and nobody is added.
        full = district.post(f"/units/{school_id(6)}/staff", **person)
        assert full.status_code == 409
        assert 'data-testid="form-error"' in full.text
        listed = district.api("GET", "staffing/v1/staff", params={"unit_id": str(school_id(6))})
        assert listed.json()["data"] == []
        hired = district.post(f"/units/{school_id(4)}/staff", **person)
        assert hired.status_code == 303
        path = hired.headers["location"].split("?")[0]
        staff_id = path.rsplit("/", 1)[-1]
        page = district.get(path)
        for form in ("teaching", "confer-title", "transfer", "departure"):
            assert f'data-testid="{form}"' in page.text, form
        audit = users["ui.auditor"].get(path)
        assert audit.status_code == 200
        assert 'data-testid="departure"' not in audit.text
        assert 'data-testid="teaching"' not in audit.text
        school = users["ui.school1"].get(path)
        assert 'data-testid="confer-title"' not in school.text

        # What the person teaches: a subject not taught in the stage is refused beside the field.
        wrong = district.post(f"{path}/teaching", stage="primary", subject="物理")
        assert wrong.status_code == 422
        assert 'data-field="subject"' in wrong.text
        assert district.api("GET", f"staffing/v1/staff/{staff_id}").json()["subject"] == "音乐"
        taught = district.post(f"{path}/teaching", stage="junior", subject="物理")
        assert taught.status_code == 303
        found = district.api("GET", f"staffing/v1/staff/{staff_id}").json()
        assert (found["stage"], found["subject"]) == ("junior", "物理")

        no_title = district.post(f"{path}/titles", title="", effective_from="2026-09-01")
        assert no_title.status_code == 422
        assert 'data-field="title"' in no_title.text
        titled = district.post(f"{path}/titles", title="一级教师", effective_from="2026-09-01")
        assert titled.status_code == 303
        assert district.api("GET", f"staffing/v1/staff/{staff_id}").json()["title"] == "一级教师"

        moved = district.post(f"{path}/transfer", to_unit_id=str(school_id(5)))
        assert moved.status_code == 303
        found = district.api("GET", f"staffing/v1/staff/{staff_id}").json()
        assert found["unit_id"] == str(school_id(5))

        no_reason = district.post(f"{path}/departure", reason="")
        assert no_reason.status_code == 422
        assert district.api("GET", f"staffing/v1/staff/{staff_id}").json()["status"] == "active"
        left = district.post(f"{path}/departure", reason="resigned")
        assert left.status_code == 303
        assert district.api("GET", f"staffing/v1/staff/{staff_id}").json()["status"] == "resigned"
        after = district.get(path).text
        assert 'data-testid="departure"' not in after
        assert "辞职" in after


class TestUnitEdit:
    def test_hr_renames_a_school_and_moves_it_and_a_bad_value_changes_nothing(self, users):
        district = users["ui.district"]
        path = f"/units/{school_id(6)}"
        assert 'data-testid="edit-unit"' in district.get(path).text
        assert 'data-testid="edit-unit"' not in users["ui.auditor"].get(path).text
        before = district.api("GET", f"staffing/v1/{path.removeprefix('/')}").json()
        bad = district.post(f"{path}/edit", name="新名称", lat="123")
        assert bad.status_code == 422 and 'data-field="lat"' in bad.text
        assert district.api("GET", f"staffing/v1/{path.removeprefix('/')}").json() == before
        saved = district.post(f"{path}/edit", name="学校六（新址）", lat="30.6", lon="104.05")
        assert saved.status_code == 303
        after = district.api("GET", f"staffing/v1/{path.removeprefix('/')}").json()
        assert (after["name"], after["lat"], after["lon"]) == ("学校六（新址）", 30.6, 104.05)


class TestGrades:
    def test_hr_records_pupils_per_grade_and_a_bad_number_changes_nothing(self, users):
        district = users["ui.district"]
        path = f"/units/{school_id(3)}"
        api_path = f"staffing/v1/units/{school_id(3)}/grades"
        page = district.get(path).text
        assert 'data-testid="grades-form"' in page and 'name="pupils_junior_3"' in page
        assert 'name="pupils_junior_4"' not in page  # junior secondary has three grades
        shown = users["ui.auditor"].get(path)
        assert (
            'data-testid="grades"' in shown.text and 'data-testid="grades-form"' not in shown.text
        )
        home = users["ui.school1"].get("/school").text
        assert 'data-testid="grades"' in home and 'data-testid="grades-form"' not in home
        assert users["ui.auditor"].post(f"{path}/grades", school_year="2026").status_code == 403

        too_many = district.post(
            f"{path}/grades", school_year="2026", pupils_primary_1="45", pupils_junior_2="20000"
        )
        assert too_many.status_code == 422
        assert field_error(too_many.text, "pupils_junior_2") == "数值过大。"
        assert 'value="20000"' in too_many.text  # what was typed stays
        not_a_number = district.post(f"{path}/grades", school_year="2026", pupils_primary_1="4x")
        assert not_a_number.status_code == 422
        assert field_error(not_a_number.text, "pupils_primary_1") == "请输入整数。"
        no_year = district.post(f"{path}/grades", school_year="二〇二六", pupils_primary_1="45")
        assert no_year.status_code == 422
        assert field_error(no_year.text, "school_year") == "请输入整数。"
        early = district.post(f"{path}/grades", school_year="1999", pupils_primary_1="45")
        assert early.status_code == 422 and field_error(early.text, "school_year")
        assert district.api("GET", api_path).json()["data"] == []

        saved = district.post(
            f"{path}/grades", school_year="2026", pupils_primary_1="45", pupils_junior_2="48"
        )
        assert saved.status_code == 303
        rows = district.api("GET", api_path).json()["data"]
        assert sorted((r["school_year"], r["stage"], r["grade"], r["pupils"]) for r in rows) == [
            (2026, "junior", 2, 48),
            (2026, "primary", 1, 45),
        ]
        corrected = district.post(f"{path}/grades", school_year="2026", pupils_primary_1="44")
        assert corrected.status_code == 303
        rows = district.api("GET", api_path).json()["data"]
        assert {(r["stage"], r["grade"]): r["pupils"] for r in rows} == {
            ("primary", 1): 44,
            ("junior", 2): 48,
        }
        assert 'value="44"' in district.get(path).text


class TestStandards:
    def test_city_hr_adds_a_dated_standard_and_others_read_them(self, users):
        city, district = users["ui.city"], users["ui.district"]
        assert 'data-testid="add-standard"' in city.get("/standards").text
        shown = district.get("/standards")
        assert shown.status_code == 200 and 'data-testid="add-standard"' not in shown.text
        assert users["ui.school1"].get("/standards").status_code == 403
        before = city.api("GET", "staffing/v1/standards").json()["data"]

        bad = city.post(
            "/standards",
            stage="primary",
            effective_from="2027-09-01",
            pupils_per_post="0",
            source="中央编办发〔2014〕72号",
        )
        assert bad.status_code == 422 and 'data-field="pupils_per_post"' in bad.text
        assert city.api("GET", "staffing/v1/standards").json()["data"] == before

        added = city.post(
            "/standards",
            stage="primary",
            effective_from="2027-09-01",
            pupils_per_post="18.5",
            source="中央编办发〔2014〕72号",
        )
        assert added.status_code == 303
        after = city.api("GET", "staffing/v1/standards").json()["data"]
        assert {
            "effective_from": "2027-09-01",
            "stage": "primary",
            "pupils_per_post": 18.5,
            "source": "中央编办发〔2014〕72号",
        } in after
        assert "18.5" in district.get("/standards").text

    def test_hr_reads_the_class_sizes_and_the_retirement_rules_with_their_sources(self, users):
        district, auditor = users["ui.district"], users["ui.auditor"]
        sizes = district.api("GET", "staffing/v1/class-size-standards").json()
        page = district.get("/standards").text
        table = page[page.index('data-testid="class-sizes"') :]
        for row in sizes:
            assert str(escape(row["source"])) in table and f">{row['pupils_per_class']}<" in table
        assert 'href="/standards/retirement"' in page

        rules = district.api("GET", "staffing/v1/retirement-rules").json()
        shown = district.get("/standards/retirement")
        assert shown.status_code == 200
        assert shown.text.count('data-testid="retirement-rules"') == len(
            {(r["effective_from"], r["source"]) for r in rules["rules"]}
        )
        for source in {b["source"] for b in rules["bases"]} | {r["source"] for r in rules["rules"]}:
            assert str(escape(source)) in shown.text
        # The 2025 decision's first annex: men born in 1965-01 to 1965-04 retire at 60 and a month.
        assert "1965年1月 – 1965年4月</td>\n      <td>60 岁 1 个月" in shown.text
        assert auditor.get("/standards/retirement").status_code == 200
        assert users["ui.school1"].get("/standards/retirement").status_code == 403


class TestEvaluationForm:
    def test_city_hr_replaces_the_form_and_others_only_read_it(self, users):
        city, district = users["ui.city"], users["ui.district"]
        page = city.get("/sharing/evaluations/form")
        assert 'data-testid="replace-form"' in page.text
        shown = district.get("/sharing/evaluations/form")
        assert shown.status_code == 200 and 'data-testid="replace-form"' not in shown.text
        assert district.post("/sharing/evaluations/form", source="x").status_code == 403
        before = city.api("GET", "sharing/v1/evaluation-form").json()

        empty = city.post("/sharing/evaluations/form", source="成教〔2026〕1号")
        assert empty.status_code == 422 and 'data-field="items"' in empty.text
        bad = city.post(
            "/sharing/evaluations/form",
            item_key_0="Teaching!",
            item_zh_0="教学",
            item_en_0="Teaching",
            source="成教〔2026〕1号",
        )
        assert bad.status_code == 422 and 'data-field="items"' in bad.text
        assert 'value="Teaching!"' in bad.text  # what was typed stays
        assert city.api("GET", "sharing/v1/evaluation-form").json() == before

        saved = city.post(
            "/sharing/evaluations/form",
            item_key_0="teaching",
            item_zh_0="教学效果",
            item_en_0="Teaching",
            item_key_3="duty",
            item_zh_3="师德师风",
            item_en_3="Professional ethics",
            source="成教〔2026〕1号",
        )
        assert saved.status_code == 303
        now = city.api("GET", "sharing/v1/evaluation-form").json()
        assert [i["key"] for i in now["items"]] == ["teaching", "duty"]
        assert now["source"] == "成教〔2026〕1号"
        assert "师德师风" in district.get("/sharing/evaluations/form").text


class TestCandidates:
    def test_hr_merges_a_duplicate_and_erases_on_the_persons_request(self, desk, users):
        city = users["ui.city"]
        made = city.api(
            "POST", "auth/v1/partners", json={"name": "人才网", "scopes": list(ALL_SCOPES)}
        )
        assert made.status_code == 201, made.text
        key = city.api("POST", f"auth/v1/partners/{made.json()['id']}/keys", json={})
        partner = {"X-API-Key": key.json()["api_key"]}

        def push(n: int) -> str:
            pushed = httpx.post(
                f"{desk.url}/api/talent/v1/candidates", headers=partner, json=person(n), timeout=30
            )
            assert pushed.status_code in (200, 201), pushed.text
            return str(pushed.json()["id"])

        keep, duplicate = push(9101), push(9102)
        path = f"/talent/candidates/{keep}"
        page = city.get(path)
        assert 'data-testid="merge"' in page.text and 'data-testid="erase"' in page.text
        audit = users["ui.auditor"].get(path).text
        assert 'data-testid="merge"' not in audit and 'data-testid="erase"' not in audit
        assert users["ui.auditor"].post(f"{path}/erase").status_code == 403

        itself = city.post(f"{path}/merge", merge_id=keep)
        assert itself.status_code == 422 and 'data-testid="form-error"' in itself.text
        merged = city.post(f"{path}/merge", merge_id=duplicate)
        assert merged.status_code == 303
        assert city.api("GET", f"talent/v1/candidates/{duplicate}").json()["erased_at"]
        assert city.api("GET", f"talent/v1/candidates/{keep}").json()["erased_at"] is None

        erased = city.post(f"{path}/erase")
        assert erased.status_code == 303
        after = city.get(path).text
        assert 'data-testid="erased"' in after and 'data-testid="erase"' not in after
        assert city.api("GET", f"talent/v1/candidates/{keep}").json()["erased_at"]


def failed_delivery(desk: Desk, identity: Identity, *, disabled: bool = False) -> tuple[str, str]:
    """A partner's endpoint (disabled, if asked) with one delivery that failed every attempt;
    the endpoint's id and the delivery's."""
    cipher = load_cipher(service_settings(TalentSettings, identity, desk.talent, NO_NATS))
    endpoint_id = uuid.uuid4()
    sealed = cipher.encrypt("whsec_dGVzdA==", row=endpoint_id, field="webhook.secret")
    assert sealed is not None
    now = utcnow()

    async def make() -> uuid.UUID:
        db = Database(desk.talent)
        try:
            async with db.session() as session:
                session.add(
                    WebhookEndpoint(
                        id=endpoint_id,
                        partner_id="recruitment-site",
                        url=f"https://hooks.example.com/{endpoint_id}",
                        event_types=["application.status_changed"],
                        secret_enc=sealed,
                        disabled_at=now if disabled else None,
                        disabled_reason="HTTP 500 seven times" if disabled else None,
                    )
                )
                await session.flush()
                delivery = WebhookDelivery(
                    endpoint_id=endpoint_id,
                    event_id=uuid.uuid4(),
                    event_type="application.status_changed",
                    payload="{}",
                    status="failed",
                    attempts=7,
                    last_attempt_at=now,
                    last_status_code=500,
                    last_error="HTTP 500",
                )
                session.add(delivery)
                await session.flush()
                return delivery.id
        finally:
            await db.dispose()

    return str(endpoint_id), str(asyncio.run(make()))


class TestRedelivery:
    def test_city_hr_sends_a_failed_delivery_again_and_a_disabled_endpoint_is_said(
        self, desk, identity, users
    ):
        city = users["ui.city"]
        endpoint, delivery = failed_delivery(desk, identity)
        page = f"/talent/webhooks?endpoint={endpoint}"
        shown = city.get(page).text
        assert 'data-testid="redeliver"' in shown and f"/talent/deliveries/{delivery}/" in shown
        audit = users["ui.auditor"].get(page)
        assert audit.status_code == 200 and "HTTP 500" in audit.text
        assert 'data-testid="redeliver"' not in audit.text
        assert users["ui.district"].get(page).status_code == 403
        refused = users["ui.auditor"].post(
            f"/talent/deliveries/{delivery}/redeliver", endpoint=endpoint
        )
        assert refused.status_code == 403

        log = f"talent/v1/webhooks/{endpoint}/deliveries"
        sent = city.post(f"/talent/deliveries/{delivery}/redeliver", endpoint=endpoint)
        assert sent.status_code == 303
        assert sent.headers["location"] == f"{page}&done=redelivered"
        again = city.api("GET", log).json()["data"][0]
        assert again["status"] == "pending"  # sent again now, on a fresh retry schedule
        assert 'data-testid="redeliver"' not in city.get(page).text

        off, stuck = failed_delivery(desk, identity, disabled=True)
        before = city.api("GET", f"talent/v1/webhooks/{off}/deliveries").json()
        blocked = city.post(f"/talent/deliveries/{stuck}/redeliver", endpoint=off)
        assert blocked.status_code == 409
        assert 'data-testid="form-error"' in blocked.text
        assert "该回调地址已停用。" in blocked.text
        assert city.api("GET", f"talent/v1/webhooks/{off}/deliveries").json() == before


class TestLessonMoves:
    def test_the_teacher_proposes_a_move_and_the_host_school_accepts_it(self, desk, users):
        from tests.sharing.test_calendar import book

        monday = local_today() + timedelta(days=7 - local_today().weekday())

        async def booked() -> uuid.UUID:
            db = Database(desk.sharing)
            try:
                request_id = await add_request(db, 1, [(1, 6)], term_start=monday, weeks=2)
                return await book(db, request_id, desk.teacher_id, local_today())
            finally:
                await db.dispose()

        assignment_id = str(asyncio.run(booked()))
        teacher, host, home = users["ui.teacher"], users["ui.school1"], users["ui.school2"]
        lessons = teacher.api(
            "GET", "sharing/v1/lessons", params={"assignment_id": assignment_id}
        ).json()["data"]
        lesson = next(x for x in lessons if x["taught_on"] == str(monday))
        assert f'action="/lessons/{lesson["id"]}/move"' in teacher.get("/teacher/lessons").text

        saturday = teacher.post(
            f"/lessons/{lesson['id']}/move",
            to_date=str(monday + timedelta(days=5)),
            to_period="6",
            reason="周一外出培训",
        )
        assert saturday.status_code == 303
        refused = teacher.get("/teacher/lessons").text
        assert 'data-testid="form-error"' in refused and "not a school day" in refused
        assert 'data-testid="lesson-moves"' not in refused  # nothing was proposed
        proposed = teacher.post(
            f"/lessons/{lesson['id']}/move",
            to_date=str(monday + timedelta(days=1)),
            to_period="6",
            reason="周一外出培训",
        )
        assert proposed.headers["location"].endswith("done=move_proposed")

        page = host.get("/school/lessons").text
        move = re.search(r'action="/lesson-moves/([0-9a-f-]+)"', page)
        assert move is not None and "同意调课" in page
        # the home school sees the move but is no party to it: no buttons
        assert 'action="/lesson-moves/' not in home.get("/school/lessons").text
        accepted = host.post(f"/lesson-moves/{move.group(1)}", answer="accept")
        assert accepted.headers["location"].endswith("done=move_accepted")
        moved = teacher.api("GET", f"sharing/v1/lessons?assignment_id={assignment_id}").json()
        found = next(x for x in moved["data"] if x["id"] == lesson["id"])
        assert (found["taught_on"], found["period"], found["moved_from"]) == (
            str(monday + timedelta(days=1)),
            6,
            str(monday),
        )
