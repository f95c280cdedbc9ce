"""Idempotency-Key: a retry gets the first response; a reused key with another body is 422;
fifty concurrent pushes of overlapping people, and a thousand people pushed concurrently with
retries, make no duplicate."""

from __future__ import annotations

import asyncio
import json
import os
import time
from datetime import date

import pytest
from sqlalchemy import event, func, insert, select
from sqlmodel import col

from common.db import utcnow
from services.talent.candidates.schemas import CandidateCreate
from services.talent.candidates.service import guess_new_person
from services.talent.idempotency import Idempotency
from services.talent.models import Application, Candidate, CandidateLink, IdempotencyRecord
from tests.support import PG_ENV, PG_MISSING
from tests.talent.support import partner, person, talent

pytestmark = pytest.mark.nats

SITE = partner("site")


class TestReplay:
    async def test_same_key_same_body_gets_the_first_response(
        self, make_database, own_nats, identity
    ):
        async with talent(identity, await make_database("talent"), own_nats.url) as api:
            body = person()
            first = await api.call("POST", "/v1/candidates", SITE, key="k-1", json=body)
            again = await api.call("POST", "/v1/candidates", SITE, key="k-1", json=body)
            assert (first.status_code, again.status_code) == (201, 201)
            assert again.json() == first.json()
            assert again.headers["idempotent-replayed"] == "true"

    async def test_same_key_other_body_is_422(self, make_database, own_nats, identity):
        async with talent(identity, await make_database("talent"), own_nats.url) as api:
            await api.call("POST", "/v1/candidates", SITE, key="k-2", json=person())
            other = await api.call("POST", "/v1/candidates", SITE, key="k-2", json=person())
            assert other.status_code == 422
            assert other.json()["errors"][0]["field"] == "header.Idempotency-Key"

    async def test_keys_are_per_partner(self, make_database, own_nats, identity):
        async with talent(identity, await make_database("talent"), own_nats.url) as api:
            mine = await api.call("POST", "/v1/candidates", SITE, key="k-3", json=person())
            theirs = await api.call(
                "POST", "/v1/candidates", partner("other"), key="k-3", json=person()
            )
            assert (mine.status_code, theirs.status_code) == (201, 201)
            assert mine.json()["id"] != theirs.json()["id"]


class TestGuessedAnswer:
    """On PostgreSQL a partner's push under a new key guesses the person is new: the claim, the
    candidate and the link go in one statement. These hold on both databases."""

    async def test_a_new_person_is_one_statement_on_postgresql(
        self, make_database, own_nats, identity, backend
    ):
        async with talent(identity, await make_database("talent"), own_nats.url) as api:
            sent: list[str] = []

            @event.listens_for(api.db.engine.sync_engine, "before_cursor_execute")
            def count(_conn, _cursor, statement, *_args) -> None:
                sent.append(statement)

            once: list[str] = []
            execute_once = api.db.execute_once

            async def counted(statement, params):
                once.append(str(statement))
                return await execute_once(statement, params)

            api.db.execute_once = counted
            pushed = await api.call("POST", "/v1/candidates", SITE, key="g-1", json=person())
            assert pushed.status_code == 201, pushed.text
            # (the service's background jobs share the engine: only the push's tables count)
            push = [s for s in sent if "idempotency_keys" in s or "INTO candidate" in s]
            if backend == "postgresql":
                # one statement on the driver, none through SQLAlchemy's execution
                assert (len(once), push) == (1, []), (once, push)
                assert "INTO candidates" in once[0] and "INTO idempotency_keys" in once[0]
            else:
                assert once == []
                assert len(push) == 4, push  # the claim, the person, the link, the answer

    async def test_a_known_person_gets_the_known_id_and_nothing_of_the_guess_stays(
        self, make_database, own_nats, identity
    ):
        async with talent(identity, await make_database("talent"), own_nats.url) as api:
            body = person()
            first = await api.call("POST", "/v1/candidates", partner("fair"), key="g-2", json=body)
            again = await api.call("POST", "/v1/candidates", SITE, key="g-3", json=body)
            replay = await api.call("POST", "/v1/candidates", SITE, key="g-3", json=body)
            assert (first.status_code, again.status_code, replay.status_code) == (201, 201, 201)
            assert again.json()["id"] == first.json()["id"]
            assert replay.json() == again.json()
            seen = await api.call("GET", f"/v1/candidates/{again.json()['id']}", SITE)
            assert seen.json() == again.json()
            async with api.db.session(read_only=True) as session:
                stored = (
                    await session.execute(
                        select(IdempotencyRecord).where(col(IdempotencyRecord.key) == "g-3")
                    )
                ).scalar_one()
                candidates = (await session.execute(select(func.count(col(Candidate.id))))).one()
            assert json.loads(stored.body) == again.json()
            assert str(stored.resource_id) == first.json()["id"]
            assert candidates == (1,)

    async def test_the_guessed_answer_is_what_the_partner_reads_later(
        self, make_database, own_nats, identity
    ):
        async with talent(identity, await make_database("talent"), own_nats.url) as api:
            pushed = await api.call("POST", "/v1/candidates", SITE, key="g-4", json=person())
            seen = await api.call("GET", f"/v1/candidates/{pushed.json()['id']}", SITE)
            listed = await api.call("GET", "/v1/candidates", SITE)
            assert seen.json() == pushed.json()
            assert listed.json()["data"] == [pushed.json()]


class TestOneStatementIntake:
    """On PostgreSQL a partner's push of a new person under a new key is one statement without
    a transaction; a key claimed meanwhile makes it fail whole."""

    async def test_a_key_claimed_while_the_statement_runs_leaves_nothing_of_it(
        self, databases, own_nats, identity
    ):
        if not os.environ.get(PG_ENV):
            pytest.skip(PG_MISSING)
        url = await databases.create("talent", "postgresql")
        try:
            await self._raced(url, own_nats, identity)
        finally:
            await databases.drop_created()

    async def _raced(self, url, own_nats, identity) -> None:
        async with talent(identity, url, own_nats.url) as api:
            app = api.app.state
            body = CandidateCreate.model_validate(person())
            guess = guess_new_person(
                SITE, app.pii, body, today=date(2026, 12, 1), retention_days=365
            )
            key = Idempotency(key="raced", fingerprint="other request")
            async with api.db.session() as first:
                # Another request's claim of the key, not committed yet: the statement's guard
                # cannot see it, so the person and link go in and the claim waits on it.
                await first.execute(
                    insert(IdempotencyRecord).values(
                        owner=SITE.sub,
                        key="raced",
                        request_hash="first request",
                        status_code=201,
                        body="{}",
                        created_at=utcnow(),
                    )
                )
                racing = asyncio.create_task(key.at_once(api.db, SITE, lambda: guess))
                await asyncio.sleep(0.3)
                assert not racing.done()
            assert await racing is None
            async with api.db.session(read_only=True) as session:
                candidates = (await session.execute(select(func.count(col(Candidate.id))))).one()
                links = (
                    await session.execute(select(func.count(col(CandidateLink.candidate_id))))
                ).one()
            assert (candidates, links) == ((0,), (0,))

    async def test_one_key_raced_by_ten_people_adds_one(self, make_database, own_nats, identity):
        async with talent(identity, await make_database("talent"), own_nats.url) as api:
            answers = await asyncio.gather(
                *(
                    api.call("POST", "/v1/candidates", SITE, key="shared", json=person(700 + n))
                    for n in range(10)
                )
            )
            statuses = sorted(a.status_code for a in answers)
            assert statuses == [201] + [422] * 9, [a.text for a in answers]
            async with api.db.session(read_only=True) as session:
                counts = [
                    (await session.execute(select(func.count()).select_from(model))).scalar_one()
                    for model in (Candidate, CandidateLink, IdempotencyRecord)
                ]
            assert counts == [1, 1, 1]


class TestConcurrentIntake:
    async def test_overlapping_pushes_make_one_candidate_per_person_and_one_answer_per_key(
        self, make_database, own_nats, identity
    ):
        """Fifty pushes at once: ten people, each pushed by two partners, under two keys each
        and again under the same key, all racing."""
        partners = (SITE, partner("fair"))
        people = [person(500 + n) for n in range(10)]
        pushes = [
            (partners[i % 2], (i // 2) % 10, f"push-{(i // 2) % 10}-{(i // 20) % 2}")
            for i in range(50)
        ]
        async with talent(identity, await make_database("talent"), own_nats.url) as api:
            answers = await asyncio.gather(
                *(
                    api.call("POST", "/v1/candidates", who, key=key, json=people[n])
                    for who, n, key in pushes
                )
            )
            assert {a.status_code for a in answers} == {201}, [a.text for a in answers]
            by_key: dict[tuple[str, str], set[str]] = {}
            by_person: dict[tuple[str, int], set[str]] = {}
            for (who, n, key), answer in zip(pushes, answers, strict=True):
                by_key.setdefault((who.sub, key), set()).add(answer.text)
                by_person.setdefault((who.sub, n), set()).add(answer.json()["id"])
            assert all(len(bodies) == 1 for bodies in by_key.values()), by_key
            assert all(len(ids) == 1 for ids in by_person.values()), by_person
            async with api.db.session(read_only=True) as session:

                async def count(model) -> int:
                    query = select(func.count()).select_from(model)
                    return int((await session.execute(query)).scalar_one())

                assert await count(Candidate) == len(people)
                assert await count(CandidateLink) == len(people) * len(partners)
                assert await count(IdempotencyRecord) == len(by_key)


@pytest.mark.slow
async def test_a_thousand_people_with_retries_make_no_duplicates(make_database, own_nats, identity):
    people = [person(n) for n in range(1000)]
    async with talent(identity, await make_database("talent"), own_nats.url) as api:
        posting = await api.posting(count=1000)
        queue: asyncio.Queue[int] = asyncio.Queue()
        for n in range(len(people)):
            queue.put_nowait(n)
        statuses: list[int] = []

        async def site_client() -> None:
            while not queue.empty():
                n = queue.get_nowait()
                body = people[n]
                # a retry racing the first attempt, under the same key
                pushed = await asyncio.gather(
                    *(
                        api.call("POST", "/v1/candidates", SITE, key=f"c-{n}", json=body)
                        for _ in range(2)
                    )
                )
                candidate_id = pushed[0].json()["id"]
                assert pushed[1].json()["id"] == candidate_id
                # the site lost its key and pushes the person again
                lost = await api.call("POST", "/v1/candidates", SITE, key=f"c2-{n}", json=body)
                assert lost.json()["id"] == candidate_id
                applied = await asyncio.gather(
                    *(
                        api.call(
                            "POST",
                            "/v1/applications",
                            SITE,
                            key=f"a-{n}",
                            json={"candidate_id": candidate_id, "posting_id": posting["id"]},
                        )
                        for _ in range(2)
                    )
                )
                statuses.extend(r.status_code for r in (*pushed, lost, *applied))

        started = time.monotonic()
        await asyncio.gather(*(site_client() for _ in range(50)))
        elapsed = time.monotonic() - started
        assert set(statuses) <= {200, 201}, sorted(set(statuses))
        async with api.db.session(read_only=True) as session:

            async def count(model) -> int:
                query = select(func.count()).select_from(model)
                return int((await session.execute(query)).scalar_one())

            assert await count(Candidate) == 1000
            assert await count(CandidateLink) == 1000
            assert await count(Application) == 1000
        assert elapsed < 240
