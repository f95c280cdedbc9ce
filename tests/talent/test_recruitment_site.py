"""A fake recruitment site integrates with teacherpool only through the gateway, over real HTTP:
it reads the open postings page by page, pushes a thousand people and their applications with
lost responses, retries and repeated Idempotency-Keys (no duplicate candidate or application),
moves some applications along, and receives one webhook per status change on its own HTTP server,
each signature checked with the `standardwebhooks` library. Another partner's data never reaches it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import nats
import pytest
from sqlalchemy import func, select
from sqlmodel import col
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from common.bus import stream_name
from common.db import Database
from contracts.base import Envelope, Event
from contracts.talent import ApplicationStatusChanged
from gateway.app import create_app as create_gateway
from gateway.ratelimit import MemoryRateLimiter
from gateway.settings import GatewaySettings
from services.talent.app import create_app as create_talent
from services.talent.models import Application, Candidate, CandidateLink, WebhookDelivery
from services.talent.models import outbox as talent_outbox
from tests.gateway.support import add_user, bearer, gateway_settings, served
from tests.support import (
    BACKENDS,
    PG_ENV,
    PG_MISSING,
    Databases,
    Identity,
    NatsServer,
    eventually,
    running,
)
from tests.talent.support import (
    ALL_SCOPES,
    SCHOOL,
    add_units,
    person,
    reservation_confirmed,
    talent_settings,
)

pytestmark = [
    pytest.mark.nats,
    # Whichever test of a scene runs first plays it, a minute or two.
    pytest.mark.timeout(600),
]

PEOPLE = 1000
CONCURRENCY = 50
#: Applications the site moves along, and the steps it may take itself (offers are the bureau's).
MOVED = 30
STEPS = ("screened", "exam", "interview")
#: People of the other partner: distinct from the site's (person(n) for n < PEOPLE).
OTHERS = range(5000, 5005)
STATUS_CHANGED = "application.status_changed"
STATUS_CHANGED_SUBJECT = ApplicationStatusChanged.event_type
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
    url: str = ""
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
    site: Partner, posting_id: str, statuses: Counter[tuple[str, int]], problems: list[str]
) -> list[Pushed]:
    """CONCURRENCY site workers push PEOPLE people and apply each to the posting. Every answer
    that breaks a rule goes into `problems`; a person whose push failed is left there."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(PEOPLE):
        queue.put_nowait(n)
    pushed: list[Pushed] = []

    def style(n: int) -> str:
        return "lost" if n % 50 == 0 else ("race" if n % 10 == 1 else "again")

    def same_answers(responses: list[httpx.Response], what: str, n: int) -> dict[str, Any] | None:
        for r in responses:
            statuses[(what, r.status_code)] += 1
        wrong = [(r.status_code, r.text) for r in responses if r.status_code != 201]
        if wrong:
            problems.append(f"{what} {n}: {wrong}")
            return None
        bodies = [r.json() for r in responses]
        if any(b != bodies[0] for b in bodies):
            problems.append(f"{what} {n}: different answers {bodies}")
        replayed = [r.headers.get("idempotent-replayed") == "true" for r in responses]
        # one of the two did it (unless a retry after a 503 found it done already)
        if len(responses) == 2 and True not in replayed:
            problems.append(f"{what} {n}: neither answer was a replay")
        return dict(bodies[0])

    async def one(n: int) -> None:
        body = person(n)
        candidate = same_answers(
            await site.post_retried("/v1/candidates", f"cand-{n}", body, style=style(n)),
            "candidate",
            n,
        )
        if candidate is None:
            return
        if candidate["external_id"] != body["external_id"]:
            problems.append(f"candidate {n}: external_id {candidate['external_id']}")
        if candidate["id_number"] == body["id_number"]:
            problems.append(f"candidate {n}: lists and answers are masked, this one is not")
        if n % 10 == 0:
            # the site lost its own record of the key and pushes the person anew
            again = await site.call("POST", "/v1/candidates", key=f"cand-new-{n}", json=body)
            statuses[("candidate again", again.status_code)] += 1
            # the same answer as for a new person: a partner never learns who we knew
            if again.status_code != 201 or again.json()["id"] != candidate["id"]:
                problems.append(f"candidate {n} again: {again.status_code} {again.text}")
        applying = {"candidate_id": candidate["id"], "posting_id": posting_id}
        application = same_answers(
            await site.post_retried("/v1/applications", f"app-{n}", applying, style=style(n)),
            "application",
            n,
        )
        if application is None:
            return
        if application["status"] != "applied":
            problems.append(f"application {n}: {application['status']}")
        if n % 10 == 0:
            twice = await site.call("POST", "/v1/applications", key=f"app-new-{n}", json=applying)
            statuses[("application again", twice.status_code)] += 1
            if twice.status_code != 409 or twice.json().get("existing_id") != application["id"]:
                problems.append(f"application {n} again: {twice.status_code} {twice.text}")
        pushed.append(Pushed(body["external_id"], candidate["id"], application["id"]))

    async def worker() -> None:
        while not queue.empty():
            n = queue.get_nowait()
            try:
                await one(n)
            except Exception as error:  # recorded: the other people go on
                problems.append(f"person {n}: {error!r}")

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return pushed


async def move_along(site: Partner, application_id: str, problems: list[str]) -> None:
    """Screened, exam, interview: each move sent twice under one key; no step skipped."""
    path = f"/v1/applications/{application_id}/transitions"
    skipped = await site.call("POST", path, json={"to": "exam"})
    if skipped.status_code != 422:
        problems.append(f"{application_id} skipped to exam: {skipped.status_code} {skipped.text}")
    for step in STEPS:
        move = {"to": step, "note": "由招聘网推进"}
        key = f"move-{application_id}-{step}"
        first = await site.call("POST", path, key=key, json=move)
        again = await site.call("POST", path, key=key, json=move)
        if (first.status_code, again.status_code) != (200, 200):
            problems.append(f"{application_id} to {step}: {first.text} {again.text}")
            return
        if again.headers.get("idempotent-replayed") != "true":
            problems.append(f"{application_id} to {step}: the second move was not a replay")
        if not first.json()["status"] == again.json()["status"] == step:
            problems.append(f"{application_id} to {step}: {first.json()} {again.json()}")


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


@dataclass
class Scene:
    """The site's day, played once per backend by the `scene` fixture: what each step answered,
    and the servers, still running, for the tests to look at afterwards."""

    talent_db: str
    nats_url: str
    gateway_url: str
    website: FakeSite
    site_key: str = ""
    other_key: str = ""
    hook: dict[str, Any] = field(default_factory=dict)
    hook_again: dict[str, Any] = field(default_factory=dict)
    theirs: dict[str, Any] = field(default_factory=dict)
    postings: list[dict[str, Any]] = field(default_factory=list)
    draft: dict[str, Any] = field(default_factory=dict)
    their_applications: list[dict[str, Any]] = field(default_factory=list)
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    retried: Counter[str] = field(default_factory=Counter)
    push_problems: list[str] = field(default_factory=list)
    push_seconds: float = 0.0
    pushed: list[Pushed] = field(default_factory=list)
    move_problems: list[str] = field(default_factory=list)
    further: int = 0
    settled: bool = False

    @property
    def posting(self) -> dict[str, Any]:
        """The posting everyone applies to."""
        return next(p for p in self.postings if p["title"] == TITLE)

    @property
    def moved(self) -> list[Pushed]:
        """The applications the site moves along."""
        return self.pushed[:MOVED]

    @property
    def expected(self) -> set[tuple[str, str]]:
        """Every status change of the site's applications: (application id, new status)."""
        return {(p.application_id, "applied") for p in self.pushed} | {
            (p.application_id, step) for p in self.moved for step in STEPS
        }

    @contextlib.asynccontextmanager
    async def partner(self, api_key: str) -> AsyncIterator[Partner]:
        """A partner calling the gateway, on this test's event loop."""
        async with httpx.AsyncClient(base_url=self.gateway_url, timeout=60) as http:
            yield Partner(http, api_key)

    async def wait_until_settled(self) -> None:
        """Wait until no webhook can still come: every talent event is published, the talent
        service has consumed each one (which queues its deliveries in the same transaction),
        and every delivery is sent for good. What the site's server holds then is all it gets."""
        if self.settled:
            return
        db = Database(self.talent_db)
        connection = await nats.connect(self.nats_url)
        js = connection.jetstream()
        stream = stream_name("talent")

        async def published() -> bool:
            table = talent_outbox.table
            query = select(func.count()).select_from(table).where(table.c.published_at.is_(None))
            async with db.session(read_only=True) as session:
                return not (await session.execute(query)).scalar_one()

        async def consumed() -> bool:
            last = await js.get_last_msg(stream, STATUS_CHANGED_SUBJECT)
            # the talent service's durable consumer of its own stream, named after it
            info = await js.consumer_info(stream, "talent")
            return (
                info.ack_floor.stream_seq >= (last.seq or 0)
                and not info.num_pending
                and not info.num_ack_pending
            )

        async def sent() -> bool:
            query = select(func.count()).select_from(WebhookDelivery)
            query = query.where(col(WebhookDelivery.status) == "pending")
            async with db.session(read_only=True) as session:
                return not (await session.execute(query)).scalar_one()

        async def done() -> bool:
            return await published() and await consumed() and await sent()

        try:
            await eventually(done, timeout=90, interval=0.2)
        finally:
            await connection.close()
            await db.dispose()
        self.settled = True


async def play(scene: Scene) -> None:
    """The site's day through the gateway, every answer kept in `scene`: HR registers both
    partners and opens postings; both subscribe to status changes; the other partner's people
    apply; the site pushes a thousand people and moves some applications along."""
    limits = httpx.Limits(max_connections=2 * CONCURRENCY + 10)
    async with httpx.AsyncClient(base_url=scene.gateway_url, limits=limits, timeout=60) as gateway:
        hr = await bearer(gateway, "cityhr")
        scene.site_key = await new_partner(gateway, hr, "蓉漂人才网")
        scene.other_key = await new_partner(gateway, hr, "另一家招聘网")
        site, other = Partner(gateway, scene.site_key), Partner(gateway, scene.other_key)
        scene.retried = site.retried
        scene.postings = [
            await open_posting(
                gateway, hr, f"{TITLE}（{n}）" if n else TITLE, nats_url=scene.nats_url
            )
            for n in range(3)
        ]
        scene.draft = await open_posting(gateway, hr, "草稿", publish=False)

        # The site subscribes first, so every status change after this reaches it.
        subscription = {
            "url": f"{scene.website.url}/hooks/site",
            "event_types": [STATUS_CHANGED],
        }
        scene.hook = await site.ok("POST", "/v1/webhooks", key="hook-1", json=subscription)
        again = await site.call("POST", "/v1/webhooks", key="hook-1", json=subscription)
        scene.hook_again = again.json()
        scene.theirs = await other.ok(
            "POST",
            "/v1/webhooks",
            json={"url": f"{scene.website.url}/hooks/other", "event_types": [STATUS_CHANGED]},
        )

        # The other partner's people apply to the same posting; one is screened.
        posting_id = scene.posting["id"]
        for n in OTHERS:
            candidate = await other.ok("POST", "/v1/candidates", json=person(n))
            scene.their_applications.append(
                await other.ok(
                    "POST",
                    "/v1/applications",
                    json={"candidate_id": candidate["id"], "posting_id": posting_id},
                )
            )
        await other.ok(
            "POST",
            f"/v1/applications/{scene.their_applications[0]['id']}/transitions",
            json={"to": "screened"},
        )

        # A thousand people, each with retries under the same key.
        pushing = time.monotonic()
        scene.pushed = await push_everyone(site, posting_id, scene.statuses, scene.push_problems)
        scene.push_seconds = time.monotonic() - pushing

        # The site moves a sample along as far as it may, then tries to take one further.
        await asyncio.gather(
            *(move_along(site, p.application_id, scene.move_problems) for p in scene.moved)
        )
        if scene.moved:
            further = await site.call(
                "POST",
                f"/v1/applications/{scene.moved[0].application_id}/transitions",
                json={"to": "assessment"},
            )
            scene.further = further.status_code


@pytest.fixture(
    scope="module",
    params=[
        # Each backend's tests share one scene, so they run on one worker; the two scenes may
        # run on two.
        pytest.param(backend, marks=pytest.mark.xdist_group(f"recruitment-site-{backend}"))
        for backend in BACKENDS
    ],
)
def scene(
    request: pytest.FixtureRequest,
    databases: Databases,
    identity: Identity,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Scene]:
    """The whole platform on real ports (talent, its NATS, the gateway, the site's server), the
    site's day played through it once; the servers run until the module's tests are done."""
    backend = request.param
    if backend == "postgresql" and not os.environ.get(PG_ENV):
        pytest.skip(PG_MISSING)
    started = time.monotonic()

    def drop(url: str) -> None:
        asyncio.run(databases.drop(url))

    with contextlib.ExitStack() as stack:
        urls = {}
        for service in ("talent", "gateway"):
            urls[service] = asyncio.run(databases.create(service, backend, shared=True))
            stack.callback(drop, urls[service])
        asyncio.run(add_units(urls["talent"]))
        asyncio.run(add_user(urls["gateway"], "cityhr", "city_hr"))
        own_nats = NatsServer(tmp_path_factory.mktemp("nats"))
        own_nats.start()
        stack.callback(own_nats.stop)
        talent_app = create_talent(
            talent_settings(
                identity,
                urls["talent"],
                own_nats.url,
                webhook_batch=200,
                webhook_retry_seconds=(0.2, 0.5, 1.0, 2.0),
            )
        )
        website = FakeSite()
        talent_server = stack.enter_context(served(talent_app))
        site_server = stack.enter_context(served(website.app()))
        website.url = site_server.url
        asyncio.run(wait_until_ready(talent_server.url))
        settings = gateway_settings(
            identity,
            urls["gateway"],
            talent_url=talent_server.url,
            # a thousand pushes and their retries in a minute: far above the default 600
            rate_limit_key_per_minute=1_000_000,
            revocation_check_seconds=5,
        )
        gateway_server = stack.enter_context(served(create_gateway(settings)))
        played = Scene(urls["talent"], own_nats.url, gateway_server.url, website)
        asyncio.run(play(played))
        print(f"\n{backend}: the site's day played in {time.monotonic() - started:.1f} s")
        yield played


@pytest.mark.slow
async def test_a_retried_webhook_registration_is_one_endpoint(scene: Scene) -> None:
    assert scene.hook["secret"].startswith("whsec_")
    assert scene.hook_again.get("id") == scene.hook["id"], scene.hook_again
    async with scene.partner(scene.site_key) as site:
        hooks = (await site.ok("GET", "/v1/webhooks"))["data"]
    assert [h["id"] for h in hooks] == [scene.hook["id"]]


@pytest.mark.slow
async def test_the_site_reads_the_open_postings_a_page_at_a_time(scene: Scene) -> None:
    async with scene.partner(scene.site_key) as site:
        seen = await site.every("/v1/postings", limit=2, status="open")
        assert sorted(p["id"] for p in seen) == sorted(p["id"] for p in scene.postings)
        assert scene.draft["id"] not in {p["id"] for p in seen}
        # then nothing new since
        newest = max(p["updated_at"] for p in seen)
        since = await site.ok("GET", "/v1/postings", params={"updated_after": newest})
    assert since["data"] == []


@pytest.mark.slow
async def test_a_thousand_pushes_with_lost_answers_and_retries_make_one_of_each(
    scene: Scene,
) -> None:
    """No duplicate candidate or application, whatever the retries, the lost answers and the
    repeated Idempotency-Keys; every answer to a retry is the first answer."""
    print(
        f"\nstatuses {dict(scene.statuses)}; retried {dict(scene.retried)}; "
        f"{PEOPLE} people pushed in {scene.push_seconds:.1f} s"
    )
    assert scene.push_problems == []
    assert len(scene.pushed) == PEOPLE
    assert len({p.candidate_id for p in scene.pushed}) == PEOPLE
    assert len({p.application_id for p in scene.pushed}) == PEOPLE


@pytest.mark.slow
async def test_the_site_moves_applications_only_as_far_as_it_may(scene: Scene) -> None:
    """No step skipped, retries of a move are replays, and offers are the bureau's."""
    assert scene.move_problems == []
    assert scene.further == 403, "the bureau, not the site, takes it further"


@pytest.mark.slow
async def test_every_status_change_reaches_the_site_once_and_signed(scene: Scene) -> None:
    await scene.wait_until_settled()
    arrived = scene.website.accepted("site")
    assert len(arrived) == len(scene.expected)
    verifier = Webhook(scene.hook["secret"])
    messages = {webhook_id: verifier.verify(h.body, h.headers) for webhook_id, h in arrived.items()}
    for h in scene.website.hooks:
        if h.who == "site":  # the refused first tries were signed as well
            verifier.verify(h.body, h.headers)
    assert {m["type"] for m in messages.values()} == {STATUS_CHANGED}
    changes = [(m["data"]["application_id"], m["data"]["to_status"]) for m in messages.values()]
    assert len(changes) == len(set(changes)), "one webhook per status change"
    assert set(changes) == scene.expected
    by_application = {p.application_id: p for p in scene.pushed}
    previous = {"applied": None, **dict(zip(STEPS, ("applied", *STEPS), strict=False))}
    for m in messages.values():
        data = m["data"]
        mine = by_application[data["application_id"]]
        assert data["candidate_id"] == mine.candidate_id
        assert data["external_id"] == mine.external_id
        assert data["posting_id"] == scene.posting["id"]
        assert data["from_status"] == previous[data["to_status"]]


@pytest.mark.slow
async def test_a_delivery_the_site_refused_comes_again(scene: Scene) -> None:
    await scene.wait_until_settled()
    refused = [h for h in scene.website.hooks if h.who == "site" and h.status >= 300]
    assert refused, "some first tries were refused"
    assert {h.id for h in refused} <= set(scene.website.accepted("site"))


@pytest.mark.slow
async def test_the_other_partners_applications_never_reach_the_site(scene: Scene) -> None:
    """And the other partner's deliveries are signed with its own secret, not the site's."""
    await scene.wait_until_settled()
    their_ids = {a["id"] for a in scene.their_applications}
    site_hooks = scene.website.accepted("site").values()
    assert not their_ids & {json.loads(h.body)["data"]["application_id"] for h in site_hooks}
    their_hooks = scene.website.accepted("other")
    assert len(their_hooks) == len(OTHERS) + 1
    their_verifier, verifier = Webhook(scene.theirs["secret"]), Webhook(scene.hook["secret"])
    for h in their_hooks.values():
        data = their_verifier.verify(h.body, h.headers)["data"]
        assert data["application_id"] in their_ids
        with pytest.raises(WebhookVerificationError):
            verifier.verify(h.body, h.headers)


@pytest.mark.slow
async def test_the_site_sees_exactly_its_own_people_through_the_gateway(scene: Scene) -> None:
    async with scene.partner(scene.site_key) as site:
        candidates = await site.every("/v1/candidates", limit=500)
        applications = await site.every("/v1/applications", limit=500)
    assert len(candidates) == PEOPLE
    assert {c["external_id"] for c in candidates} == {p.external_id for p in scene.pushed}
    assert len(applications) == PEOPLE
    assert {a["id"] for a in applications} == {p.application_id for p in scene.pushed}
    assert Counter(a["status"] for a in applications) == {
        "applied": PEOPLE - MOVED,
        "interview": MOVED,
    }


@pytest.mark.slow
async def test_the_delivery_log_has_each_delivery_and_the_refused_ones_on_a_second_try(
    scene: Scene,
) -> None:
    await scene.wait_until_settled()
    async with scene.partner(scene.site_key) as site:
        log = await site.every(f"/v1/webhooks/{scene.hook['id']}/deliveries", limit=500)
    deliveries = {d["id"]: d for d in log}
    assert len(deliveries) == len(log)
    assert {d["status"] for d in log} == {"delivered"}
    assert set(deliveries) == set(scene.website.accepted("site"))
    refused = {h.id for h in scene.website.hooks if h.who == "site" and h.status >= 300}
    assert {deliveries[i]["attempts"] for i in refused} == {2}
    assert Counter(d["attempts"] for d in log) == {
        1: len(scene.expected) - len(refused),
        2: len(refused),
    }


@pytest.mark.slow
async def test_the_talent_database_has_one_candidate_and_application_per_person(
    scene: Scene,
) -> None:
    assert await count_rows(scene.talent_db) == {
        "Candidate": PEOPLE + len(OTHERS),
        "CandidateLink": PEOPLE + len(OTHERS),
        "Application": PEOPLE + len(OTHERS),
    }


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
