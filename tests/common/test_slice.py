"""The thin slice: a unit registered in staffing reaches sharing and talent; bad input fails."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from common.db import Database
from services.sharing.app import create_app as create_sharing
from services.sharing.settings import SharingSettings
from services.staffing.app import create_app as create_staffing
from services.staffing.models import Unit, outbox
from services.staffing.settings import StaffingSettings
from services.talent.app import create_app as create_talent
from services.talent.settings import TalentSettings
from tests.support import eventually, principal, running, service_settings

pytestmark = pytest.mark.nats


async def count_rows(url: str, table) -> int:
    db = Database(url)
    try:
        async with db.session(read_only=True) as session:
            return int(
                (await session.execute(select(func.count()).select_from(table))).scalar_one()
            )
    finally:
        await db.dispose()


async def test_registered_unit_reaches_sharing_and_talent(make_database, own_nats, identity):
    staffing = service_settings(
        StaffingSettings, identity, await make_database("staffing"), own_nats.url
    )
    sharing = service_settings(
        SharingSettings, identity, await make_database("sharing"), own_nats.url
    )
    talent = service_settings(TalentSettings, identity, await make_database("talent"), own_nats.url)
    city = identity.headers(principal("city_hr"))
    async with (
        running(create_staffing(staffing)) as staffing_client,
        running(create_sharing(sharing)) as sharing_client,
        running(create_talent(talent)) as talent_client,
    ):
        district = await staffing_client.post(
            "/v1/units",
            headers=city,
            json={
                "kind": "district",
                "code": "510105",
                "name": "青羊区",
                "lat": 30.67,
                "lon": 104.06,
            },
        )
        assert district.status_code == 201, district.text
        district_id = district.json()["id"]
        school = await staffing_client.post(
            "/v1/units",
            headers=city,
            json={
                "kind": "school",
                "code": "510105-S9001",
                "name": "青羊区草堂小学",
                "district_id": district_id,
                "stages": ["primary"],
                "lat": 30.66,
                "lon": 104.03,
            },
        )
        assert school.status_code == 201, school.text
        school_id = school.json()["id"]

        for client in (sharing_client, talent_client):

            async def arrived(client=client) -> bool:
                return (await client.get(f"/v1/units/{school_id}", headers=city)).status_code == 200

            await eventually(arrived)
            copy = (await client.get(f"/v1/units/{school_id}", headers=city)).json()
            assert copy["name"] == "青羊区草堂小学"
            assert copy["district_id"] == district_id
            assert copy["stages"] == ["primary"]

        other_district = identity.headers(principal("district_hr", district_id=uuid.uuid4()))
        assert (
            await sharing_client.get(f"/v1/units/{school_id}", headers=other_district)
        ).status_code == 404
        own_district = identity.headers(
            principal("district_hr", district_id=uuid.UUID(district_id))
        )
        listed = (await talent_client.get("/v1/units", headers=own_district)).json()["data"]
        assert {u["id"] for u in listed} == {district_id, school_id}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "school", "code": "X1", "name": "无区学校", "stages": ["primary"]}, "body"),
        ({"kind": "district", "code": "bad code!", "name": "区"}, "body.code"),
        ({"kind": "district", "code": "D1", "name": ""}, "body.name"),
        ({"kind": "district", "code": "D1", "name": "区", "lat": 123}, "body.lat"),
        ({"kind": "galaxy", "code": "D1", "name": "区"}, "body.kind"),
        ({"kind": "district", "code": "D1", "name": "区", "extra": 1}, "body.extra"),
    ],
)
async def test_bad_input_is_422_problem_naming_the_field_and_writes_nothing(
    make_database, nats_server, identity, body, field
):
    url = await make_database("staffing")
    settings = service_settings(StaffingSettings, identity, url, nats_server.url)
    async with running(create_staffing(settings)) as client:
        response = await client.post(
            "/v1/units", json=body, headers=identity.headers(principal("city_hr"))
        )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "/problems/invalid-input"
    assert any(e["field"].startswith(field) for e in problem["errors"]), problem
    assert await count_rows(url, Unit.__table__) == 0
    assert await count_rows(url, outbox.table) == 0


async def test_duplicate_code_is_409_and_writes_nothing(make_database, nats_server, identity):
    url = await make_database("staffing")
    settings = service_settings(StaffingSettings, identity, url, nats_server.url)
    city = identity.headers(principal("city_hr"))
    body = {"kind": "district", "code": "510104", "name": "锦江区"}
    async with running(create_staffing(settings)) as client:
        assert (await client.post("/v1/units", json=body, headers=city)).status_code == 201
        again = await client.post("/v1/units", json=body, headers=city)
    assert again.status_code == 409
    assert again.json()["errors"][0]["field"] == "body.code"
    assert await count_rows(url, Unit.__table__) == 1
    assert await count_rows(url, outbox.table) == 1


async def test_district_hr_registers_schools_only_in_own_district(
    make_database, nats_server, identity
):
    settings = service_settings(
        StaffingSettings, identity, await make_database("staffing"), nats_server.url
    )
    city = identity.headers(principal("city_hr"))
    async with running(create_staffing(settings)) as client:
        ids = []
        for code in ("510104", "510105"):
            r = await client.post(
                "/v1/units", json={"kind": "district", "code": code, "name": code}, headers=city
            )
            ids.append(r.json()["id"])
        hr = identity.headers(principal("district_hr", district_id=uuid.UUID(ids[0])))
        school = {"kind": "school", "name": "校", "stages": ["primary"], "lat": 30.6, "lon": 104.0}
        own = await client.post(
            "/v1/units", json={**school, "code": "S1", "district_id": ids[0]}, headers=hr
        )
        other = await client.post(
            "/v1/units", json={**school, "code": "S2", "district_id": ids[1]}, headers=hr
        )
        district = await client.post(
            "/v1/units", json={"kind": "district", "code": "D9", "name": "新区"}, headers=hr
        )
        assert own.status_code == 201
        assert other.status_code == 403
        assert district.status_code == 403
        other_school = await client.post(
            "/v1/units", json={**school, "code": "S3", "district_id": ids[1]}, headers=city
        )
        assert (
            await client.get(f"/v1/units/{other_school.json()['id']}", headers=hr)
        ).status_code == 404
        listed = (await client.get("/v1/units", headers=hr)).json()["data"]
        assert {u["code"] for u in listed} == {"510104", "S1"}
