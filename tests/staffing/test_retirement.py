"""Retirement ages by the dated rules: the 2025 decision's annex tables, the rule before it, and
the forecasts and lists that use them."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from services.staffing.retirement import service
from tests.staffing.support import CITY_HR, person, staffing
from tests.support import NatsServer

# Rows of the annex tables of 全国人民代表大会常务委员会关于实施渐进式延迟法定退休年龄的决定
# (2024-09-13; 国务院关于渐进式延迟法定退休年龄的办法, 附件1–3): birth month → the reformed
# statutory age (years, months) and the month of retirement, as the tables print them; and the
# rule before 2025 (国发〔1978〕104号) for people who reached their age before 2025-01-01.
OFFICIAL = [
    # 附件1 男职工延迟法定退休年龄对照表
    ("male", "professional", "1964-12", (60, 0), "2024-12"),
    ("male", "professional", "1965-01", (60, 1), "2025-02"),
    ("male", "professional", "1965-04", (60, 1), "2025-05"),
    ("male", "professional", "1965-05", (60, 2), "2025-07"),
    ("male", "professional", "1965-12", (60, 3), "2026-03"),
    ("male", "worker", "1970-01", (61, 4), "2031-05"),
    ("male", "professional", "1976-08", (62, 11), "2039-07"),
    ("male", "professional", "1976-09", (63, 0), "2039-09"),
    ("male", "professional", "1995-12", (63, 0), "2058-12"),
    # 附件2 原法定退休年龄为五十五周岁的女职工延迟法定退休年龄对照表
    ("female", "professional", "1969-12", (55, 0), "2024-12"),
    ("female", "professional", "1970-01", (55, 1), "2025-02"),
    ("female", "professional", "1971-01", (55, 4), "2026-05"),
    ("female", "management", "1971-04", (55, 4), "2026-08"),
    ("female", "professional", "1981-09", (58, 0), "2039-09"),
    ("female", "professional", "2000-12", (58, 0), "2058-12"),
    # 附件3 原法定退休年龄为五十周岁的女职工延迟法定退休年龄对照表
    ("female", "worker", "1974-12", (50, 0), "2024-12"),
    ("female", "worker", "1975-01", (50, 1), "2025-02"),
    ("female", "worker", "1975-03", (50, 2), "2025-05"),
    ("female", "worker", "1980-01", (52, 7), "2032-08"),
    ("female", "worker", "1984-10", (54, 11), "2039-09"),
    ("female", "worker", "1984-11", (55, 0), "2039-11"),
    ("female", "worker", "1995-12", (55, 0), "2050-12"),
]


@pytest.fixture
async def api(make_database, identity, nats_server: NatsServer):
    async with staffing(identity, await make_database("staffing"), nats_server.url) as api:
        yield api


class TestRuleTable:
    async def test_ages_match_the_official_tables(self, api):
        for sex, category, born, (years, months), retires in OFFICIAL:
            answer = await api.ok(
                "GET",
                "/v1/retirement-rules/age",
                CITY_HR,
                params={"sex": sex, "post_category": category, "birth_date": f"{born}-15"},
            )
            case = f"{sex} {category} born {born}"
            assert (answer["age_years"], answer["age_extra_months"]) == (years, months), case
            assert answer["retires_on"][:7] == retires, case
            assert answer["retires_on"][8:] == "15", case

    async def test_each_answer_names_its_source(self, api):
        reformed = await api.ok(
            "GET",
            "/v1/retirement-rules/age",
            CITY_HR,
            params={"sex": "male", "birth_date": "1965-05-01"},
        )
        assert "渐进式延迟法定退休年龄" in reformed["source"]
        assert "附件1" in reformed["source"]
        assert reformed["effective_from"] == "2025-01-01"
        earlier = await api.ok(
            "GET",
            "/v1/retirement-rules/age",
            CITY_HR,
            params={"sex": "male", "birth_date": "1964-12-01"},
        )
        assert earlier["source"].startswith("国发〔1978〕104号")

    async def test_women_in_senior_professional_posts_keep_sixty(self, api):
        answer = await api.ok(
            "GET",
            "/v1/retirement-rules/age",
            CITY_HR,
            params={
                "sex": "female",
                "post_category": "senior_professional",
                "birth_date": "1972-03-01",
            },
        )
        assert (answer["base_age"], answer["age_months"]) == (60, 720)
        assert "组通字〔2015〕14号" in answer["base_source"]

    async def test_the_table_is_listed_with_sources(self, api):
        table = await api.ok("GET", "/v1/retirement-rules", CITY_HR)
        reform = [r for r in table["rules"] if r["effective_from"] == "2025-01-01"]
        men = [r for r in reform if r["sex"] == "male" and r["base_age"] == 60]
        # 36 groups of four birth months, and the open ends before and after them.
        assert len(men) == 38
        assert all(r["source"] for r in table["rules"] + table["bases"])

    async def test_an_unknown_category_names_the_field(self, api):
        response = await api.call(
            "GET",
            "/v1/retirement-rules/age",
            CITY_HR,
            params={"sex": "male", "post_category": "astronaut", "birth_date": "1970-01-01"},
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "query.post_category"


class TestForecasts:
    async def test_attrition_uses_the_reformed_age(self, api):
        district = await api.district("D1")
        school = await api.school(district["id"], "S1", posts=3)
        # A woman worker born 1977-06: 50 before 2025 (2027-06); 51 years 3 months now.
        await api.ok(
            "POST",
            "/v1/staff",
            json=person(
                school["id"], sex="female", birth_date="1977-06-15", post_category="worker"
            ),
        )
        async with api.db.session(read_only=True) as session:
            unit = uuid.UUID(school["id"])
            before = await service.forecast_attrition(session, unit, "bianzhi", date(2028, 9, 1))
            after = await service.forecast_attrition(session, unit, "bianzhi", date(2028, 10, 1))
        assert (before, after) == (0, 1)

    async def test_pool_application_shows_forecast_attrition(self, api):
        district = await api.district("D1")
        school = await api.school(district["id"], "S1", posts=3)
        await api.hire(school["id"], sex="male", birth_date="1958-03-01")
        await api.hire(school["id"], sex="female", birth_date="1995-03-01")
        application = await api.ok(
            "POST",
            "/v1/pool-applications",
            json={
                "unit_id": school["id"],
                "requested": 1,
                "reason_kind": "enrolment_growth",
                "reason": "扩班",
                "term_years": 3,
            },
        )
        assert application["forecast_attrition"] == 1

    async def test_due_list_is_per_unit_soonest_first(self, api):
        district = await api.district("D1")
        first = await api.school(district["id"], "S1", posts=3)
        second = await api.school(district["id"], "S2", posts=1)
        await api.hire(first["id"], name="甲", sex="male", birth_date="1966-09-10")
        await api.hire(first["id"], name="乙", sex="female", birth_date="1971-01-20")
        await api.hire(first["id"], name="丙", sex="female", birth_date="1990-01-20")
        await api.hire(second["id"], name="丁", sex="male", birth_date="1966-01-10")
        async with api.db.session(read_only=True) as session:
            due = await service.due(
                session, CITY_HR, date(2026, 1, 1), 18, uuid.UUID(first["id"]), None
            )
        assert [(r.name, r.retirement.retires_on) for r in due.data] == [
            ("乙", date(2026, 5, 20)),
            ("甲", date(2027, 3, 10)),
        ]
        assert due.count == 2
        listed = await api.ok(
            "GET", "/v1/retirements", CITY_HR, params={"district_id": district["id"]}
        )
        assert {r["unit_name"] for r in listed["data"]} <= {"学校S1", "学校S2"}
