"""Spreadsheets: one bad row imports nothing and says where; a good workbook imports every row."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook

from services.staffing.spreadsheets.service import XLSX
from tests.staffing.support import staffing
from tests.support import NatsServer


def xlsx(header: list[str], *rows: list[object]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "名册"
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


UNITS = ["code", "name", "kind", "district_code", "stages", "lat", "lon", "bianzhi"]
ROSTER = ["school_code", "name", "sex", "birth_date", "hire_date", "subject"]


@pytest.fixture
async def api(make_database, identity, nats_server: NatsServer):
    async with staffing(identity, await make_database("staffing"), nats_server.url) as api:
        yield api


async def upload(api, kind: str, content: bytes):
    return await api.call(
        "POST",
        f"/v1/imports/{kind}?document_no=成编〔2026〕9号",
        content=content,
        headers={"content-type": XLSX},
    )


async def test_one_bad_row_imports_nothing_and_names_sheet_row_and_column(api):
    bad = xlsx(
        UNITS,
        ["D9", "新区", "district", None, None, None, None, None],
        ["D9-S1", "一小", "school", "D9", "primary", 30.66, 104.06, 30],
        ["D9-S2", "二小", "school", "D9", "primary,galaxy", 30.66, 104.06, 20],
    )
    response = await upload(api, "units", bad)
    assert response.status_code == 422
    problem = response.json()
    assert problem["errors"][0]["sheet"] == "名册"
    assert problem["errors"][0]["row"] == 4
    assert problem["errors"][0]["column"] == "stages"
    assert "row 4" in problem["detail"] and "nothing was imported" in problem["detail"]
    assert (await api.ok("GET", "/v1/units"))["data"] == []


async def test_good_workbooks_import_every_row_and_export(api):
    units = xlsx(
        UNITS,
        ["D9", "新区", "district", None, None, None, None, None],
        ["D9-S1", "一小", "school", "D9", "primary", 30.66, 104.06, 2],
        ["D9-S2", "二小", "school", "D9", "primary,junior", 30.66, 104.06, 20],
    )
    report = await upload(api, "units", units)
    assert report.status_code == 200, report.text
    assert report.json()["created"] == 3
    listed = {u["code"]: u for u in (await api.ok("GET", "/v1/units"))["data"]}
    assert (await api.quota(listed["D9-S2"]["id"]))["approved"] == 20
    too_many = xlsx(
        ROSTER,
        ["D9-S1", "甲", "female", "1980-01-02", "2005-09-01", "语文"],
        ["D9-S1", "乙", "male", "1981-01-02", "2006-09-01", "数学"],
        ["D9-S1", "丙", "male", "1982-01-02", "2007-09-01", "英语"],
    )
    refused = await upload(api, "roster", too_many)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["row"] == 4
    assert (await api.quota(listed["D9-S1"]["id"]))["occupied"] == 0
    fits = xlsx(
        ROSTER, *[["D9-S1", n, "female", "1980-01-02", "2005-09-01", "语文"] for n in "甲乙"]
    )
    assert (await upload(api, "roster", fits)).json()["created"] == 2
    assert (await api.quota(listed["D9-S1"]["id"]))["occupied"] == 2
    enrolment = xlsx(
        ["school_code", "school_year", "stage", "pupils", "forecast"],
        ["D9-S2", 2026, "primary", 400, False],
        ["D9-S2", 2029, "junior", 500, True],
    )
    assert (await upload(api, "enrolment", enrolment)).json()["created"] == 2
    assert await api.verify() == []
    for kind in ("summary", "loans", "ledger"):
        exported = await api.call("GET", f"/v1/exports/{kind}")
        assert exported.status_code == 200
        sheet = load_workbook(io.BytesIO(exported.content)).active
        assert sheet.max_row >= 1
    ledger = load_workbook(io.BytesIO((await api.call("GET", "/v1/exports/ledger")).content)).active
    assert ledger.max_row == 1 + 2 + 2  # header, two adjustments, two hires
