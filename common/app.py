"""The service application factory: database, bus, outbox relay, consumers, health and metrics."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi import Path as FastApiPath
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from common.auth import load_verifier
from common.bus import Bus, tls_context
from common.db import Database
from common.deadletters import DeadLetterNotFound, DeadLetterStillFails, replay
from common.deps import CurrentPrincipal
from common.errors import Conflict, NotFound, ServiceUnavailable, install_problem_handlers
from common.inbox import Consumer, Handler
from common.models import MessagingTables
from common.observability import FASTAPI_TELEMETRY, RequestContextMiddleware
from common.openapi import describe_errors
from common.outbox import Outbox, OutboxRelay
from common.readcache import ReadCache
from common.settings import ServiceSettings
from contracts.reconciliation import ReplayedDeadLetter

log = logging.getLogger(__name__)

BackgroundJob = Callable[[FastAPI], Coroutine[Any, Any, None]]
#: How often a task that outlived its cancellation is cancelled again, and for how long.
RECANCEL_SECONDS = 0.5
STOP_SECONDS = 15.0


async def stop_tasks(tasks: Sequence[asyncio.Task[Any]]) -> None:
    """Cancel the tasks and wait for them, cancelling again any that carry on.

    A library may swallow a cancellation: on Python 3.11 `asyncio.wait_for` loses one that
    arrives just as what it waits on fails, and nats-py's first connect then retries forever.
    A process must stop on SIGTERM all the same.
    """
    pending = {task for task in tasks if not task.done()}
    deadline = asyncio.get_running_loop().time() + STOP_SECONDS
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=RECANCEL_SECONDS)
        if pending and asyncio.get_running_loop().time() > deadline:
            log.error("tasks did not stop: %s", ", ".join(t.get_name() for t in pending))
            return
    for task in tasks:
        if not task.cancelled() and task.exception() is not None:
            log.warning("task %s ended with %r", task.get_name(), task.exception())


@dataclass(slots=True)
class ServiceSpec:
    """What one service brings to the factory."""

    settings: ServiceSettings
    title: str
    version: str
    routers: Sequence[APIRouter]
    messaging: MessagingTables
    outbox: Outbox
    consumes: Mapping[str, Mapping[str, Handler]] = field(default_factory=dict)
    jobs: Sequence[BackgroundJob] = ()


def create_service_app(spec: ServiceSpec) -> FastAPI:
    settings = spec.settings
    name = settings.service_name

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = Database(settings.database_url, pool_size=settings.db_pool_size)
        bus = Bus(
            settings.common.nats_url_for(name),
            name=name,
            replicas=settings.common.nats_stream_replicas,
            duplicate_window=settings.common.nats_duplicate_window_seconds,
            tls=tls_context(settings.common.nats_tls_ca_file),
        )
        relay = OutboxRelay(db, spec.outbox, bus, sweep_seconds=settings.outbox_sweep_seconds)
        consumers = [
            Consumer(
                service=name,
                publisher=publisher,
                db=db,
                bus=bus,
                inbox=spec.messaging.inbox,
                handlers=handlers,
                batch=settings.consumer_batch,
                max_attempts=settings.consumer_max_attempts,
            )
            for publisher, handlers in spec.consumes.items()
        ]
        app.state.db, app.state.bus, app.state.relay = db, bus, relay
        app.state.read_cache = ReadCache(db, service=name)
        app.state.consumers = consumers
        tasks = [
            asyncio.create_task(bus.connect(), name=f"{name}-bus"),
            asyncio.create_task(relay.run(), name=f"{name}-relay"),
            *(asyncio.create_task(c.run(), name=f"{name}-consumer-{c.stream}") for c in consumers),
            *(asyncio.create_task(job(app), name=f"{name}-job") for job in spec.jobs),
        ]
        try:
            yield
        finally:
            relay.stop()
            for consumer in consumers:
                consumer.stop()
            await stop_tasks(tasks)
            await bus.close()
            app.state.read_cache.close()
            await db.dispose()

    app = FastAPI(
        title=spec.title,
        version=spec.version,
        lifespan=lifespan,
        telemetry=FASTAPI_TELEMETRY,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.verifier = load_verifier(settings.common, settings.service_name)
    install_problem_handlers(app)
    document_real_errors(app, frozenset({"/healthz", "/readyz"}))
    app.add_middleware(RequestContextMiddleware, service=name)
    app.include_router(health_router())
    app.include_router(dead_letters_router())
    for router in spec.routers:
        app.include_router(router)
    return app


def document_real_errors(app: FastAPI, public_paths: frozenset[str] = frozenset()) -> None:
    """`/openapi.json` documents the problem+json errors the app really answers with."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = describe_errors(generate(), public_paths=public_paths)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend it


#: Replaying a dead letter changes data: city HR decides, once the cause is fixed.
REPLAYERS = ("city_hr",)
#: A stream sequence is an unsigned 64-bit number in NATS.
MAX_SEQUENCE = 2**63 - 1


def dead_letters_router() -> APIRouter:
    router = APIRouter(prefix="/v1/internal/dead-letters", tags=["reconciliation"])

    @router.post(
        "/{sequence}/replay",
        response_model=ReplayedDeadLetter,
        summary="Apply a dead letter of this service again and take it off the list",
    )
    async def replay_dead_letter(
        sequence: Annotated[int, FastApiPath(ge=1, le=MAX_SEQUENCE)],
        request: Request,
        principal: CurrentPrincipal,
    ) -> ReplayedDeadLetter:
        """Only this service's own dead letters (`dlq.<service>`): it applies the event with the
        consumer that gave up on it; nothing is published again. 404 for a letter that is
        gone or another service's; 409 with the reason when applying it fails again."""
        principal.require_role(*REPLAYERS)
        bus: Bus = request.app.state.bus
        if not bus.ready.is_set():
            raise ServiceUnavailable("NATS not reachable", headers={"Retry-After": "2"})
        try:
            letter = await replay(bus.js, sequence, request.app.state.consumers)
        except DeadLetterNotFound as error:
            raise NotFound(str(error)) from error
        except DeadLetterStillFails as error:
            raise Conflict(
                f"the event still fails: {error}", extra={"reason": str(error)}
            ) from error
        log.info("dead letter %s replayed: %s %s", sequence, letter.event_type, letter.event_id)
        return ReplayedDeadLetter(
            sequence=sequence, event_id=letter.event_id, event_type=letter.event_type
        )

    return router


def health_router() -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="The database and NATS are reachable")
    async def readyz(request: Request) -> dict[str, str]:
        db: Database = request.app.state.db
        bus: Bus = request.app.state.bus
        try:
            await asyncio.wait_for(db.ping(), timeout=2)
        except Exception as error:
            raise ServiceUnavailable(
                f"database not reachable: {error.__class__.__name__}", headers={"Retry-After": "2"}
            ) from error
        if not bus.is_connected or not bus.ready.is_set():
            raise ServiceUnavailable("NATS not reachable", headers={"Retry-After": "2"})
        return {"status": "ready"}

    @router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router
