"""The reverse proxy to the services: `/api/<service>/…` as plain ASGI over pooled connections.

API calls are the gateway's hot path, so they skip the router, dependency resolution and
response classes: the request is authenticated, authorized against the policy table and sent
on over a keep-alive connection with the signed identity, and the answer is streamed back as it
arrives. The hop is aiohttp's client, made for this and written around its C HTTP parser: on
this project's list read it spends about a third of the CPU per request that httpx's transport
(httpcore, whose every request passes anyio's locks and cancel scopes) does. The UI, readiness
checks and the docs use ordinary httpx clients.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import ssl
from collections.abc import AsyncIterable, AsyncIterator
from urllib.parse import quote, urlsplit

import aiohttp
import httpx
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send
from yarl import URL

from common.errors import DomainError, NotFound, ServiceUnavailable, problem_for
from common.observability import current_traceparent, request_id_var
from gateway.deps import current_caller

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
#: The connection broke under a request or an answer (a timeout is told apart first).
BROKEN = (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, aiohttp.ClientResponseError)
CONNECT_RETRIES = 2
#: Answers up to this size are read whole and passed on in one piece.
WHOLE_BODY_BYTES = 256 * 1024
KEEPALIVE_EXPIRY = 15.0
#: Headers aiohttp would add of its own accord; the caller's, when it sent them, go through.
NOT_ADDED = ("Accept", "Accept-Encoding", "User-Agent", "Content-Type")


class BadGateway(DomainError):
    status, slug, title = 502, "bad-gateway", "The service's answer was lost"


class ClientGone(DomainError):
    status, slug, title = 400, "client-closed-request", "The client went away"


class Upstream:
    """One service: its address and the keep-alive connections the proxy sends on."""

    def __init__(
        self, name: str, url: str, *, timeout: float, connect_timeout: float, max_connections: int
    ) -> None:
        parts = urlsplit(url)
        self.name = name
        self.base = url.rstrip("/")
        self.netloc = parts.netloc.encode("ascii")
        # `connect` bounds the wait for a free connection and the connect together.
        self.timeout = aiohttp.ClientTimeout(
            total=None, connect=timeout, sock_connect=connect_timeout, sock_read=timeout
        )
        self.max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        """The connections to this service, made on first use (inside the running loop).

        Idle connections are dropped well before the services' keep-alive timeout (65 s), so
        the gateway never reuses a connection that a service is closing at that moment. No
        cookie is ever kept: a service's Set-Cookie is for the caller, not for the next one."""
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=self.max_connections,
                    limit_per_host=0,
                    keepalive_timeout=KEEPALIVE_EXPIRY,
                ),
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=False,
                skip_auto_headers=NOT_ADDED,
                timeout=self.timeout,
            )
            # aiohttp sends an idempotent request again, once, when a kept-alive connection
            # drops under it, reusing its body: a streamed body is spent by then. The proxy
            # decides what is sent again (`send_upstream`); tests/gateway/test_proxy.py counts
            # the sends, so a release that renames this switch fails there.
            self._session._retry_connection = False
        return self._session

    def url(self, target: bytes) -> URL:
        """The service's address of `target`, kept exactly as the caller encoded it."""
        return URL(self.base + target.decode("latin-1"), encoded=True)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The certificate store the upstream clients verify TLS with, as httpx makes it by default
    (certifi, or SSL_CERT_FILE / SSL_CERT_DIR), loaded once per process rather than per client."""
    return httpx.create_ssl_context()


class Upstreams:
    """Every service: connections for the proxy and an httpx client for everything else."""

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
            *(upstream.close() for upstream in self.upstreams.values()),
        )


def forward_headers(
    scope: Scope, upstream: Upstream, authorization: bytes
) -> list[tuple[str, str]]:
    """The caller's headers less hop-by-hop ones and credentials, plus the gateway's own.

    A body of declared length goes on with its Content-Length; any other is sent chunked."""
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
        if length is not None:
            headers.append((b"content-length", length))
    return [(name.decode("latin-1"), value.decode("latin-1")) for name, value in headers]


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
    headers: list[tuple[str, str]],
    body: AsyncIterable[bytes] | None,
) -> aiohttp.ClientResponse:
    """Send on one pooled connection; only a read, or a connection never made, is tried again."""
    attempts = 1 + (CONNECT_RETRIES if method in IDEMPOTENT else 0)
    url = upstream.url(target)
    for attempt in range(1, attempts + 1):
        try:
            return await upstream.session().request(
                method, url, headers=headers, data=body, allow_redirects=False
            )
        except aiohttp.ClientConnectorError as error:
            if attempt == attempts:
                raise ServiceUnavailable(
                    f"the {upstream.name} service is not reachable", headers={"Retry-After": "5"}
                ) from error
        except TimeoutError as error:
            raise ServiceUnavailable(
                f"the {upstream.name} service did not answer in time",
                headers={"Retry-After": "5"},
            ) from error
        except BROKEN as error:
            # Sending the caller's body failed on the caller's side (too large, or the caller
            # went away): that is the answer, not the service.
            if isinstance(error.__cause__, DomainError):
                raise error.__cause__ from None
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
    response: aiohttp.ClientResponse, scope: Scope, receive: Receive, send: Send, service: str
) -> None:
    """Pass the service's answer on: a small one whole, anything else streamed as it arrives."""
    headers = [
        (name.lower(), value)
        for name, value in response.raw_headers
        if name.lower() not in RESPONSE_DROPPED
    ]
    length = next((v for n, v in headers if n == b"content-length"), b"")
    start = {"type": "http.response.start", "status": response.status, "headers": headers}
    try:
        if length.isdigit() and int(length) <= WHOLE_BODY_BYTES:
            try:
                body = await response.read()
            except (*BROKEN, TimeoutError) as error:
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
        async for chunk in response.content.iter_any():
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
    except (*BROKEN, TimeoutError):
        # The answer has started: all that is left is to end the client's connection.
        log.warning("the %s service's answer broke off part-way", service)
    finally:
        response.release()


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
    ) -> aiohttp.ClientResponse:
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
