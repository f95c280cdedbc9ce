"""Bad input never reaches staffing's data: PATCH is JSON Merge Patch, the invariants the reads
need are refused at write time (API and spreadsheet alike), and a read that meets a wrong stored row
anyway reports it and answers for the rest. On SQLite and PostgreSQL."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from openpyxl import Workbook

from services.staffing.models import Standard
from tests.staffing.support import staffing
from tests.support import NatsServer

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MERGE_PATCH = "application/merge-patch+json"


@pytest.fixture
async def api(make_database, identity, nats_server: NatsServer):
    async with staffing(identity, await make_database("staffing"), nats_server.url) as api:
        yield api


async def located_district(api: Any) -> dict[str, Any]:
    return await api.ok(
        "POST",
        "/v1/units",
        json={"kind": "district", "code": "D1", "name": "一区", "lat": 30.6, "lon": 104.0},
    )


def problem_fields(response: Any) -> list[str]:
    assert response.headers["content-type"] == "application/problem+json", response.text
    return [e["field"] for e in response.json()["errors"]]


class TestUnitPatch:
    async def test_members_left_out_stay_as_they_are(self, api):
        school = await api.school((await api.district("D1"))["id"], "S1")
        patched = await api.ok("PATCH", f"/v1/units/{school['id']}", json={"name": "新名"})
        assert patched["name"] == "新名"
        assert (patched["stages"], patched["lat"], patched["lon"]) == (
            school["stages"],
            school["lat"],
            school["lon"],
        )

    @pytest.mark.parametrize("member", ["name", "stages"])
    async def test_null_on_a_member_the_unit_needs_is_422_naming_it(self, api, member):
        school = await api.school((await api.district("D1"))["id"], "S1")
        refused = await api.call("PATCH", f"/v1/units/{school['id']}", json={member: None})
        assert refused.status_code == 422
        assert problem_fields(refused) == [f"body.{member}"]
        assert await api.ok("GET", f"/v1/units/{school['id']}") == school

    async def test_a_school_keeps_its_location(self, api):
        school = await api.school((await api.district("D1"))["id"], "S1")
        for body in ({"lat": None, "lon": None}, {"lon": None}):
            refused = await api.call("PATCH", f"/v1/units/{school['id']}", json=body)
            assert refused.status_code == 422, refused.text
            assert problem_fields(refused)[0] in ("body.lat", "body.lon")
        assert await api.ok("GET", f"/v1/units/{school['id']}") == school

    async def test_a_district_location_is_cleared_whole_or_not_at_all(self, api):
        district = await located_district(api)
        half = await api.call("PATCH", f"/v1/units/{district['id']}", json={"lat": None})
        assert half.status_code == 422 and problem_fields(half) == ["body.lat"]
        cleared = await api.ok(
            "PATCH",
            f"/v1/units/{district['id']}",
            json={"lat": None, "lon": None},
            headers={"content-type": MERGE_PATCH},
        )
        assert (cleared["lat"], cleared["lon"], cleared["name"]) == (None, None, "一区")

    async def test_a_school_keeps_the_stages_its_pupils_are_enrolled_in(self, api):
        school = await api.school((await api.district("D1"))["id"], "S1")
        rows = [{"school_year": 2026, "stage": "junior", "pupils": 300}]
        await api.ok("PUT", f"/v1/units/{school['id']}/enrolment", json=rows)
        refused = await api.call("PATCH", f"/v1/units/{school['id']}", json={"stages": ["primary"]})
        assert refused.status_code == 422 and problem_fields(refused) == ["body.stages"]
        assert "junior" in refused.json()["detail"]
        allowed = await api.ok(
            "PATCH", f"/v1/units/{school['id']}", json={"stages": ["junior", "senior"]}
        )
        assert allowed["stages"] == ["junior", "senior"]


class TestWriteInvariants:
    async def test_a_school_without_a_location_is_refused(self, api):
        district = await api.district("D1")
        body = {"kind": "school", "code": "S1", "name": "校", "stages": ["primary"]}
        refused = await api.call("POST", "/v1/units", json=body | {"district_id": district["id"]})
        assert refused.status_code == 422 and problem_fields(refused) == ["body.lat"]
        assert [u["code"] for u in (await api.ok("GET", "/v1/units"))["data"]] == ["D1"]

    async def test_lat_without_lon_is_refused(self, api):
        body = {"kind": "district", "code": "D1", "name": "区", "lat": 30.6}
        refused = await api.call("POST", "/v1/units", json=body)
        assert refused.status_code == 422 and problem_fields(refused) == ["body.lon"]

    @pytest.mark.parametrize("ratio", [0, -12.5])
    async def test_a_ratio_that_is_not_positive_is_refused(self, api, ratio):
        body = {"effective_from": "2026-09-01", "stage": "primary", "pupils_per_post": ratio}
        refused = await api.call("POST", "/v1/standards", json=body | {"source": "test"})
        assert refused.status_code == 422
        assert problem_fields(refused) == ["body.pupils_per_post"]

    async def test_enrolment_outside_the_school_stages_is_refused(self, api):
        school = await api.school((await api.district("D1"))["id"], "S1")
        rows = [{"school_year": 2026, "stage": "senior", "pupils": 30}]
        refused = await api.call("PUT", f"/v1/units/{school['id']}/enrolment", json=rows)
        assert refused.status_code == 422 and problem_fields(refused) == ["body.0.stage"]

    async def test_the_import_refuses_a_school_without_a_location(self, api):
        sheet = workbook(
            ["code", "name", "kind", "district_code", "stages", "lat", "lon"],
            ["D9", "新区", "district", None, None, None, None],
            ["D9-S1", "一小", "school", "D9", "primary", 30.6, 104.0],
            ["D9-S2", "二小", "school", "D9", "primary", None, None],
            ["D9-S3", "三小", "school", "D9", "primary", 30.6, None],
        )
        refused = await api.call(
            "POST",
            "/v1/imports/units?document_no=成编〔2026〕9号",
            content=sheet,
            headers={"content-type": XLSX},
        )
        assert refused.status_code == 422
        assert [(e["row"], e["column"]) for e in refused.json()["errors"]] == [
            (4, "lat"),
            (5, "lon"),
        ]
        assert (await api.ok("GET", "/v1/units"))["data"] == []

    async def test_the_import_keeps_the_stages_pupils_are_enrolled_in(self, api):
        school = await api.school((await api.district("D1"))["id"], "S1")
        rows = [{"school_year": 2026, "stage": "junior", "pupils": 300}]
        await api.ok("PUT", f"/v1/units/{school['id']}/enrolment", json=rows)
        sheet = workbook(
            ["code", "name", "kind", "district_code", "stages", "lat", "lon"],
            ["S1", "一小", "school", "D1", "primary", 30.6, 104.0],
        )
        refused = await api.call(
            "POST",
            "/v1/imports/units?document_no=成编〔2026〕9号",
            content=sheet,
            headers={"content-type": XLSX},
        )
        assert refused.status_code == 422, refused.text
        assert [(e["row"], e["column"]) for e in refused.json()["errors"]] == [(2, "stages")]


class TestReadsMeetingAWrongRow:
    async def test_summary_and_warnings_report_a_stored_ratio_of_zero_and_answer(self, api):
        school = await api.school((await api.district("D1"))["id"], "S1", posts=1)
        rows = [{"school_year": 2026, "stage": "junior", "pupils": 400}]
        await api.ok("PUT", f"/v1/units/{school['id']}/enrolment", json=rows)
        async with api.db.session() as session:
            # Written before the check existed: a read must not divide by it.
            session.add(
                Standard(
                    effective_from=date(2020, 1, 1),
                    stage="primary",
                    pupils_per_post=0,
                    source="legacy",
                )
            )
        summary = await api.ok("GET", "/v1/summary")
        assert summary["required"] is not None and summary["shortage_now"] > 0
        assert summary["problems"] == [
            {
                "table": "standards",
                "key": "primary",
                "problem": "pupils_per_post 0.0 is not positive",
            }
        ]
        warnings = await api.ok("GET", "/v1/warnings")
        assert [w["code"] for w in warnings["data"]] == ["S1"]
        assert [p["key"] for p in warnings["problems"]] == ["primary"]
        unit = await api.ok("GET", f"/v1/units/{school['id']}/summary")
        assert unit["problems"][0]["table"] == "standards"


def workbook(*rows: list[Any]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
