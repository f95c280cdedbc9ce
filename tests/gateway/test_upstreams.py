"""Through the gateway to a real service on a real port: scope checks, outages and recovery."""

from __future__ import annotations

import uuid

from common.db import Database
from gateway.app import create_app
from services.staffing.app import create_app as create_staffing
from services.staffing.models import Unit
from services.staffing.settings import StaffingSettings
from services.staffing.units.service import add_unit
from tests.gateway.support import add_user, bearer, gateway_settings, served
from tests.support import Identity, running, service_settings


async def seed_two_districts(url: str) -> dict[str, uuid.UUID]:
    db = Database(url)
    ids: dict[str, uuid.UUID] = {}
    try:
        async with db.session() as session:
            for name in ("east", "west"):
                district = await add_unit(
                    session, Unit(kind="district", code=f"D-{name}", name=name, stages=[])
                )
                school = await add_unit(
                    session,
                    Unit(
                        kind="school",
                        code=f"S-{name}",
                        name=f"{name} school",
                        district_id=district.id,
                        stages=["primary"],
                    ),
                )
                ids[name], ids[f"{name}-school"] = district.id, school.id
    finally:
        await db.dispose()
    return ids


def staffing_app(identity: Identity, url: str):
    return create_staffing(service_settings(StaffingSettings, identity, url, "nats://127.0.0.1:1"))


async def test_objects_outside_the_callers_scope_are_refused(make_database, identity):
    staffing_url, gateway_url = await make_database("staffing"), await make_database("gateway")
    ids = await seed_two_districts(staffing_url)
    await add_user(gateway_url, "east.hr", "district_hr", district_id=ids["east"])
    await add_user(gateway_url, "east.school", "school_admin", unit_id=ids["east-school"])
    with served(staffing_app(identity, staffing_url)) as upstream:
        settings = gateway_settings(identity, gateway_url, staffing_url=upstream.url)
        async with running(create_app(settings), "http://gateway") as client:
            district_hr = await bearer(client, "east.hr")
            school = await bearer(client, "east.school")
            own = await client.get(
                f"/api/staffing/v1/units/{ids['east-school']}", headers=district_hr
            )
            other = await client.get(
                f"/api/staffing/v1/units/{ids['west-school']}", headers=district_hr
            )
            other_district = await client.get(
                f"/api/staffing/v1/units/{ids['west']}", headers=district_hr
            )
            listed = await client.get("/api/staffing/v1/units", headers=district_hr)
            school_other = await client.get(f"/api/staffing/v1/units/{ids['east']}", headers=school)
            foreign_school = await client.post(
                "/api/staffing/v1/units",
                json={
                    "kind": "school",
                    "code": "S-new",
                    "name": "new",
                    "stages": ["primary"],
                    "district_id": str(ids["west"]),
                },
                headers=district_hr,
            )
    assert own.status_code == 200
    assert other.status_code == 404 and other_district.status_code == 404
    assert {u["code"] for u in listed.json()["data"]} == {"D-east", "S-east"}
    assert school_other.status_code == 404
    assert foreign_school.status_code == 403


async def test_a_service_that_is_down_gives_503_and_the_gateway_recovers(make_database, identity):
    staffing_url, gateway_url = await make_database("staffing"), await make_database("gateway")
    await add_user(gateway_url, "cityhr", "city_hr")
    upstream = served(staffing_app(identity, staffing_url))
    server = upstream.__enter__()
    port = server.port
    settings = gateway_settings(identity, gateway_url, staffing_url=server.url)
    async with running(create_app(settings), "http://gateway") as client:
        hr = await bearer(client, "cityhr")
        assert (await client.get("/api/staffing/v1/units", headers=hr)).status_code == 200
        upstream.__exit__(None, None, None)

        down = await client.get("/api/staffing/v1/units", headers=hr)
        assert down.status_code == 503
        assert down.headers["content-type"] == "application/problem+json"
        assert int(down.headers["Retry-After"]) > 0
        assert "Traceback" not in down.text
        assert (await client.get("/healthz")).status_code == 200
        # One service down keeps the gateway in rotation for every other service.
        assert (await client.get("/readyz")).status_code == 200
        all_ready = await client.get("/readyz/upstreams")
        assert all_ready.status_code == 503 and "staffing" in all_ready.json()["detail"]

        with served(staffing_app(identity, staffing_url), port=port):
            back = await client.get("/api/staffing/v1/units", headers=hr)
            assert back.status_code == 200
