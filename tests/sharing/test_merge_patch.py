"""A teacher's sharing profile is patched by JSON Merge Patch: a member left out stays, null clears
the title, null on what the profile needs is a 422 naming it. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.sharing.support import DISTRICT, add_teacher
from tests.support import principal


def hr(identity) -> dict[str, str]:
    return identity.headers(principal("district_hr", district_id=DISTRICT))


async def test_members_left_out_stay_and_null_clears_the_title(client, db, identity):
    teacher_id = await add_teacher(db, 2)
    before = (await client.get(f"/v1/teachers/{teacher_id}", headers=hr(identity))).json()
    patched = await client.patch(
        f"/v1/teachers/{teacher_id}",
        headers={**hr(identity), "content-type": "application/merge-patch+json"},
        json={"title": None},
    )
    assert patched.status_code == 200, patched.text
    after = patched.json()
    assert after["title"] is None
    for kept in NEEDED:
        assert after[kept] == before[kept], kept


NEEDED = ("subjects", "stages", "certificates", "modes", "home_timetable", "weekly_cap")


@pytest.mark.parametrize("member", [*NEEDED, "willing", "rating"])
async def test_null_on_a_member_the_profile_needs_is_422_naming_it(client, db, identity, member):
    teacher_id = await add_teacher(db, 2)
    before = (await client.get(f"/v1/teachers/{teacher_id}", headers=hr(identity))).json()
    refused = await client.patch(
        f"/v1/teachers/{teacher_id}", headers=hr(identity), json={member: None}
    )
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in refused.json()["errors"]] == [f"body.{member}"]
    after = (await client.get(f"/v1/teachers/{teacher_id}", headers=hr(identity))).json()
    assert after == before
