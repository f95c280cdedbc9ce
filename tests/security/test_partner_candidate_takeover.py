"""Finding 1: a partner pushing a person another source pushed does not take them over.

The answer to a push has the same status and shape whether or not we knew the person; the partner
sees only what it submitted itself; its erasure removes only its own submission, while HR's erasure
removes the person.
"""

from __future__ import annotations

import uuid

import pytest

from services.talent.models import Candidate, CandidateLink
from tests.talent.support import CITY_HR, partner, person, talent

pytestmark = pytest.mark.nats

FIRST = partner("first-site")
SECOND = partner("second-site")
SHAPE_FREE = {"id", "external_id", "created_at", "updated_at", "consent_at", "retention_until"}


async def test_push_of_a_known_person_answers_like_a_new_one(make_database, own_nats, identity):
    url = await make_database("talent")
    known, fresh = person(), person()
    async with talent(identity, url, own_nats.url) as api:
        await api.ok("POST", "/v1/candidates", FIRST, json=known)
        # The second partner sends the same person with other contact details of its own.
        again = await api.call(
            "POST",
            "/v1/candidates",
            SECOND,
            json=known | {"phone": "13700000001", "email": "x@y.cn"},
        )
        new = await api.call("POST", "/v1/candidates", SECOND, json=fresh)
        assert again.status_code == new.status_code == 201, again.text
        assert again.json().keys() == new.json().keys()
        # What the second partner sees is what it sent, masked; never the first partner's data.
        assert again.json()["phone"] == "137****0001"
        assert again.json()["email"] == "x***@y.cn"
        assert again.json()["external_id"] == known["external_id"]


async def test_partner_sees_and_erases_only_its_own_submission(make_database, own_nats, identity):
    url = await make_database("talent")
    body = person()
    async with talent(identity, url, own_nats.url) as api:
        first = await api.ok("POST", "/v1/candidates", FIRST, json=body)
        second = await api.ok(
            "POST", "/v1/candidates", SECOND, json=body | {"phone": "13700000002"}
        )
        listed = await api.ok("GET", "/v1/candidates", SECOND)
        assert [c["phone"] for c in listed["data"]] == ["137****0002"]
        one = await api.ok("GET", f"/v1/candidates/{second['id']}", SECOND)
        assert one["phone"] == "137****0002"

        erased = await api.call("POST", f"/v1/candidates/{second['id']}/erase", SECOND)
        assert erased.status_code == 200, erased.text
        # The first partner's record and the person stay; the second partner no longer sees them.
        still = await api.ok("GET", f"/v1/candidates/{first['id']}", FIRST)
        assert still["erased_at"] is None and still["phone"] == first["phone"]
        gone = await api.call("GET", f"/v1/candidates/{second['id']}", SECOND)
        assert gone.status_code == 404
        async with api.db.session(read_only=True) as session:
            row = await session.get(Candidate, uuid.UUID(first["id"]))
            assert row is not None and row.erased_at is None and row.id_hash is not None
            assert await session.get(CandidateLink, (SECOND.sub, row.id)) is None

        # HR decides otherwise: its erasure takes the person and every submission.
        await api.ok("POST", f"/v1/candidates/{first['id']}/erase", CITY_HR)
        async with api.db.session(read_only=True) as session:
            link = await session.get(CandidateLink, (FIRST.sub, uuid.UUID(first["id"])))
            assert link is None or link.submission_enc is None


async def test_partner_cannot_erase_what_hr_entered(make_database, own_nats, identity):
    url = await make_database("talent")
    body = person()
    async with talent(identity, url, own_nats.url) as api:
        entered = await api.ok("POST", "/v1/candidates", CITY_HR, json=body)
        pushed = await api.ok("POST", "/v1/candidates", SECOND, json=body)
        await api.ok("POST", f"/v1/candidates/{pushed['id']}/erase", SECOND)
        whole = await api.ok("GET", f"/v1/candidates/{entered['id']}", CITY_HR)
        assert whole["erased_at"] is None and whole["name"] is not None


async def test_sole_partner_erasure_still_erases_the_person(make_database, own_nats, identity):
    url = await make_database("talent")
    async with talent(identity, url, own_nats.url) as api:
        pushed = await api.ok("POST", "/v1/candidates", FIRST, json=person())
        erased = await api.ok("POST", f"/v1/candidates/{pushed['id']}/erase", FIRST)
        assert erased["erased_at"] is not None and erased["name"] is None
        async with api.db.session(read_only=True) as session:
            row = await session.get(Candidate, uuid.UUID(pushed["id"]))
            assert row is not None and row.id_hash is None and row.name_enc is None
