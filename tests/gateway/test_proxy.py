"""The proxy on real sockets: bodies streamed both ways, headers, encodings, broken services."""

from __future__ import annotations

import contextlib
import hashlib
import json
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from gateway.app import create_app
from tests.gateway.support import bearer, gateway_settings, served
from tests.support import Identity, eventually, free_port, running

UNITS = "/api/staffing/v1/units"
CHUNK = 64 * 1024


def pattern(size: int) -> bytes:
    """`size` bytes that differ from chunk to chunk, so a reordered or lost chunk shows."""
    return b"".join(i.to_bytes(4, "big") * (CHUNK // 4) for i in range(size // CHUNK + 1))[:size]


async def echo_service(scope: Scope, receive: Receive, send: Send) -> None:
    """Tells what it received; with `?size=N` streams N bytes back in chunks instead."""
    if scope["type"] == "lifespan":
        while (message := await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    digest, length, more = hashlib.sha256(), 0, True
    while more:
        message = await receive()
        digest.update(message.get("body", b""))
        length += len(message.get("body", b""))
        more = message.get("more_body", False)
    size = parse_qs(scope["query_string"].decode()).get("size")
    if size:
        body = pattern(int(size[0]))
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/octet-stream")],
            }
        )
        for start in range(0, len(body), CHUNK):
            chunk = body[start : start + CHUNK]
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        return
    seen = {
        "method": scope["method"],
        "raw_path": scope["raw_path"].decode(),
        "query": scope["query_string"].decode(),
        "headers": [[k.decode(), v.decode()] for k, v in scope["headers"]],
        "length": length,
        "sha256": digest.hexdigest(),
    }
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                (b"set-cookie", b"a=1; Path=/"),
                (b"set-cookie", b"b=2; Path=/"),
                (b"x-service", b"echo"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": json.dumps(seen).encode()})


@contextlib.contextmanager
def hanging_up(answer: bytes = b"") -> Iterator[tuple[str, list[bytes]]]:
    """A server that reads each request, sends `answer` and closes the connection."""
    listener = socket.create_server(("127.0.0.1", free_port()))
    listener.settimeout(0.2)
    received: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(2)
                with contextlib.suppress(OSError):
                    received.append(conn.recv(65536))
                    conn.sendall(answer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", received
    finally:
        stop.set()
        thread.join(5)
        listener.close()


@pytest.fixture
async def through(database_url: str, identity: Identity) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a gateway whose staffing service is the echo service on a real port."""
    with served(echo_service) as upstream:
        settings = gateway_settings(
            identity, database_url, staffing_url=upstream.url, max_body_bytes=8 * 1024 * 1024
        )
        async with running(create_app(settings), "http://gateway") as client:
            client.headers.update(await bearer(client, "cityhr"))
            yield client


def header_names(seen: dict[str, Any]) -> list[str]:
    return [name for name, _ in seen["headers"]]


async def test_bodies_stream_both_ways_intact(through: httpx.AsyncClient) -> None:
    body = pattern(3 * 1024 * 1024 + 17)

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 10_000):
            yield body[start : start + 10_000]

    sized = (await through.post(UNITS, content=body)).json()
    chunked = (await through.post(UNITS, content=chunks())).json()
    for seen in (sized, chunked):
        assert seen["length"] == len(body)
        assert seen["sha256"] == hashlib.sha256(body).hexdigest()
    assert dict(sized["headers"])["content-length"] == str(len(body))
    assert dict(chunked["headers"])["transfer-encoding"] == "chunked"

    size = 5 * 1024 * 1024 + 3
    downloaded = await through.get(UNITS, params={"size": size})
    assert downloaded.status_code == 200
    assert downloaded.content == pattern(size)


async def test_a_body_over_the_limit_is_refused_while_it_streams(
    database_url: str, identity: Identity
) -> None:
    with served(echo_service) as upstream:
        settings = gateway_settings(
            identity, database_url, staffing_url=upstream.url, max_body_bytes=100_000
        )
        async with running(create_app(settings), "http://gateway") as client:
            headers = await bearer(client, "cityhr")

            async def chunks() -> AsyncIterator[bytes]:
                for _ in range(50):
                    yield b"x" * 10_000

            refused = await client.post(UNITS, content=chunks(), headers=headers)
            after = await client.get(UNITS, headers=headers)
    assert refused.status_code == 413
    assert refused.headers["content-type"] == "application/problem+json"
    assert after.status_code == 200


async def test_hop_by_hop_headers_stop_and_repeated_ones_pass(through: httpx.AsyncClient) -> None:
    response = await through.get(
        UNITS,
        headers={
            "Connection": "keep-alive, X-Private",
            "X-Private": "only for the next hop",
            "Keep-Alive": "timeout=5",
            "TE": "trailers",
            "Proxy-Authorization": "Basic eDp5",
            "X-Forwarded-For": "6.6.6.6",
            "Accept-Language": "zh-CN",
        },
    )
    seen = response.json()
    names = header_names(seen)
    for dropped in ("x-private", "keep-alive", "te", "proxy-authorization", "connection"):
        assert dropped not in names, dropped
    assert names.count("authorization") == 1 and names.count("host") == 1
    assert dict(seen["headers"])["accept-language"] == "zh-CN"
    # The gateway says who the client is; a client cannot say it for itself.
    assert dict(seen["headers"])["x-forwarded-for"] != "6.6.6.6"
    assert response.headers.get_list("set-cookie") == ["a=1; Path=/", "b=2; Path=/"]
    assert response.headers["x-service"] == "echo"
    assert "x-request-id" in response.headers


async def test_paths_and_queries_reach_the_service_as_sent(through: httpx.AsyncClient) -> None:
    seen = (await through.get(f"{UNITS}/a%20b?q=%E6%88%90%E9%83%BD&x=1&x=2")).json()
    assert seen["raw_path"] == "/v1/units/a%20b"
    assert seen["query"] == "q=%E6%88%90%E9%83%BD&x=1&x=2"
    head = await through.head(f"{UNITS}/a%20b")
    assert head.status_code == 200 and head.content == b""
    patched = (await through.patch(f"{UNITS}/u1", json={"name": "成都"})).json()
    assert patched["method"] == "PATCH" and patched["length"] > 0


async def test_a_service_that_hangs_up_gives_502_and_only_reads_are_sent_again(
    database_url: str, identity: Identity
) -> None:
    with hanging_up() as (url, received):
        settings = gateway_settings(identity, database_url, staffing_url=url)
        async with running(create_app(settings), "http://gateway") as client:
            headers = await bearer(client, "cityhr")
            read = await client.get(UNITS, headers=headers)
            reads = len(received)
            write = await client.post(UNITS, json={"code": "S-1"}, headers=headers)
            writes = len(received) - reads
    for response in (read, write):
        assert response.status_code == 502
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["retry-after"] == "1"
    assert reads == 3 and writes == 1
    assert all(request.startswith((b"GET", b"POST")) for request in received)


async def test_an_answer_that_breaks_off_gives_502(database_url: str, identity: Identity) -> None:
    partial = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
    with hanging_up(partial) as (url, _):
        settings = gateway_settings(identity, database_url, staffing_url=url)
        async with running(create_app(settings), "http://gateway") as client:
            response = await client.get(UNITS, headers=await bearer(client, "cityhr"))
    assert response.status_code == 502
    assert response.headers["content-type"] == "application/problem+json"
    assert "broke off" in response.json()["detail"]


async def test_a_service_that_does_not_answer_in_time_gives_503(
    database_url: str, identity: Identity
) -> None:
    listener = socket.create_server(("127.0.0.1", free_port()))  # accepts, never answers
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        settings = gateway_settings(
            identity, database_url, staffing_url=url, upstream_timeout_seconds=0.5
        )
        async with running(create_app(settings), "http://gateway") as client:
            response = await client.get(UNITS, headers=await bearer(client, "cityhr"))
    finally:
        listener.close()
    assert response.status_code == 503
    assert "did not answer in time" in response.json()["detail"]
    assert int(response.headers["retry-after"]) > 0


async def test_a_connection_the_service_closed_while_idle_is_not_reused(
    database_url: str, identity: Identity
) -> None:
    """A write is never sent twice, so it must not go down a connection the service closed."""
    with served(echo_service, timeout_keep_alive=1) as upstream:
        settings = gateway_settings(identity, database_url, staffing_url=upstream.url)
        async with running(create_app(settings), "http://gateway") as client:
            headers = await bearer(client, "cityhr")
            first = await client.post(UNITS, json={"n": 1}, headers=headers)

            async def closed_by_the_service() -> bool:
                assert upstream.server is not None
                return not upstream.server.server_state.connections

            # The gateway keeps the connection; the service closes it a second later.
            await eventually(closed_by_the_service, timeout=10)
            second = await client.post(UNITS, json={"n": 2}, headers=headers)
    assert first.status_code == 200 and second.status_code == 200


async def test_an_unknown_service_is_not_found(through: httpx.AsyncClient) -> None:
    response = await through.get("/api/nowhere/v1/units")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_services_cookies_are_never_sent_on_to_it_again(
    database_url: str, identity: Identity
) -> None:
    """The hop keeps no cookies: a Set-Cookie answered to one caller is never sent back to the
    service on the next caller's request (the service by name, as in production, since a
    cookie jar would refuse to keep cookies of a bare IP address)."""
    with served(echo_service) as upstream:
        by_name = upstream.url.replace("127.0.0.1", "localhost")
        settings = gateway_settings(identity, database_url, staffing_url=by_name)
        async with running(create_app(settings), "http://gateway") as client:
            headers = await bearer(client, "cityhr")
            first = await client.get(UNITS, headers=headers)
            client.cookies.clear()
            seen = (await client.get(UNITS, headers=headers)).json()
    assert first.headers.get_list("set-cookie") == ["a=1; Path=/", "b=2; Path=/"]
    assert "cookie" not in header_names(seen)
