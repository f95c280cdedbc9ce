"""Candidates: personal data sealed at rest, masked in lists, shown whole only to the allowed
(and recorded), one person one candidate, and erasure that leaves nothing personal behind."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlmodel import col

from common.db import Database
from services.talent.candidates.identity import check_digit, validate_id_number
from services.talent.models import Candidate, PiiAccess, TalentBase
from tests.talent.support import CITY_HR, partner, person, talent

pytestmark = pytest.mark.nats

SITE = partner("site")


async def all_text(url: str) -> str:
    """Every value of every row of every talent table, as text."""
    db = Database(url)
    try:
        async with db.session(read_only=True) as session:
            chunks: list[str] = []
            for table in TalentBase.metadata.sorted_tables:
                rows = (await session.execute(text(f'SELECT * FROM "{table.name}"'))).all()
                chunks.extend(str(value) for row in rows for value in row)
            return "\n".join(chunks)
    finally:
        await db.dispose()


def raw_bytes(url: str) -> bytes:
    """The SQLite database file and its write-ahead log, byte for byte."""
    path = Path(url.removeprefix("sqlite+aiosqlite:///"))
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


async def stored_anywhere(url: str, needles: list[str]) -> list[str]:
    haystack = await all_text(url)
    found = [n for n in needles if n in haystack]
    if url.startswith("sqlite"):
        data = raw_bytes(url)
        found += [n for n in needles if n.encode() in data or n.encode("utf-16-le") in data]
    return found


class TestPersonalDataAtRest:
    async def test_no_id_number_phone_or_email_in_plain_text(
        self, make_database, own_nats, identity
    ):
        url = await make_database("talent")
        people = [person() for _ in range(20)]
        async with talent(identity, url, own_nats.url) as api:
            for body in people:
                assert (
                    await api.call("POST", "/v1/candidates", SITE, json=body)
                ).status_code == 201
            await api.db.dispose()  # checkpoint nothing away: read what is on disk now
        needles = [p[k] for p in people for k in ("id_number", "phone", "email", "name")]
        assert await stored_anywhere(url, needles) == []

    async def test_erasure_leaves_no_personal_field(self, make_database, own_nats, identity):
        url = await make_database("talent")
        body = person()
        async with talent(identity, url, own_nats.url) as api:
            created = await api.ok(
                "POST",
                "/v1/candidates",
                SITE,
                json=body,
            )
            erased = await api.ok("POST", f"/v1/candidates/{created['id']}/erase", SITE)
            assert erased["erased_at"] is not None
            assert erased["name"] is None and erased["id_number"] is None
            async with api.db.session(read_only=True) as session:
                row = await session.get(Candidate, uuid.UUID(created["id"]))
                assert row is not None
                personal = [row.name_enc, row.id_number_enc, row.phone_enc, row.email_enc]
                assert [*personal, row.birth_date_enc, row.id_hash] == [None] * 6
                assert (row.sex, row.degree) == ("male", "master")
            again = await api.call("POST", "/v1/candidates", CITY_HR, json=body)
            assert again.status_code == 201, "an erased person is a stranger when they return"
            assert again.json()["id"] != created["id"]

    async def test_key_rotation_reads_old_rows_and_writes_with_the_new_key(
        self, make_database, own_nats, identity
    ):
        import base64
        import secrets

        url = await make_database("talent")
        old, new, hashing = (base64.b64encode(secrets.token_bytes(32)).decode() for _ in "abc")
        first = person()
        async with talent(
            identity,
            url,
            own_nats.url,
            pii_keys={"k1": old},
            pii_active_key_id="k1",
            pii_hash_key=hashing,
        ) as api:
            one = await api.ok("POST", "/v1/candidates", CITY_HR, json=first)
        async with talent(
            identity,
            url,
            own_nats.url,
            units=False,
            pii_keys={"k1": old, "k2": new},
            pii_active_key_id="k2",
            pii_hash_key=hashing,
        ) as api:
            whole = await api.ok("GET", f"/v1/candidates/{one['id']}", params={"reveal": "true"})
            assert whole["id_number"] == first["id_number"]
            two = await api.ok("POST", "/v1/candidates", CITY_HR, json=person())
            again = await api.call("POST", "/v1/candidates", CITY_HR, json=first)
            assert again.status_code == 200 and again.json()["id"] == one["id"]
            async with api.db.session(read_only=True) as session:
                row = await session.get(Candidate, uuid.UUID(two["id"]))
                assert row is not None and row.name_enc.startswith("k2:")


class TestMaskingAndReveal:
    async def test_lists_mask_and_whole_views_are_recorded(self, make_database, own_nats, identity):
        url = await make_database("talent")
        body = person()
        async with talent(identity, url, own_nats.url) as api:
            created = await api.ok("POST", "/v1/candidates", SITE, json=body)
            number = body["id_number"]
            assert created["id_number"] == f"{number[:6]}{'*' * 10}{number[-2:]}"
            assert created["phone"] == f"{body['phone'][:3]}****{body['phone'][-4:]}"
            listed = await api.ok("GET", "/v1/candidates", SITE)
            assert [c["id_number"] for c in listed["data"]] == [created["id_number"]]
            assert listed["data"][0]["external_id"] == body["external_id"]

            refused = await api.call(
                "GET", f"/v1/candidates/{created['id']}", SITE, params={"reveal": "true"}
            )
            assert refused.status_code == 403
            whole = await api.ok(
                "GET",
                f"/v1/candidates/{created['id']}",
                CITY_HR,
                params={"reveal": "true", "purpose": "资格审查"},
            )
            assert (whole["id_number"], whole["phone"], whole["email"]) == (
                number,
                body["phone"],
                body["email"],
            )
            assert whole["birth_date"] == validate_birth(number)
            async with api.db.session(read_only=True) as session:
                views = (await session.execute(select(PiiAccess))).scalars().all()
            assert [(v.actor, v.purpose) for v in views] == [(CITY_HR.sub, "资格审查")]

    async def test_whole_views_at_once_never_wait_on_each_other_for_connections(
        self, make_database, own_nats, identity
    ):
        """Eight whole views at once through a pool of two connections: each view's read hands
        its connection back before the view is recorded, so none waits for a second while
        holding the first (which would leave all of them waiting until the pool's timeout)."""
        url = await make_database("talent")
        async with talent(identity, url, own_nats.url, db_pool_size=2) as api:
            created = await api.ok("POST", "/v1/candidates", CITY_HR, json=person())
            views = await asyncio.gather(
                *(
                    api.call(
                        "GET",
                        f"/v1/candidates/{created['id']}",
                        CITY_HR,
                        params={"reveal": "true", "purpose": f"view {n}"},
                    )
                    for n in range(8)
                )
            )
            assert [v.status_code for v in views] == [200] * 8, [v.text for v in views]
            async with api.db.session(read_only=True) as session:
                recorded = (await session.execute(select(func.count(col(PiiAccess.id))))).one()
            assert recorded == (8,)


def validate_birth(number: str) -> str:
    return f"{number[6:10]}-{number[10:12]}-{number[12:14]}"


class TestIdNumberValidation:
    @pytest.mark.parametrize(
        ("number", "says"),
        [
            ("51010519950307123", "18 characters"),
            ("5101051995030712X1", "17 digits"),
            ("510105199502301234", "real date of birth"),
            ("510105209902011234", "not plausible"),
        ],
    )
    async def test_bad_numbers_get_422_naming_the_field(
        self, make_database, own_nats, identity, number, says
    ):
        url = await make_database("talent")
        async with talent(identity, url, own_nats.url) as api:
            response = await api.call("POST", "/v1/candidates", SITE, json=person(id_number=number))
            assert response.status_code == 422
            (error,) = response.json()["errors"]
            assert error["field"] == "body.id_number"
            assert says in error["message"]
            assert number not in response.text

    def test_check_digit_typo_is_named(self):
        first17 = "51010519950307123"
        good = first17 + check_digit(first17)
        assert validate_id_number(good.lower()) == good
        wrong = first17 + ("0" if good[-1] != "0" else "1")
        with pytest.raises(ValueError, match="check digit"):
            validate_id_number(wrong)

    async def test_consent_and_birth_date_must_hold(self, make_database, own_nats, identity):
        url = await make_database("talent")
        async with talent(identity, url, own_nats.url) as api:
            no_consent = await api.call("POST", "/v1/candidates", SITE, json=person(consent=False))
            assert no_consent.status_code == 422
            assert no_consent.json()["errors"][0]["field"] == "body.consent"
            wrong_birth = await api.call(
                "POST", "/v1/candidates", SITE, json=person(birth_date="1970-01-01")
            )
            assert wrong_birth.status_code == 422
            assert "birth_date" in wrong_birth.json()["errors"][0]["message"]


class TestOnePersonOneCandidate:
    async def test_second_push_returns_the_existing_candidate(
        self, make_database, own_nats, identity
    ):
        url = await make_database("talent")
        body = person()
        async with talent(identity, url, own_nats.url) as api:
            first = await api.call("POST", "/v1/candidates", SITE, json=body)
            other_site = partner("fair")
            second = await api.call(
                "POST", "/v1/candidates", other_site, json={**body, "external_id": "F-1"}
            )
            # A partner is never told whether we knew the person (tests/security finding 1).
            assert (first.status_code, second.status_code) == (201, 201)
            assert second.json()["id"] == first.json()["id"]
            assert second.json()["external_id"] == "F-1"
            async with api.db.session(read_only=True) as session:
                count = await session.execute(select(func.count()).select_from(Candidate))
                assert count.scalar_one() == 1

    async def test_merge_moves_applications_and_erases_the_duplicate(
        self, make_database, own_nats, identity
    ):
        url = await make_database("talent")
        async with talent(identity, url, own_nats.url) as api:
            posting = await api.posting()
            keep = await api.candidate(SITE)
            duplicate = await api.candidate(SITE)
            moved = await api.application(SITE, duplicate["id"], posting["id"])
            kept = await api.ok(
                "POST",
                "/v1/candidates/merge",
                json={"keep_id": keep["id"], "merge_id": duplicate["id"]},
            )
            assert kept["id"] == keep["id"]
            application = await api.ok("GET", f"/v1/applications/{moved['id']}")
            assert application["candidate_id"] == keep["id"]
            gone = await api.ok("GET", f"/v1/candidates/{duplicate['id']}")
            assert gone["merged_into_id"] == keep["id"] and gone["name"] is None


class TestRetention:
    async def test_job_erases_candidates_whose_retention_ended(
        self, make_database, own_nats, identity
    ):
        url = await make_database("talent")
        async with talent(identity, url, own_nats.url, retention_check_seconds=0.1) as api:
            past = (date.today() - timedelta(days=2)).isoformat()
            expired = await api.candidate(SITE, retention_until=past)
            kept = await api.candidate(SITE)

            async def erased() -> bool:
                body = await api.ok("GET", f"/v1/candidates/{expired['id']}")
                return body["erased_at"] is not None

            for _ in range(100):
                if await erased():
                    break
                await asyncio.sleep(0.05)
            assert await erased()
            still = await api.ok("GET", f"/v1/candidates/{kept['id']}")
            assert still["erased_at"] is None and still["name"] is not None
