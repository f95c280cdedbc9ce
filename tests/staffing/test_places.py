"""Places (学位): capacity per stage, the cohort projection from grades and births, and the two
warnings with the year each bites (学位预警, 编制预警)."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from services.staffing.places.projection import project, split_evenly
from tests.staffing.support import CITY_HR, staffing
from tests.support import NatsServer

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class TestProjection:
    def test_grades_move_up_and_the_intake_follows_births(self):
        found = project(
            2026,
            {"junior": [100, 90, 80]},
            {2014: 1000, 2015: 1200, 2016: 500},
            3,
        )
        # Share of births in the base year: 100 / births of 2014 (entry at twelve) = 0.1.
        assert found == {
            2027: {"junior": 120 + 100 + 90},
            2028: {"junior": 50 + 120 + 100},
            2029: {"junior": 50 + 50 + 120},
        }

    def test_without_births_the_intake_stays(self):
        assert project(2026, {"primary": [30, 0, 0, 0, 0, 0]}, {}, 2)[2028] == {"primary": 90}

    def test_a_stage_total_spreads_over_its_grades(self):
        assert split_evenly(20, 6) == [4, 4, 3, 3, 3, 3]


@pytest.fixture
async def api(make_database, identity, nats_server: NatsServer):
    async with staffing(identity, await make_database("staffing"), nats_server.url) as api:
        yield api


async def primary_school(api, posts: int = 5):
    district = await api.district("D1")
    school = await api.ok(
        "POST",
        "/v1/units",
        json={
            "kind": "school",
            "code": "S1",
            "name": "学校S1",
            "district_id": district["id"],
            "stages": ["primary"],
            "lat": 30.66,
            "lon": 104.06,
        },
    )
    await api.adjust(school["id"], posts)
    capacity = await api.ok(
        "PUT", f"/v1/units/{school['id']}/capacity", json=[{"stage": "primary", "classes": 2}]
    )
    assert capacity["data"] == [{"stage": "primary", "classes": 2, "class_size": 45, "places": 90}]
    await api.ok(
        "PUT",
        f"/v1/units/{school['id']}/grades",
        json=[
            {"school_year": 2026, "stage": "primary", "grade": g, "pupils": n}
            for g, n in enumerate([20, 15, 15, 15, 15, 10], start=1)
        ],
    )
    await api.ok(
        "PUT",
        f"/v1/units/{school['id']}/enrolment",
        json=[{"school_year": 2026, "stage": "primary", "pupils": 90}],
    )
    await api.ok(
        "PUT",
        f"/v1/districts/{district['id']}/birth-cohorts",
        json=[
            {"birth_year": 2020, "births": 1000},
            {"birth_year": 2021, "births": 1000},
            {"birth_year": 2022, "births": 2000},
        ],
    )
    return district, school


class TestWarnings:
    async def test_places_warning_bites_in_the_first_year_over(self, api):
        district, school = await primary_school(api)
        run = await api.ok(
            "POST", "/v1/projections", json={"district_id": district["id"], "years": 2}
        )
        assert (run["rows_written"], run["first_year"], run["last_year"]) == (2, 2027, 2028)
        enrolment = await api.ok("GET", f"/v1/units/{school['id']}/enrolment")
        assert {(r["school_year"], r["pupils"]) for r in enrolment["data"] if r["forecast"]} == {
            (2027, 100),
            (2028, 125),
        }
        warned = await api.ok("GET", "/v1/place-warnings", CITY_HR)
        assert [
            (w["code"], w["stage"], w["bites_in"], w["places"], w["shortfall"])
            for w in warned["data"]
        ] == [("S1", "primary", 2027, 90, 10)]
        posts = await api.ok("GET", "/v1/warnings", CITY_HR)
        # 1:19 for primary: 5 posts cover 90 pupils, 6 are needed for 100 in 2027.
        assert [(w["code"], w["bites_in"]) for w in posts["data"]] == [("S1", 2027)]

    async def test_an_imported_forecast_is_kept_over_the_projection(self, api):
        district, school = await primary_school(api)
        await api.ok(
            "PUT",
            f"/v1/units/{school['id']}/enrolment",
            json=[{"school_year": 2027, "stage": "primary", "pupils": 80, "forecast": True}],
        )
        run = await api.ok(
            "POST", "/v1/projections", json={"district_id": district["id"], "years": 2}
        )
        assert run["kept_imported"] == 1
        warned = await api.ok("GET", "/v1/place-warnings", CITY_HR)
        assert [w["bites_in"] for w in warned["data"]] == [2028]

    async def test_a_stage_the_school_does_not_teach_names_the_field(self, api):
        _, school = await primary_school(api)
        refused = await api.call(
            "PUT", f"/v1/units/{school['id']}/capacity", json=[{"stage": "senior", "classes": 2}]
        )
        assert refused.status_code == 422
        assert refused.json()["errors"] == [
            {
                "field": "body.0.stage",
                "message": "S1 does not teach senior",
                "code": "stage_not_taught",
                "unit_code": "S1",
                "stage": "senior",
            }
        ]

    async def test_grades_of_a_stage_not_taught_change_no_row(self, api):
        _, school = await primary_school(api)
        row = {"school_year": 2026, "stage": "primary", "grade": 6, "pupils": 1}
        refused = await api.call(
            "PUT", f"/v1/units/{school['id']}/grades", json=[row, {**row, "stage": "junior"}]
        )
        assert refused.status_code == 422
        assert refused.json()["errors"][0] == {
            "field": "body.1.stage",
            "message": "S1 does not teach junior",
            "code": "stage_not_taught",
            "unit_code": "S1",
            "stage": "junior",
        }
        grades = await api.ok("GET", f"/v1/units/{school['id']}/grades")
        assert [g["pupils"] for g in grades["data"] if g["grade"] == 6] == [10]


class TestForecastImport:
    async def test_the_template_filled_in_imports_a_forecast_the_projection_keeps(self, api):
        district, school = await primary_school(api)
        answer = await api.call("GET", "/v1/imports/enrolment/template", CITY_HR)
        assert answer.status_code == 200
        book = load_workbook(io.BytesIO(answer.content))
        sheet = book.active
        header = [c.value for c in sheet[1]]
        assert header == ["school_code", "school_year", "stage", "pupils", "forecast"]
        sheet.delete_rows(2)
        sheet.append(["S1", 2028, "primary", 70, True])
        out = io.BytesIO()
        book.save(out)
        report = await api.ok(
            "POST",
            "/v1/imports/enrolment",
            content=out.getvalue(),
            headers={"content-type": XLSX},
        )
        assert report["created"] == 1
        run = await api.ok(
            "POST", "/v1/projections", json={"district_id": district["id"], "years": 2}
        )
        assert run["kept_imported"] == 1
        enrolment = await api.ok("GET", f"/v1/units/{school['id']}/enrolment")
        assert (2028, 70) in {(r["school_year"], r["pupils"]) for r in enrolment["data"]}
