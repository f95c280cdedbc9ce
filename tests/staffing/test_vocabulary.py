"""Staffing speaks the shared vocabulary: the roster API refuses what the lists lack, naming the
field; spreadsheet imports map the names people write and report unknown ones by row."""

from __future__ import annotations

import pytest

from tests.staffing.support import staffing
from tests.staffing.test_spreadsheets import upload, xlsx
from tests.support import NatsServer


@pytest.fixture
async def api(make_database, identity, nats_server: NatsServer):
    async with staffing(identity, await make_database("staffing"), nats_server.url) as api:
        yield api


@pytest.mark.parametrize(
    ("extra", "field", "says"),
    [
        ({"subject": "体育"}, "body.subject", "did you mean '体育与健康'"),
        ({"subject": "信息技术", "stage": "primary"}, "body.subject", "not taught in 小学"),
        ({"title": "小学高级"}, "body.title", "did you mean '一级教师'"),
        ({"title": "特级教师"}, "body.title", "unknown title"),
        ({"stage": "小学"}, "body.stage", ""),
    ],
)
async def test_hire_outside_the_vocabulary_is_422_naming_the_field(api, extra, field, says):
    district = await api.district("D1")
    school = await api.school(district["id"], "D1-S1", posts=1)
    response = await api.hire(school["id"], **extra)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert field in errors and says in errors[field]
    assert (await api.quota(school["id"]))["occupied"] == 0


ROSTER = ["school_code", "name", "sex", "birth_date", "hire_date", "stage", "subject", "title"]


async def test_roster_import_maps_synonyms_onto_the_vocabulary(api):
    district = await api.district("D9")
    school = await api.school(district["id"], "D9-S1", posts=4)
    sheet = xlsx(
        ROSTER,
        ["D9-S1", "甲", "female", "1980-01-02", "2005-09-01", "小学", "体育", "小学高级"],
        ["D9-S1", "乙", "male", "1981-01-02", "2006-09-01", "初中", "信息技术", "中学高级"],
        ["D9-S1", "丙", "male", "1982-01-02", "2007-09-01", "junior", "生物", "中学一级教师"],
        ["D9-S1", "丁", "female", "1983-01-02", "2008-09-01", "primary", "语文", "二级教师"],
    )
    report = await upload(api, "roster", sheet)
    assert report.status_code == 200, report.text
    assert report.json()["created"] == 4
    roster = (await api.ok("GET", f"/v1/staff?unit_id={school['id']}"))["data"]
    found = {p["name"]: (p["stage"], p["subject"], p["title"]) for p in roster}
    assert found == {
        "甲": ("primary", "体育与健康", "一级教师"),
        "乙": ("junior", "信息科技", "高级教师"),
        "丙": ("junior", "生物学", "一级教师"),
        "丁": ("primary", "语文", "二级教师"),
    }


async def test_roster_import_with_an_unknown_value_imports_nothing_and_says_where(api):
    district = await api.district("D9")
    school = await api.school(district["id"], "D9-S1", posts=4)
    sheet = xlsx(
        ROSTER,
        ["D9-S1", "甲", "female", "1980-01-02", "2005-09-01", "小学", "体育", "一级教师"],
        ["D9-S1", "乙", "male", "1981-01-02", "2006-09-01", "小学", "书法", "一级教师"],
        ["D9-S1", "丙", "male", "1982-01-02", "2007-09-01", "小学", "历史", "一级教师"],
        ["D9-S1", "丁", "female", "1983-01-02", "2008-09-01", "小学", "语文", "特级"],
        ["D9-S1", "戊", "female", "1983-01-02", "2008-09-01", "大学", "语文", "一级教师"],
    )
    refused = await upload(api, "roster", sheet)
    assert refused.status_code == 422, refused.text
    problems = {(e["row"], e["column"]): e["message"] for e in refused.json()["errors"]}
    assert set(problems) == {(3, "subject"), (4, "subject"), (5, "title"), (6, "stage")}
    assert "unknown subject '书法'" in problems[3, "subject"]
    assert "历史 is not taught in 小学" in problems[4, "subject"]
    assert all(e["sheet"] == "名册" for e in refused.json()["errors"])
    assert (await api.quota(school["id"]))["occupied"] == 0


async def test_units_and_enrolment_imports_take_stage_names(api):
    units = xlsx(
        ["code", "name", "kind", "district_code", "stages", "bianzhi", "lat", "lon"],
        ["D8", "新区", "district", None, None, None, None, None],
        ["D8-S1", "一贯制", "school", "D8", "小学、初中", 2, 30.66, 104.06],
    )
    assert (await upload(api, "units", units)).status_code == 200
    listed = {u["code"]: u for u in (await api.ok("GET", "/v1/units"))["data"]}
    assert listed["D8-S1"]["stages"] == ["primary", "junior"]
    enrolment = xlsx(
        ["school_code", "school_year", "stage", "pupils"],
        ["D8-S1", 2026, "小学", 400],
        ["D8-S1", 2026, "大学", 10],
    )
    refused = await upload(api, "enrolment", enrolment)
    assert refused.status_code == 422, refused.text
    assert [(e["row"], e["column"]) for e in refused.json()["errors"]] == [(3, "stage")]
    good = xlsx(["school_code", "school_year", "stage", "pupils"], ["D8-S1", 2026, "初中", 400])
    assert (await upload(api, "enrolment", good)).json()["created"] == 1
