"""Roster changes reach sharing over real NATS, from the real staffing service: a hire, a dated
title, a subject change, a transfer and a departure each update the teacher's profile."""

from __future__ import annotations

from typing import Any

import pytest

from services.sharing.app import create_app
from services.sharing.settings import SharingSettings
from tests.staffing.support import staffing
from tests.support import eventually, principal, running, service_settings

pytestmark = pytest.mark.nats


async def test_roster_changes_update_the_sharing_profile(make_database, own_nats, identity):
    staffing_url, sharing_url = await make_database("staffing"), await make_database("sharing")
    city_hr = identity.headers(principal("city_hr"))
    settings = service_settings(SharingSettings, identity, sharing_url, own_nats.url)
    async with (
        staffing(identity, staffing_url, own_nats.url) as hr,
        running(create_app(settings)) as sharing,
    ):
        district = await hr.district("510105")
        first = await hr.school(district["id"], "510105-S0401", posts=2)
        second = await hr.school(district["id"], "510105-S0402", posts=2)
        hired = await hr.hire(first["id"], subject="音乐", title="二级教师", hire_date="2020-09-01")
        assert hired.status_code == 201, hired.text
        staff_id = hired.json()["id"]
        profile: dict[str, Any] = {}

        async def profile_shows(**wanted: Any) -> None:
            async def matches() -> bool:
                response = await sharing.get(f"/v1/teachers/{staff_id}", headers=city_hr)
                if response.status_code != 200:
                    return False
                profile.update(response.json())
                return all(profile.get(k) == v for k, v in wanted.items())

            await eventually(matches)

        await profile_shows(title="二级教师", unit_id=first["id"], active=True)
        assert profile["subjects"] == ["音乐"]

        promoted = await hr.ok(
            "POST",
            f"/v1/staff/{staff_id}/titles",
            json={"title": "一级教师", "effective_from": "2026-09-01", "document_no": "职改1号"},
        )
        assert promoted["title"] == "一级教师"
        titles = await hr.ok("GET", f"/v1/staff/{staff_id}/titles")
        assert [(t["title"], t["effective_from"]) for t in titles] == [
            ("二级教师", "2020-09-01"),
            ("一级教师", "2026-09-01"),
        ]
        await profile_shows(title="一级教师")

        moved = await hr.ok("PATCH", f"/v1/staff/{staff_id}", json={"subject": "美术"})
        assert moved["subject"] == "美术"

        async def subject_moved() -> bool:
            response = await sharing.get(f"/v1/teachers/{staff_id}", headers=city_hr)
            return bool(response.json()["subjects"] == ["美术"])

        await eventually(subject_moved)

        transferred = await hr.call(
            "POST", f"/v1/staff/{staff_id}/transfer", json={"to_unit_id": second["id"]}
        )
        assert transferred.status_code == 200, transferred.text
        await profile_shows(unit_id=second["id"], title="一级教师")

        left = await hr.call("POST", f"/v1/staff/{staff_id}/departure", json={"reason": "retired"})
        assert left.status_code == 200, left.text
        await profile_shows(active=False)
        assert await hr.verify() == []


async def test_a_pe_request_ranks_the_rosters_pe_teachers(make_database, own_nats, identity):
    """The roster's PE teacher (体育与健康, the curriculum's name on both sides) is found."""
    staffing_url, sharing_url = await make_database("staffing"), await make_database("sharing")
    settings = service_settings(SharingSettings, identity, sharing_url, own_nats.url)
    async with (
        staffing(identity, staffing_url, own_nats.url) as hr,
        running(create_app(settings)) as sharing,
    ):
        district = await hr.district("510105")
        home = await hr.school(district["id"], "510105-S0501", posts=1)
        host = await hr.school(district["id"], "510105-S0502", posts=1)
        hired = await hr.hire(home["id"], subject="体育与健康", stage="primary", title="一级教师")
        assert hired.status_code == 201, hired.text
        teacher_id = hired.json()["id"]
        city_hr = identity.headers(principal("city_hr"))
        admin = identity.headers(
            principal("school_admin", unit_id=host["id"], district_id=district["id"])
        )

        async def known() -> bool:
            unit = await sharing.get(f"/v1/units/{host['id']}", headers=city_hr)
            profile = await sharing.get(f"/v1/teachers/{teacher_id}", headers=city_hr)
            return unit.status_code == profile.status_code == 200

        await eventually(known)
        # The teacher joins the sharing library (入库) for the subject the roster gave them.
        own = identity.headers(principal("teacher", teacher_id=teacher_id))
        applied = await sharing.post(
            "/v1/library/applications",
            headers=own,
            json={
                "offered": [{"subject": "体育与健康", "stage": "primary"}],
                "modes": ["in_person"],
                "weekly_cap": 4,
                "areas": [district["id"]],
            },
        )
        assert applied.status_code == 201, applied.text
        home_admin = identity.headers(
            principal("school_admin", unit_id=home["id"], district_id=district["id"])
        )
        district_hr = identity.headers(principal("district_hr", district_id=district["id"]))
        for path, who in (("consent", home_admin), ("decide", district_hr)):
            answered = await sharing.post(
                f"/v1/library/applications/{applied.json()['id']}/{path}",
                headers=who,
                json={"approve": True},
            )
            assert answered.status_code == 200, answered.text
        opened = await sharing.post(
            "/v1/requests",
            headers=admin,
            json={
                "subject": "体育与健康",
                "stage": "primary",
                "slots": [[1, 1], [3, 2]],
                "term_start": "2027-03-01",
                "term_end": "2027-07-10",
                "mode": "in_person",
                "reason": "缺体育教师",
            },
        )
        assert opened.status_code == 201, opened.text
        ranked = await sharing.get(
            f"/v1/requests/{opened.json()['id']}/candidates", headers=city_hr
        )
        assert ranked.status_code == 200, ranked.text
        assert [c["teacher_id"] for c in ranked.json()["data"]] == [teacher_id]
