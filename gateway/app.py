"""The gateway application: health, metrics and the proxy to every service."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx
from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from common.errors import ServiceUnavailable, install_problem_handlers
from common.observability import RequestContextMiddleware
from gateway.proxy import Upstreams, proxy
from gateway.settings import GatewaySettings

PROXY_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.upstreams = Upstreams(
            settings.upstreams(),
            timeout=settings.upstream_timeout_seconds,
            connect_timeout=settings.upstream_connect_timeout_seconds,
            max_connections=settings.upstream_max_connections,
        )
        try:
            yield
        finally:
            await app.state.upstreams.close()

    app = FastAPI(
        title="teacherpool gateway",
        version="1",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    install_problem_handlers(app)
    app.add_middleware(RequestContextMiddleware, service="gateway")
    app.include_router(_router())
    return app


def _router() -> APIRouter:
    router = APIRouter()

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz(request: Request) -> dict[str, object]:
        upstreams: Upstreams = request.app.state.upstreams

        async def check(name: str, client: httpx.AsyncClient) -> tuple[str, bool]:
            try:
                response = await client.get("/readyz", timeout=2)
                return name, response.status_code == 200
            except httpx.HTTPError:
                return name, False

        results = dict(await asyncio.gather(*(check(n, c) for n, c in upstreams.clients.items())))
        if not all(results.values()):
            down = ", ".join(sorted(n for n, ok in results.items() if not ok))
            raise ServiceUnavailable(
                f"not ready: {down}", headers={"Retry-After": "2"}, extra={"services": results}
            )
        return {"status": "ready", "services": results}

    @router.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @router.api_route("/api/{service}/{path:path}", methods=PROXY_METHODS)
    async def forward(service: str, path: str, request: Request) -> Response:
        return await proxy(request, request.app.state.upstreams, service, path)

    return router
