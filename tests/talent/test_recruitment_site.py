"""A fake recruitment site integrates with teacherpool only through the gateway, over real HTTP:
it reads the open postings page by page, pushes a thousand people and their applications with
lost responses, retries and repeated Idempotency-Keys (no duplicate candidate or application),
moves some applications along, and receives one webhook per status change on its own HTTP server,
each signature checked with the `standardwebhooks` library. Another partner's data never reaches it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import nats
import pytest
from sqlalchemy import func, select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from common.db import Database
from contracts.base import Envelope, Event
from gateway.app import create_app as create_gateway
from gateway.ratelimit import MemoryRateLimiter
from gateway.settings import GatewaySettings
from services.talent.app import create_app as create_talent
from services.talent.models import Application, Candidate, CandidateLink
from tests.gateway.support import add_user, bearer, gateway_settings, served
from tests.support import Identity, eventually, running
from tests.talent.support import (
    ALL_SCOPES,
    SCHOOL,
    add_units,
    person,
    reservation_confirmed,
    talent_settings,
)

pytestmark = pytest.mark.nats

PEOPLE = 1000
CONCURRENCY = 50
#: Applications the site moves along, and the steps it may take itself (offers are the bureau's).
MOVED = 30
STEPS = ("screened", "exam", "interview")
#: People of the other partner: distinct from the site's (person(n) for n < PEOPLE).
OTHERS = range(5000, 5005)
STATUS_CHANGED = "application.status_changed"
TITLE = "高中数学教师"
#: Answers a careful client sends again (same request, same key), and how often it tries.
TRANSIENT = frozenset({429, 502, 503, 504})
TRIES = 5


@dataclass
class Hook:
    """One webhook request as the site's server saw it, and what the server answered."""

    who: str
    body: bytes
    headers: dict[str, str]
    status: int

    @property
    def id(self) -> str:
        return self.headers["webhook-id"]


@dataclass
class FakeSite:
    """The recruitment site's own HTTP server (run under uvicorn on a real port): records every
    webhook request under `/hooks/{who}`; the first try of every `fail_every`-th delivery gets a
    503, as a site that is briefly down would answer, so those arrive again later."""

    fail_every: int = 25
    hooks: list[Hook] = field(default_factory=list)
    _first_tries: dict[str, int] = field(default_factory=dict)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/hooks/{who}", self._receive, methods=["POST"])])

    async def _receive(self, request: Request) -> Response:
        headers = {name.lower(): value for name, value in request.headers.items()}
        webhook_id = headers.get("webhook-id", "")
        retry = webhook_id in self._first_tries
        if not retry:
            self._first_tries[webhook_id] = len(self._first_tries) + 1
        down = not retry and self._first_tries[webhook_id] % self.fail_every == 0
        status = 503 if down else 204
        who = request.path_params["who"]
        self.hooks.append(Hook(who, await request.body(), headers, status))
        return Response(status_code=status)

    def accepted(self, who: str) -> dict[str, Hook]:
        """The deliveries answered 2xx at `/hooks/{who}`, by webhook-id (the dedupe key)."""
        return {h.id: h for h in list(self.hooks) if h.who == who and h.status < 300}


class Partner:
    """A partner client calling the gateway with its API key, as a careful HTTP client would:
    a network error, 429 or 502-504 is sent again, the same request under the same key, after
    Retry-After (capped to keep the test short). Any other answer, 500 included, is final."""

    def __init__(self, http: httpx.AsyncClient, api_key: str) -> None:
        self.http = http
        self.headers = {"X-API-Key": api_key}
        self.retried: Counter[str] = Counter()

    async def call(
        self, method: str, path: str, *, key: str | None = None, tries: int = TRIES, **kwargs: Any
    ) -> httpx.Response:
        headers = dict(self.headers)
        if key is not None:
            headers["Idempotency-Key"] = key
        url = f"/api/talent{path}"
        for attempt in range(1, tries + 1):
            last = attempt == tries
            try:
                response = await self.http.request(method, url, headers=headers, **kwargs)
            except httpx.TransportError as error:
                if last:
                    raise
                self.retried[type(error).__name__] += 1
                await asyncio.sleep(0.1 * attempt)
                continue
            if last or response.status_code not in TRANSIENT:
                return response
            self.retried[f"HTTP {response.status_code}"] += 1
            await asyncio.sleep(min(float(response.headers.get("retry-after", "1")), 1.0))
        raise AssertionError("unreachable")

    async def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.call(method, path, **kwargs)
        assert response.status_code < 300, (method, path, response.status_code, response.text)
        return response.json() if response.content else None

    async def every(self, path: str, limit: int, **params: Any) -> list[dict[str, Any]]:
        """All rows of a list, following `next_cursor` page by page."""
        rows: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
            page = await self.ok("GET", path, params=query)
            assert len(page["data"]) <= limit
            rows += page["data"]
            cursor = page.get("next_cursor")
            if not cursor:
                return rows

    async def post_retried(
        self, path: str, key: str, body: dict[str, Any], *, style: str
    ) -> list[httpx.Response]:
        """POST `body` under `key` as a client that lost the first response and retries:
        `race` sends the retry while the first is under way; `lost` gives up on the first after
        a few milliseconds (the request may or may not have been done) and sends it again;
        `again` waits for the first answer, then sends the same request once more."""
        if style == "race":
            return list(
                await asyncio.gather(*(self.call("POST", path, key=key, json=body) for _ in "12"))
            )
        if style == "lost":
            try:
                await self.call("POST", path, key=key, json=body, tries=1, timeout=0.005)
            except httpx.TimeoutException:
                self.retried["lost response"] += 1
            return [await self.call("POST", path, key=key, json=body)]
        first = await self.call("POST", path, key=key, json=body)
        return [first, await self.call("POST", path, key=key, json=body)]


async def wait_until_ready(url: str) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=5) as client:

        async def ready() -> bool:
            return (await client.get("/readyz")).status_code == 200

        await eventually(ready, timeout=30)


async def new_partner(gateway: httpx.AsyncClient, hr: dict[str, str], name: str) -> str:
    """City HR registers a partner client with every talent scope; its key, shown once."""
    created = await gateway.post(
        "/api/auth/v1/partners", json={"name": name, "scopes": list(ALL_SCOPES)}, headers=hr
    )
    assert created.status_code == 201, created.text
    key = await gateway.post(
        f"/api/auth/v1/partners/{created.json()['id']}/keys", json={}, headers=hr
    )
    assert key.status_code == 201, key.text
    return str(key.json()["api_key"])


async def open_posting(
    gateway: httpx.AsyncClient,
    hr: dict[str, str],
    title: str,
    *,
    publish: bool = True,
    nats_url: str = "",
) -> dict[str, Any]:
    """A `control` posting, created and opened by HR, once staffing (played here) holds it."""
    created = await gateway.post(
        "/api/talent/v1/postings",
        headers=hr,
        json={
            "unit_id": str(SCHOOL),
            "title": title,
            "subject": "数学",
            "stage": "senior",
            "count": PEOPLE,
            "quota_type": "control",
        },
    )
    assert created.status_code == 201, created.text
    if not publish:
        return dict(created.json())
    opened = await gateway.post(f"/api/talent/v1/postings/{created.json()['id']}/open", headers=hr)
    assert opened.status_code == 200, opened.text
    assert opened.json()["status"] == "pending_quota"
    await staffing_publishes(nats_url, reservation_confirmed(opened.json()))
    path = f"/api/talent/v1/postings/{opened.json()['id']}"
    found: dict[str, Any] = {}

    async def open_now() -> bool:
        found.update((await gateway.get(path, headers=hr)).json())
        return found["status"] == "open"

    await eventually(open_now)
    return found


async def staffing_publishes(nats_url: str, event: Event) -> None:
    """Publish on STAFFING as the staffing service would."""
    envelope = Envelope.wrap(event, source="teacherpool/staffing", subject=str(uuid.uuid4()))
    connection = await nats.connect(nats_url)
    try:
        await connection.jetstream().publish(
            envelope.type,
            envelope.model_dump_json().encode(),
            headers={"Nats-Msg-Id": str(envelope.id)},
        )
    finally:
        await connection.close()


@dataclass
class Pushed:
    """What the site learnt of one person it pushed."""

    external_id: str
    candidate_id: str
    application_id: str


async def push_everyone(
    site: Partner, posting_id: str, statuses: Counter[tuple[str, int]]
) -> list[Pushed]:
    """CONCURRENCY site workers push PEOPLE people and apply each to the posting."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(PEOPLE):
        queue.put_nowait(n)
    pushed: list[Pushed] = []

    def style(n: int) -> str:
        return "lost" if n % 50 == 0 else ("race" if n % 10 == 1 else "again")

    def same_answers(responses: list[httpx.Response], what: str) -> dict[str, Any]:
        for r in responses:
            statuses[(what, r.status_code)] += 1
            assert r.status_code == 201, (what, r.status_code, r.headers, r.text)
        bodies = [r.json() for r in responses]
        assert all(b == bodies[0] for b in bodies), (what, bodies)
        replayed = [r.headers.get("idempotent-replayed") == "true" for r in responses]
        if len(responses) == 2:
            # one of the two did it (unless a retry after a 503 found it done already)
            assert True in replayed, (what, replayed)
        return dict(bodies[0])

    async def worker() -> None:
        while not queue.empty():
            n = queue.get_nowait()
            body = person(n)
            candidate = same_answers(
                await site.post_retried("/v1/candidates", f"cand-{n}", body, style=style(n)),
                "candidate",
            )
            assert candidate["external_id"] == body["external_id"]
            assert candidate["id_number"] != body["id_number"], "lists and answers are masked"
            if n % 10 == 0:
                # the site lost its own record of the key and pushes the person anew
                again = await site.call("POST", "/v1/candidates", key=f"cand-new-{n}", json=body)
                statuses[("candidate again", again.status_code)] += 1
                # the same answer as for a new person: a partner never learns who we knew
                assert again.status_code == 201, again.text
                assert again.json()["id"] == candidate["id"]
            applying = {"candidate_id": candidate["id"], "posting_id": posting_id}
            application = same_answers(
                await site.post_retried("/v1/applications", f"app-{n}", applying, style=style(n)),
                "application",
            )
            assert application["status"] == "applied"
            if n % 10 == 0:
                twice = await site.call(
                    "POST", "/v1/applications", key=f"app-new-{n}", json=applying
                )
                statuses[("application again", twice.status_code)] += 1
                assert twice.status_code == 409, twice.text
                assert twice.json()["existing_id"] == application["id"]
            pushed.append(Pushed(body["external_id"], candidate["id"], application["id"]))

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return pushed


async def move_along(site: Partner, application_id: str) -> None:
    """Screened, exam, interview: each move sent twice under one key; no step skipped."""
    path = f"/v1/applications/{application_id}/transitions"
    skipped = await site.call("POST", path, json={"to": "exam"})
    assert skipped.status_code == 422, skipped.text
    for step in STEPS:
        move = {"to": step, "note": "由招聘网推进"}
        key = f"move-{application_id}-{step}"
        first = await site.call("POST", path, key=key, json=move)
        again = await site.call("POST", path, key=key, json=move)
        assert (first.status_code, again.status_code) == (200, 200), (first.text, again.text)
        assert again.headers["idempotent-replayed"] == "true"
        assert first.json()["status"] == again.json()["status"] == step


async def count_rows(database_url: str) -> dict[str, int]:
    db = Database(database_url)
    try:
        async with db.session(read_only=True) as session:
            counts = {}
            for model in (Candidate, CandidateLink, Application):
                query = select(func.count()).select_from(model)
                counts[model.__name__] = int((await session.execute(query)).scalar_one())
            return counts
    finally:
        await db.dispose()


@pytest.mark.slow
@pytest.mark.timeout(600)
async def test_the_recruitment_site_integrates_only_through_the_gateway(
    make_database, own_nats, identity: Identity
):
    started = time.monotonic()
    talent_db, gateway_db = await make_database("talent"), await make_database("gateway")
    await add_units(talent_db)
    await add_user(gateway_db, "cityhr", "city_hr")
    talent_app = create_talent(
        talent_settings(
            identity,
            talent_db,
            own_nats.url,
            webhook_batch=200,
            webhook_retry_seconds=(0.2, 0.5, 1.0, 2.0),
        )
    )
    website = FakeSite()
    with contextlib.ExitStack() as stack:
        talent_server = stack.enter_context(served(talent_app))
        site_server = stack.enter_context(served(website.app()))
        await wait_until_ready(talent_server.url)
        settings = gateway_settings(
            identity,
            gateway_db,
            talent_url=talent_server.url,
            # a thousand pushes and their retries in a minute: far above the default 600
            rate_limit_key_per_minute=1_000_000,
            revocation_check_seconds=5,
        )
        gateway_server = stack.enter_context(served(create_gateway(settings)))
        limits = httpx.Limits(max_connections=2 * CONCURRENCY + 10)
        async with httpx.AsyncClient(
            base_url=gateway_server.url, limits=limits, timeout=60
        ) as gateway:
            hr = await bearer(gateway, "cityhr")
            site = Partner(gateway, await new_partner(gateway, hr, "蓉漂人才网"))
            other = Partner(gateway, await new_partner(gateway, hr, "另一家招聘网"))
            postings = [
                await open_posting(
                    gateway, hr, f"{TITLE}（{n}）" if n else TITLE, nats_url=own_nats.url
                )
                for n in range(3)
            ]
            draft = await open_posting(gateway, hr, "草稿", publish=False)

            # The site subscribes first, so every status change after this reaches it.
            hook = await site.ok(
                "POST",
                "/v1/webhooks",
                key="hook-1",
                json={"url": f"{site_server.url}/hooks/site", "event_types": [STATUS_CHANGED]},
            )
            secret = hook["secret"]
            assert secret.startswith("whsec_")
            replay = await site.call(
                "POST",
                "/v1/webhooks",
                key="hook-1",
                json={"url": f"{site_server.url}/hooks/site", "event_types": [STATUS_CHANGED]},
            )
            assert replay.json()["id"] == hook["id"], "a retried registration is one endpoint"
            assert len((await site.ok("GET", "/v1/webhooks"))["data"]) == 1
            theirs = await other.ok(
                "POST",
                "/v1/webhooks",
                json={"url": f"{site_server.url}/hooks/other", "event_types": [STATUS_CHANGED]},
            )

            # Reading the open postings a page at a time, then nothing new since.
            seen = await site.every("/v1/postings", limit=2, status="open")
            assert sorted(p["id"] for p in seen) == sorted(p["id"] for p in postings)
            assert draft["id"] not in {p["id"] for p in seen}
            newest = max(p["updated_at"] for p in seen)
            since = await site.ok("GET", "/v1/postings", params={"updated_after": newest})
            assert since["data"] == []
            posting = next(p for p in seen if p["title"] == TITLE)

            # The other partner's people apply to the same posting; one is screened.
            their_applications = []
            for n in OTHERS:
                candidate = await other.ok("POST", "/v1/candidates", json=person(n))
                their_applications.append(
                    await other.ok(
                        "POST",
                        "/v1/applications",
                        json={"candidate_id": candidate["id"], "posting_id": posting["id"]},
                    )
                )
            await other.ok(
                "POST",
                f"/v1/applications/{their_applications[0]['id']}/transitions",
                json={"to": "screened"},
            )

            # A thousand people, each with retries under the same key.
            statuses: Counter[tuple[str, int]] = Counter()
            pushing = time.monotonic()
            pushed = await push_everyone(site, posting["id"], statuses)
            push_seconds = time.monotonic() - pushing
            assert len(pushed) == PEOPLE
            assert len({p.candidate_id for p in pushed}) == PEOPLE
            assert len({p.application_id for p in pushed}) == PEOPLE

            # The site moves a sample along as far as it may; retries of a move are replays.
            moved = pushed[:MOVED]
            await asyncio.gather(*(move_along(site, p.application_id) for p in moved))
            further = await site.call(
                "POST",
                f"/v1/applications/{moved[0].application_id}/transitions",
                json={"to": "assessment"},
            )
            assert further.status_code == 403, "the bureau, not the site, takes it further"

            # Every status change arrives, once, at the site's server.
            expected = {(p.application_id, "applied") for p in pushed} | {
                (p.application_id, step) for p in moved for step in STEPS
            }

            async def all_arrived() -> bool:
                return len(website.accepted("site")) >= len(expected) and (
                    len(website.accepted("other")) >= len(OTHERS) + 1
                )

            await eventually(all_arrived, timeout=90, interval=0.2)
            await asyncio.sleep(0.5)  # anything extra would come now
            arrived = website.accepted("site")
            assert len(arrived) == len(expected)

            verifier = Webhook(secret)
            messages = {
                webhook_id: verifier.verify(h.body, h.headers) for webhook_id, h in arrived.items()
            }
            for h in website.hooks:
                if h.who == "site":  # the refused first tries were signed as well
                    verifier.verify(h.body, h.headers)
            assert {m["type"] for m in messages.values()} == {STATUS_CHANGED}
            changes = [
                (m["data"]["application_id"], m["data"]["to_status"]) for m in messages.values()
            ]
            assert len(changes) == len(set(changes)), "one webhook per status change"
            assert set(changes) == expected
            by_application = {p.application_id: p for p in pushed}
            previous = {"applied": None, **dict(zip(STEPS, ("applied", *STEPS), strict=False))}
            for m in messages.values():
                data = m["data"]
                mine = by_application[data["application_id"]]
                assert data["candidate_id"] == mine.candidate_id
                assert data["external_id"] == mine.external_id
                assert data["posting_id"] == posting["id"]
                assert data["from_status"] == previous[data["to_status"]]

            refused = [h for h in website.hooks if h.who == "site" and h.status >= 300]
            assert refused, "some first tries were refused"
            assert {h.id for h in refused} <= set(arrived), "each refused delivery came again"

            # Nothing about the other partner's applications reached the site, and the other
            # partner's deliveries are signed with its own secret, not the site's.
            their_ids = {a["id"] for a in their_applications}
            assert not their_ids & {a for a, _ in changes}
            their_hooks = website.accepted("other")
            assert len(their_hooks) == len(OTHERS) + 1
            their_verifier = Webhook(theirs["secret"])
            for h in their_hooks.values():
                data = their_verifier.verify(h.body, h.headers)["data"]
                assert data["application_id"] in their_ids
                with pytest.raises(WebhookVerificationError):
                    verifier.verify(h.body, h.headers)

            # What the site sees through the gateway: exactly its thousand, nothing twice.
            candidates = await site.every("/v1/candidates", limit=500)
            assert len(candidates) == PEOPLE
            assert {c["external_id"] for c in candidates} == {p.external_id for p in pushed}
            applications = await site.every("/v1/applications", limit=500)
            assert len(applications) == PEOPLE
            assert {a["id"] for a in applications} == set(by_application)
            assert Counter(a["status"] for a in applications) == {
                "applied": PEOPLE - MOVED,
                "interview": MOVED,
            }
            # The delivery log: each delivered, the refused ones on their second attempt.
            log_path = f"/v1/webhooks/{hook['id']}/deliveries"

            async def all_logged() -> bool:
                log = await site.every(log_path, limit=500)
                return {d["status"] for d in log} == {"delivered"}

            await eventually(all_logged, timeout=20, interval=0.5)
            deliveries = {d["id"]: d for d in await site.every(log_path, limit=500)}
            assert set(deliveries) == set(arrived)
            refused_ids = {h.id for h in refused}
            assert {deliveries[i]["attempts"] for i in refused_ids} == {2}
            assert Counter(d["attempts"] for d in deliveries.values()) == {
                1: len(expected) - len(refused_ids),
                2: len(refused_ids),
            }

    # And in the talent database itself: one candidate and one application per person.
    rows = await count_rows(talent_db)
    assert rows == {
        "Candidate": PEOPLE + len(OTHERS),
        "CandidateLink": PEOPLE + len(OTHERS),
        "Application": PEOPLE + len(OTHERS),
    }
    print(
        f"\nstatuses {dict(statuses)}; retried {dict(site.retried)}; "
        f"{PEOPLE} people pushed in {push_seconds:.1f} s; "
        f"{len(website.hooks)} webhook requests; whole test {time.monotonic() - started:.1f} s"
    )


async def test_the_default_key_limit_answers_429_with_retry_after(make_database, identity):
    """With the default per-key limit, a site pushing this fast would be told to slow down."""
    gateway_db = await make_database("gateway")
    await add_user(gateway_db, "cityhr", "city_hr")
    settings = gateway_settings(identity, gateway_db)
    limit = GatewaySettings.model_fields["rate_limit_key_per_minute"].default
    assert settings.rate_limit_key_per_minute == limit
    app = create_gateway(settings)
    async with running(app, base_url="http://gateway") as gateway:
        api_key = await new_partner(gateway, await bearer(gateway, "cityhr"), "急躁的招聘网")
        headers = {"X-API-Key": api_key}
        # The burst is sent within one instant of the limiter's clock, however slow this machine
        # is: the bucket refills at limit/60 a second, which a slow run would otherwise see.
        limiter = app.state.limiter
        assert isinstance(limiter, MemoryRateLimiter)
        instant = time.monotonic()
        limiter.clock = lambda: instant
        # A route no rule opens: refused (403) after the rate limit, before any upstream call.
        answers = []
        for _ in range(limit + 50):
            answer = await gateway.get("/api/talent/v1/no-such-route", headers=headers)
            answers.append(answer)
            if answer.status_code == 429:
                break
        codes = Counter(a.status_code for a in answers)
        assert codes[429] == 1 and codes[403] >= limit, codes
        limited = answers[-1]
        assert int(limited.headers["Retry-After"]) >= 1
        assert limited.headers["RateLimit-Limit"] == str(limit)
        assert limited.headers["content-type"] == "application/problem+json"
