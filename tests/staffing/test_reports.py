"""Monthly reports for leadership add up to the live summary; sharing's figures arrive by events;
the xlsx speaks Chinese and carries no ids."""

from __future__ import annotations

import io
import re
import uuid
from datetime import date

import pytest
from openpyxl import load_workbook

from common.clock import local_today
from contracts.sharing import LibraryDecided, SettlementIssued
from services.staffing.reports import service as reports
from tests.staffing.support import CITY_HR, staffing
from tests.support import NatsServer

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture
async def api(make_database, identity, nats_server: NatsServer):
    async with staffing(identity, await make_database("staffing"), nats_server.url) as api:
        yield api


async def test_the_month_adds_up_to_the_live_summary(api):
    d1, d2 = await api.district("D1"), await api.district("D2")
    a = await api.school(d1["id"], "S1", posts=6)
    b = await api.school(d2["id"], "S2", posts=4)
    direct = await api.ok(
        "POST",
        "/v1/units",
        json={
            "kind": "school",
            "code": "C1",
            "name": "市直属学校",
            "stages": ["senior"],
            "lat": 30.6,
            "lon": 104.0,
        },
    )
    await api.adjust(direct["id"], 3)
    await api.ok(
        "POST",
        "/v1/pools/bianzhi/deposits",
        json={"unit_id": a["id"], "count": 2, "document_no": "收", "reason": "r"},
    )
    await api.lend(b["id"])
    teacher = (await api.hire(a["id"], subject="音乐")).json()
    await api.hire(b["id"])
    month = f"{local_today():%Y-%m}"
    async with api.db.session() as session:
        await reports.library_decided(
            session,
            LibraryDecided(
                application_id=uuid.uuid4(),
                teacher_id=uuid.UUID(teacher["id"]),
                unit_id=uuid.UUID(a["id"]),
                district_id=uuid.UUID(d1["id"]),
                approved=True,
            ),
        )
        settled = SettlementIssued(
            settlement_id=uuid.uuid4(),
            teacher_id=uuid.UUID(teacher["id"]),
            home_unit_id=uuid.UUID(a["id"]),
            month=month,
            periods=12,
            adjustment_periods=0,
            total_cents=96000,
        )
        await reports.settlement_issued(session, settled)
        await reports.settlement_issued(session, settled)
    taken = await api.ok("POST", "/v1/reports/monthly", CITY_HR)
    assert taken["scopes"] == 3
    live = await api.ok("GET", "/v1/summary", CITY_HR)
    city = (await api.ok("GET", "/v1/reports/monthly", CITY_HR))["data"][-1]
    for name in ("approved", "occupied", "vacant", "required"):
        assert city[name] == (live[name] or 0), name
    assert city["pool_balance"] == sum(live["pool_balances"].values())
    assert (city["loans_out"], city["library_size"], city["periods_taught"]) == (1, 1, 12)
    assert city["library_by_subject"] == {"音乐": 1}
    districts = [
        (await api.ok("GET", "/v1/reports/monthly", CITY_HR, params={"district_id": d["id"]}))[
            "data"
        ][-1]
        for d in (d1, d2)
    ]
    assert sum(r["approved"] for r in districts) + 3 == city["approved"]
    assert sum(r["occupied"] for r in districts) == city["occupied"]
    assert districts[0]["period_pay_cents"] == 96000 and districts[1]["periods_taught"] == 0

    exported = await api.call("GET", "/v1/reports/monthly/export", CITY_HR)
    sheet = load_workbook(io.BytesIO(exported.content)).active
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["月份", "范围", "核定编制"]
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert "成都市" in cells
    assert not any(UUID.search(c) for c in cells)
    assert reports.month_of(date(2026, 11, 30)) == date(2026, 11, 1)
