"""A streaming reverse proxy to the services over pooled keep-alive connections."""

from __future__ import annotations

import asyncio
import logging

import httpx
from fastapi import Request, Response
from starlette.background import BackgroundTask
from starlette.requests import ClientDisconnect
from starlette.responses import StreamingResponse

from common.errors import DomainError, NotFound, ServiceUnavailable
from common.observability import current_traceparent, request_id_var

log = logging.getLogger(__name__)

#: Connection-scoped headers (RFC 9110 §7.6.1) that a proxy must not forward.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)
#: Credentials of the caller at the gateway; services get the gateway's signed token instead.
CALLER_CREDENTIALS = frozenset({"authorization", "cookie", "x-api-key", "x-csrf-token"})
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
CONNECT_RETRIES = 2
KEEPALIVE_EXPIRY = 15.0


class BadGateway(DomainError):
    status, slug, title = 502, "bad-gateway", "The service's answer was lost"


class ClientGone(DomainError):
    status, slug, title = 400, "client-closed-request", "The client went away"


class Upstreams:
    """One pooled client per service."""

    def __init__(
        self,
        urls: dict[str, str],
        *,
        timeout: float,
        connect_timeout: float,
        max_connections: int,
    ) -> None:
        # Idle connections are dropped well before the services' keep-alive timeout (65 s), so
        # the gateway never reuses a connection that a service is closing at that moment.
        limits = httpx.Limits(
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=KEEPALIVE_EXPIRY,
        )
        self.clients = {
            name: httpx.AsyncClient(
                base_url=url,
                limits=limits,
                timeout=httpx.Timeout(timeout, connect=connect_timeout),
                transport=httpx.AsyncHTTPTransport(limits=limits),
            )
            for name, url in urls.items()
        }

    def client(self, service: str) -> httpx.AsyncClient:
        try:
            return self.clients[service]
        except KeyError:
            raise NotFound(f"no service named {service}") from None

    async def close(self) -> None:
        await asyncio.gather(*(client.aclose() for client in self.clients.values()))


def forward_headers(request: Request, extra: dict[str, str] | None = None) -> list[tuple[str, str]]:
    connection_listed = {
        token.strip().lower()
        for token in request.headers.get("connection", "").split(",")
        if token.strip()
    }
    headers = [
        (name, value)
        for name, value in request.headers.items()
        if name not in HOP_BY_HOP
        and name not in CALLER_CREDENTIALS
        and name not in connection_listed
        and name not in ("x-request-id", "traceparent")
    ]
    headers.append(("x-request-id", request_id_var.get() or ""))
    headers.append(("traceparent", current_traceparent() or ""))
    if request.client:
        headers.append(("x-forwarded-for", request.client.host))
    for name, value in (extra or {}).items():
        headers = [(n, v) for n, v in headers if n != name]
        headers.append((name, value))
    return headers


async def proxy(
    request: Request,
    upstreams: Upstreams,
    service: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
) -> Response:
    """Send the request on to `service` and stream its answer back."""
    client = upstreams.client(service)
    method = request.method
    url = httpx.URL(path=f"/{path}", query=request.url.query.encode())
    body = None if method in ("GET", "HEAD") else request.stream()
    upstream_request = client.build_request(
        method, url, headers=forward_headers(request, headers), content=body
    )
    attempts = 1 + (CONNECT_RETRIES if method in IDEMPOTENT else 0)
    for attempt in range(1, attempts + 1):
        try:
            upstream = await client.send(upstream_request, stream=True)
            break
        except httpx.ConnectError as error:
            if attempt == attempts:
                raise ServiceUnavailable(
                    f"the {service} service is not reachable", headers={"Retry-After": "5"}
                ) from error
            await asyncio.sleep(0.05 * attempt)
        except httpx.TimeoutException as error:
            raise ServiceUnavailable(
                f"the {service} service did not answer in time", headers={"Retry-After": "5"}
            ) from error
        except ClientDisconnect as error:
            raise ClientGone("the client closed the request before sending all of it") from error
        except httpx.TransportError as error:
            # The connection broke under the request: a read without a body is safe to send
            # again; anything else is for the caller to retry (with its Idempotency-Key).
            if body is None and attempt < attempts:
                await asyncio.sleep(0.05 * attempt)
                continue
            raise BadGateway(
                f"the connection to the {service} service broke", headers={"Retry-After": "1"}
            ) from error
    response = StreamingResponse(
        upstream.aiter_raw(),
        status_code=upstream.status_code,
        background=BackgroundTask(upstream.aclose),
    )
    # Raw pairs, not a dict: repeated headers such as Set-Cookie must all get through.
    response.raw_headers = [
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in upstream.headers.multi_items()
        if name.lower() not in HOP_BY_HOP
    ]
    return response
