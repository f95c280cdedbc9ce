"""The gateway application: identity, authorization, rate limits, the proxy, docs and audit."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import swagger_ui_bundle
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from common.app import stop_tasks
from common.auth import load_signer
from common.bus import Bus, tls_context
from common.db import Database
from common.errors import ServiceUnavailable, install_problem_handlers
from common.inbox import Consumer
from common.observability import FASTAPI_TELEMETRY, RequestContextMiddleware
from contracts.asyncapi import build as build_asyncapi
from gateway.audit.endpoints import router as audit_router
from gateway.audit.events import handlers as event_handlers
from gateway.audit.recorder import AuditMiddleware, RefusalAggregator
from gateway.auth.callers import Authenticator
from gateway.auth.endpoints import router as auth_router
from gateway.auth.throttle import LoginThrottle, PasswordWork
from gateway.auth.tokens import ApiTokens
from gateway.models import messaging
from gateway.notifications.endpoints import router as notifications_router
from gateway.notifications.mailer import MailWorker, make_mailer
from gateway.notifications.service import Hub, Notifier
from gateway.openapi import DOCS_INIT_JS, MergedOpenApi, docs_page
from gateway.policy import Policy
from gateway.proxy import ApiProxy, Upstreams
from gateway.ratelimit import MemoryRateLimiter, NatsRateLimiter, RateLimiter
from gateway.security import SecurityMiddleware
from gateway.settings import GatewaySettings
from gateway.ui import install as install_ui

DOCS_ASSETS = "/api/docs/assets"
MAIL_STOP_SECONDS = 10.0


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = Database(settings.database_url, pool_size=settings.db_pool_size)
        upstreams = Upstreams(
            settings.upstreams(),
            timeout=settings.upstream_timeout_seconds,
            connect_timeout=settings.upstream_connect_timeout_seconds,
            max_connections=settings.upstream_max_connections,
        )
        bus = Bus(
            settings.common.nats_url_for("gateway"),
            name="gateway",
            replicas=settings.common.nats_stream_replicas,
            duplicate_window=settings.common.nats_duplicate_window_seconds,
            tls=tls_context(settings.common.nats_tls_ca_file),
        )
        limiter: RateLimiter = (
            NatsRateLimiter(bus) if settings.rate_limit_store == "nats" else MemoryRateLimiter()
        )
        hub = Hub()
        notifier = Notifier(hub, digest_seconds=settings.mail_digest_seconds)
        consumers = (
            [
                Consumer(
                    service="gateway",
                    publisher=publisher,
                    db=db,
                    bus=bus,
                    inbox=messaging.inbox,
                    handlers=handlers,
                )
                for publisher, handlers in event_handlers(notifier.on_event).items()
            ]
            if settings.consume_events
            else []
        )
        needs_bus = bool(consumers) or settings.rate_limit_store == "nats"
        # Tests and readiness wait on `state.bus` only when the gateway uses NATS at all.
        app.state.db, app.state.upstreams = db, upstreams
        app.state.bus = bus if needs_bus else None
        app.state.limiter = limiter
        app.state.consumers = consumers
        app.state.notifications = hub
        app.state.auth = Authenticator(settings, db, app.state.tokens, load_signer(settings.common))
        app.state.openapi = MergedOpenApi(app.openapi, upstreams)
        tasks = [asyncio.create_task(bus.connect(), name="gateway-bus")] if needs_bus else []
        tasks += [
            asyncio.create_task(c.run(), name=f"gateway-consumer-{c.stream}") for c in consumers
        ]
        mail = MailWorker(db, settings, make_mailer(settings))
        mailing = asyncio.create_task(mail.run(), name="gateway-mail")
        tasks += [
            asyncio.create_task(hub.start(bus if needs_bus else None), name="gateway-notify"),
            asyncio.create_task(
                app.state.auth.start(bus if needs_bus else None), name="gateway-revocations"
            ),
            mailing,
            asyncio.create_task(app.state.refusals.run(db), name="gateway-refusals"),
        ]
        try:
            yield
        finally:
            for consumer in consumers:
                consumer.stop()
            # A mail being sent is finished and recorded rather than cut off mid-write.
            mail.stop()
            await asyncio.wait([mailing], timeout=MAIL_STOP_SECONDS)
            await stop_tasks(tasks)
            await app.state.refusals.flush(db, everything=True)
            app.state.passwords.close()
            await bus.close()
            await limiter.close()
            await upstreams.close()
            await db.dispose()

    app = FastAPI(
        title="teacherpool gateway",
        version="1",
        lifespan=lifespan,
        telemetry=FASTAPI_TELEMETRY,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.state.tokens = ApiTokens(
        settings.common, audience=settings.api_audience, ttl=settings.access_token_ttl_seconds
    )
    app.state.policy = Policy()
    app.state.login_throttle = LoginThrottle(
        free=settings.login_free_failures,
        base_seconds=settings.login_delay_base_seconds,
        max_seconds=settings.login_delay_max_seconds,
    )
    app.state.passwords = PasswordWork(
        workers=settings.password_hash_workers, queue=settings.password_hash_queue
    )
    app.state.refusals = RefusalAggregator(settings.audit_refusal_window_seconds)
    app.state.unauthenticated_until = {}
    install_problem_handlers(app)
    # Innermost: API calls to the services are proxied before any routing, and audited.
    app.add_middleware(ApiProxy)
    app.add_middleware(AuditMiddleware)
    app.add_middleware(
        SecurityMiddleware,
        max_body_bytes=settings.max_body_bytes,
        production=settings.common.is_production,
    )
    app.add_middleware(RequestContextMiddleware, service="gateway")
    # Outermost: the client address is the one a trusted proxy forwarded, and nobody else's say.
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.forwarded_allow_ips)
    app.include_router(_health_router())
    app.include_router(auth_router)
    app.include_router(audit_router)
    app.include_router(notifications_router)
    app.include_router(_docs_router())
    app.mount(
        DOCS_ASSETS, StaticFiles(directory=Path(swagger_ui_bundle.swagger_ui_path)), name="docs"
    )
    install_ui(app)
    return app


async def _readiness(request: Request, *, upstreams: bool) -> dict[str, object]:
    clients: Upstreams = request.app.state.upstreams
    db: Database = request.app.state.db

    async def check(name: str, client: httpx.AsyncClient) -> tuple[str, bool]:
        try:
            response = await client.get("/readyz", timeout=2)
            return name, response.status_code == 200
        except httpx.HTTPError:
            return name, False

    async def database() -> tuple[str, bool]:
        try:
            await asyncio.wait_for(db.ping(), timeout=2)
            return "database", True
        except Exception:
            return "database", False

    checks = [database()]
    if upstreams:
        checks += [check(n, c) for n, c in clients.clients.items()]
    results = dict(await asyncio.gather(*checks))
    if not all(results.values()):
        down = ", ".join(sorted(n for n, ok in results.items() if not ok))
        raise ServiceUnavailable(
            f"not ready: {down}", headers={"Retry-After": "2"}, extra={"services": results}
        )
    return {"status": "ready", "services": results}


def _health_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz(request: Request) -> dict[str, object]:
        """The gateway can serve: its database answers. A service that is down gets 503s on its
        own routes only, so one service never takes every other one out of rotation."""
        return await _readiness(request, upstreams=False)

    @router.get("/readyz/upstreams")
    async def readyz_upstreams(request: Request) -> dict[str, object]:
        """The gateway and every service behind it are ready (what `teacherpool up` waits for)."""
        return await _readiness(request, upstreams=True)

    @router.get("/metrics")
    async def metrics(request: Request) -> Response:
        """Prometheus metrics, for the scoped token only (or, without one, for a loopback caller
        that came through no proxy); everyone else gets a plain 404."""
        if not _may_read_metrics(request):
            return Response(status_code=404)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


def _may_read_metrics(request: Request) -> bool:
    settings: GatewaySettings = request.app.state.settings
    if settings.metrics_token:
        scheme, _, presented = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            presented.strip().encode(), settings.metrics_token.encode()
        )
    forwarded = "x-forwarded-for" in request.headers or "forwarded" in request.headers
    host = request.client.host if request.client else ""
    return not forwarded and host in ("127.0.0.1", "::1")


def _docs_router() -> APIRouter:
    router = APIRouter(prefix="/api", include_in_schema=False)

    @router.get("/openapi.json")
    async def openapi(request: Request) -> JSONResponse:
        merged: MergedOpenApi = request.app.state.openapi
        return JSONResponse(await merged.document())

    @router.get("/asyncapi.json")
    async def asyncapi() -> JSONResponse:
        return JSONResponse(build_asyncapi())

    @router.get("/docs")
    async def docs() -> HTMLResponse:
        return HTMLResponse(docs_page(DOCS_ASSETS))

    @router.get("/docs/assets/docs-init.js")
    async def docs_init() -> Response:
        return Response(DOCS_INIT_JS, media_type="text/javascript")

    return router
