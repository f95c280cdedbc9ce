"""The reverse proxy to the services: `/api/<service>/…` as plain ASGI over pooled connections.

API calls are the gateway's hot path, so they skip the router, dependency resolution and
response classes: the request is authenticated, authorized against the policy table and sent
on through httpx's connection pool (httpcore) with the signed identity, and the answer is
streamed back as it arrives. The UI, readiness checks and the docs use ordinary httpx clients.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import ssl
from collections.abc import AsyncIterable, AsyncIterator
from urllib.parse import quote, urlsplit

import httpcore
import httpx
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from common.errors import DomainError, NotFound, ServiceUnavailable, problem_for
from common.observability import current_traceparent, request_id_var
from gateway.deps import current_caller
from gateway.network import AsyncioBackend

log = logging.getLogger(__name__)

#: Connection-scoped headers (RFC 9110 §7.6.1) that a proxy must not forward.
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"host",
        b"content-length",
    }
)
#: Credentials of the caller at the gateway; services get the gateway's signed token instead.
CALLER_CREDENTIALS = frozenset({b"authorization", b"cookie", b"x-api-key", b"x-csrf-token"})
#: Set by the gateway itself on every forwarded request.
GATEWAY_SET = frozenset({b"x-request-id", b"traceparent", b"x-forwarded-for"})
DROPPED = HOP_BY_HOP | CALLER_CREDENTIALS | GATEWAY_SET
#: Hop-by-hop headers that must not come back either; the server frames the answer itself.
RESPONSE_DROPPED = HOP_BY_HOP - {b"content-length"}
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
BODILESS = frozenset({"GET", "HEAD"})
BROKEN = (httpcore.NetworkError, httpcore.ProtocolError, httpcore.TimeoutException)
CONNECT_RETRIES = 2
#: Answers up to this size are read whole and passed on in one piece.
WHOLE_BODY_BYTES = 256 * 1024
KEEPALIVE_EXPIRY = 15.0
#: Connections in each of an upstream's pools (see Upstream).
POOL_SIZE = 16


class BadGateway(DomainError):
    status, slug, title = 502, "bad-gateway", "The service's answer was lost"


class ClientGone(DomainError):
    status, slug, title = 400, "client-closed-request", "The client went away"


class Upstream:
    """One service: its address and the pool of keep-alive connections the proxy sends on."""

    def __init__(
        self, name: str, url: str, *, timeout: float, connect_timeout: float, max_connections: int
    ) -> None:
        parts = urlsplit(url)
        self.name = name
        self.scheme = parts.scheme.encode("ascii")
        self.host = (parts.hostname or "").encode("ascii")
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.netloc = parts.netloc.encode("ascii")
        self.prefix = parts.path.rstrip("/").encode("ascii")
        self.timeouts = {
            "connect": connect_timeout,
            "read": timeout,
            "write": timeout,
            "pool": timeout,
        }
        # Idle connections are dropped well before the services' keep-alive timeout (65 s), so
        # the gateway never reuses a connection that a service is closing at that moment.
        # Several small pools taken in turn rather than one: for every request it starts and
        # ends, an httpcore pool looks over its connections once for each idle one, so its
        # cost grows with the square of its size.
        per_pool = min(max_connections, POOL_SIZE)
        self.pools = tuple(
            httpcore.AsyncConnectionPool(
                max_connections=per_pool,
                max_keepalive_connections=per_pool,
                keepalive_expiry=KEEPALIVE_EXPIRY,
                network_backend=AsyncioBackend(),
            )
            for _ in range(-(-max_connections // per_pool))
        )
        self._turn = itertools.cycle(self.pools)

    def pool(self) -> httpcore.AsyncConnectionPool:
        """The pool whose turn it is."""
        return next(self._turn)

    def url(self, target: bytes) -> httpcore.URL:
        return httpcore.URL(
            scheme=self.scheme, host=self.host, port=self.port, target=self.prefix + target
        )


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The certificate store the upstream clients verify TLS with, as httpx makes it by default
    (certifi, or SSL_CERT_FILE / SSL_CERT_DIR), loaded once per process rather than per client."""
    return httpx.create_ssl_context()


class Upstreams:
    """Every service: a connection pool for the proxy and an httpx client for everything else."""

    def __init__(
        self,
        urls: dict[str, str],
        *,
        timeout: float,
        connect_timeout: float,
        max_connections: int,
    ) -> None:
        self.upstreams = {
            name: Upstream(
                name,
                url,
                timeout=timeout,
                connect_timeout=connect_timeout,
                max_connections=max_connections,
            )
            for name, url in urls.items()
        }
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
                transport=httpx.AsyncHTTPTransport(limits=limits, verify=tls_context()),
            )
            for name, url in urls.items()
        }

    def client(self, service: str) -> httpx.AsyncClient:
        try:
            return self.clients[service]
        except KeyError:
            raise NotFound(f"no service named {service}") from None

    async def close(self) -> None:
        await asyncio.gather(
            *(client.aclose() for client in self.clients.values()),
            *(pool.aclose() for upstream in self.upstreams.values() for pool in upstream.pools),
        )


def forward_headers(
    scope: Scope, upstream: Upstream, authorization: bytes
) -> list[tuple[bytes, bytes]]:
    """The caller's headers less hop-by-hop ones and credentials, plus the gateway's own."""
    raw: list[tuple[bytes, bytes]] = scope["headers"]
    connection_listed: set[bytes] = set()
    for name, value in raw:
        if name == b"connection":
            connection_listed.update(t.strip().lower() for t in value.split(b",") if t.strip())
    headers = [
        (name, value)
        for name, value in raw
        if name not in DROPPED and name not in connection_listed
    ]
    headers += [
        (b"host", upstream.netloc),
        (b"authorization", authorization),
        (b"x-request-id", (request_id_var.get() or "").encode("latin-1")),
        (b"traceparent", (current_traceparent() or "").encode("latin-1")),
    ]
    client = scope.get("client")
    if client:
        headers.append((b"x-forwarded-for", client[0].encode("latin-1")))
    if scope["method"] not in BODILESS:
        length = next((v for n, v in raw if n == b"content-length"), None)
        framing = b"transfer-encoding", b"chunked"
        headers.append((b"content-length", length) if length is not None else framing)
    return headers


async def _request_body(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone("the client closed the request before sending all of it")
        body = message.get("body", b"")
        if body:
            yield body
        if not message.get("more_body", False):
            return


async def send_upstream(
    upstream: Upstream,
    method: str,
    target: bytes,
    headers: list[tuple[bytes, bytes]],
    body: AsyncIterable[bytes] | None,
) -> httpcore.Response:
    """Send on one pooled connection; only a read, or a connection never made, is tried again."""
    attempts = 1 + (CONNECT_RETRIES if method in IDEMPOTENT else 0)
    url = upstream.url(target)
    for attempt in range(1, attempts + 1):
        request = httpcore.Request(
            method,
            url,
            headers=headers,
            content=body,
            extensions={"timeout": upstream.timeouts},
        )
        try:
            return await upstream.pool().handle_async_request(request)
        except httpcore.ConnectError as error:
            if attempt == attempts:
                raise ServiceUnavailable(
                    f"the {upstream.name} service is not reachable", headers={"Retry-After": "5"}
                ) from error
        except httpcore.TimeoutException as error:
            raise ServiceUnavailable(
                f"the {upstream.name} service did not answer in time",
                headers={"Retry-After": "5"},
            ) from error
        except (httpcore.NetworkError, httpcore.ProtocolError) as error:
            # The connection broke under the request: a read without a body is safe to send
            # again; anything else is for the caller to retry (with its Idempotency-Key).
            if body is not None or attempt == attempts:
                raise BadGateway(
                    f"the connection to the {upstream.name} service broke",
                    headers={"Retry-After": "1"},
                ) from error
        await asyncio.sleep(0.05 * attempt)
    raise AssertionError("unreachable")


async def relay(
    response: httpcore.Response, scope: Scope, receive: Receive, send: Send, service: str
) -> None:
    """Pass the service's answer on: a small one whole, anything else streamed as it arrives."""
    headers = [
        (name.lower(), value)
        for name, value in response.headers
        if name.lower() not in RESPONSE_DROPPED
    ]
    length = next((v for n, v in headers if n == b"content-length"), b"")
    start = {"type": "http.response.start", "status": response.status, "headers": headers}
    try:
        if length.isdigit() and int(length) <= WHOLE_BODY_BYTES:
            try:
                body = await response.aread()
            except BROKEN as error:
                lost = BadGateway(
                    f"the {service} service's answer broke off", headers={"Retry-After": "1"}
                )
                log.warning("%s", lost.detail, exc_info=error)
                await problem_for(lost, scope["path"])(scope, receive, send)
                return
            await send(start)
            await send({"type": "http.response.body", "body": body})
            return
        await send(start)
        async for chunk in response.aiter_stream():
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
    except BROKEN:
        # The answer has started: all that is left is to end the client's connection.
        log.warning("the %s service's answer broke off part-way", service)
    finally:
        await response.aclose()


class ApiProxy:
    """`/api/<service>/…`: authenticate, authorize the route, forward with the signed identity.

    Anything else, including the gateway's own `/api/auth`, `/api/audit` and the docs, goes on
    to the application's router.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        service, slash, path = scope["path"][5:].partition("/")
        upstreams: Upstreams = scope["app"].state.upstreams
        upstream = upstreams.upstreams.get(service)
        if upstream is None or not slash:
            await self.app(scope, receive, send)
            return
        try:
            response = await self._forward(scope, receive, upstream, f"/{path}")
        except DomainError as error:
            await problem_for(error, scope["path"])(scope, receive, send)
            return
        await relay(response, scope, receive, send, service)

    async def _forward(
        self, scope: Scope, receive: Receive, upstream: Upstream, path: str
    ) -> httpcore.Response:
        request = Request(scope, receive)
        state = scope["app"].state
        caller = await current_caller(request)
        rule = state.policy.authorize(caller.principal, upstream.name, scope["method"], path)
        scope.setdefault("state", {})["audit_action"] = f"/api/{upstream.name}{rule.template}"
        token = state.auth.internal_token(caller, upstream.name)
        target = _target(scope, upstream.name)
        headers = forward_headers(scope, upstream, b"Bearer " + token.encode("ascii"))
        body = None if scope["method"] in BODILESS else _request_body(receive)
        return await send_upstream(upstream, scope["method"], target, headers, body)


def _target(scope: Scope, service: str) -> bytes:
    """The request target at the service: the path as the client encoded it, and the query."""
    raw_path: bytes | None = scope.get("raw_path")
    prefix = f"/api/{service}".encode("ascii")
    if raw_path is not None and raw_path.startswith(prefix + b"/"):
        target = raw_path[len(prefix) :]
    else:
        target = quote(scope["path"][len(prefix) :]).encode("ascii")
    query: bytes = scope.get("query_string", b"")
    return target + b"?" + query if query else target
