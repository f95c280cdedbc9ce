"""Pay that follows the rules it is given: dated rates per title and mode (with a last day), a
travel allowance by distance band for lessons taught in person, and a settlement line per host
district so each district sees what it owes."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

from openpyxl import load_workbook
from sqlalchemy import select, update

from services.sharing.models import Assignment, Lesson
from tests.sharing.support import DISTRICT, OTHER_DISTRICT, add_request, add_teacher
from tests.sharing.test_calendar import book
from tests.sharing.test_settlement_titles import previous_month
from tests.support import principal

LONG_AGO = "2024-01-01"


def city(identity) -> dict[str, str]:
    return identity.headers(principal("city_hr"))


async def test_rates_by_mode_and_date_travel_bands_and_a_line_per_host_district(
    client, db, identity
):
    first, last = previous_month()
    first_week_end = first + timedelta(days=6)
    teacher_id = await add_teacher(db, 2, title="一级教师")
    near = await add_request(db, 1, [(1, 1)], term_start=first, weeks=6)
    far = await add_request(db, 9, [(3, 2)], term_start=first, weeks=6)
    online = await add_request(db, 1, [(5, 3)], term_start=first, weeks=6, mode="online")
    for request_id in (near, far, online):
        await book(db, request_id, teacher_id, first)

    for body in (
        {"title": "一级教师", "mode": "online", "rate_cents": 4000},
        {
            "title": "一级教师",
            "mode": "in_person",
            "rate_cents": 7000,
            "effective_from": first.isoformat(),
            "effective_to": first_week_end.isoformat(),
        },
    ):
        made = await client.post(
            "/v1/period-rates",
            headers=city(identity),
            json={"effective_from": LONG_AGO, "source": "测试用课时标准", **body},
        )
        assert made.status_code == 201, made.text
    for band in ({"min_km": 0, "max_km": 10, "cents": 500}, {"min_km": 10, "cents": 1500}):
        made = await client.post(
            "/v1/travel-allowances",
            headers=city(identity),
            json={"effective_from": LONG_AGO, "source": "测试用交通补贴", **band},
        )
        assert made.status_code == 201, made.text

    async with db.session() as session:
        await session.execute(
            update(Lesson)
            .where(
                Lesson.teacher_id == teacher_id,
                Lesson.taught_on >= first,
                Lesson.taught_on <= last,
            )
            .values(status="confirmed")
        )
    async with db.session(read_only=True) as session:
        rows = (
            await session.execute(
                select(Lesson.taught_on, Assignment.mode, Assignment.host_district_id)
                .join(Assignment, Assignment.id == Lesson.assignment_id)
                .where(Lesson.teacher_id == teacher_id, Lesson.status == "confirmed")
            )
        ).all()
    expected: dict[uuid.UUID, int] = {}
    for taught_on, mode, district in rows:
        if mode == "online":
            pay = 4000  # the online row, no travel
        else:
            rate = 7000 if taught_on <= first_week_end else 6000  # then the "any" row again
            pay = rate + (1500 if district == OTHER_DISTRICT else 500)  # 55 km or 1.1 km
        expected[district] = expected.get(district, 0) + pay
    assert set(expected) == {DISTRICT, OTHER_DISTRICT}

    month = first.strftime("%Y-%m")
    issued = await client.post("/v1/settlements", headers=city(identity), json={"month": month})
    assert issued.status_code == 201, issued.text
    (settlement,) = issued.json()["data"]
    owed = {
        uuid.UUID(x["host_district_id"]): x["amount_cents"] for x in settlement["by_host_district"]
    }
    assert owed == expected
    assert settlement["total_cents"] == sum(expected.values())
    modes = {(x["mode"], x["rate_cents"], x["travel_cents"]) for x in settlement["lines"]}
    assert ("online", 4000, 0) in modes and ("in_person", 6000, 1500) in modes

    # A rate added afterwards changes nothing already issued.
    await client.post(
        "/v1/period-rates",
        headers=city(identity),
        json={
            "effective_from": first.isoformat(),
            "title": "一级教师",
            "mode": "online",
            "rate_cents": 9900,
            "source": "追加",
        },
    )
    again = await client.get("/v1/settlements", headers=city(identity), params={"month": month})
    assert again.json()["data"][0]["total_cents"] == settlement["total_cents"]

    sheet = await client.get(
        "/v1/settlements/export", headers=city(identity), params={"month": month}
    )
    book_ = load_workbook(io.BytesIO(sheet.content))
    by_district = book_.worksheets[1]
    amounts = sorted(row[6] for row in by_district.iter_rows(min_row=2, values_only=True))
    assert amounts == sorted(v / 100 for v in expected.values())


async def test_bad_rates_and_bands_name_their_field_and_only_city_hr_adds_them(
    client, db, identity
):
    def field(response) -> str:
        return response.json()["errors"][0]["field"]

    backwards = await client.post(
        "/v1/period-rates",
        headers=city(identity),
        json={
            "effective_from": "2026-09-01",
            "effective_to": "2026-08-31",
            "title": "一级教师",
            "rate_cents": 100,
            "source": "x",
        },
    )
    assert backwards.status_code == 422 and field(backwards) == "body.effective_to"
    unknown_mode = await client.post(
        "/v1/period-rates",
        headers=city(identity),
        json={
            "effective_from": "2026-09-01",
            "title": "一级教师",
            "mode": "by_bus",
            "rate_cents": 100,
            "source": "x",
        },
    )
    assert unknown_mode.status_code == 422 and field(unknown_mode) == "body.mode"
    band = await client.post(
        "/v1/travel-allowances",
        headers=city(identity),
        json={"effective_from": LONG_AGO, "min_km": 10, "max_km": 5, "cents": 1, "source": "x"},
    )
    assert band.status_code == 422 and field(band) == "body.max_km"
    district = identity.headers(principal("district_hr", district_id=DISTRICT))
    refused = await client.post(
        "/v1/travel-allowances",
        headers=district,
        json={"effective_from": LONG_AGO, "min_km": 0, "cents": 1, "source": "x"},
    )
    assert refused.status_code == 403
    listed = await client.get("/v1/travel-allowances", headers=district)
    assert listed.json() == []
    twice = {
        "effective_from": "2026-09-01",
        "title": "一级教师",
        "mode": "rotation",
        "rate_cents": 100,
        "source": "x",
    }
    assert (
        await client.post("/v1/period-rates", headers=city(identity), json=twice)
    ).status_code == 201
    dup = await client.post("/v1/period-rates", headers=city(identity), json=twice)
    assert dup.status_code == 409
    rates = (await client.get("/v1/period-rates", headers=district)).json()
    assert {"mode": "rotation", "effective_to": None}.items() <= next(
        r for r in rates if r["mode"] == "rotation"
    ).items()
    assert all(r["source"].startswith("默认值") for r in rates if r["effective_from"] == LONG_AGO)
