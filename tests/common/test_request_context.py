"""The request id and trace context every process gives a request and sends back."""

from __future__ import annotations

import re

import httpx
from starlette.types import Receive, Scope, Send

from common.observability import (
    TRACEPARENT_RE,
    RequestContextMiddleware,
    current_traceparent,
    request_id_var,
)

HEX32 = re.compile(r"^[0-9a-f]{32}$")


async def _echo(scope: Scope, receive: Receive, send: Send) -> None:
    """Answers with the ids the request runs under, as the code behind the middleware sees them."""
    body = f"{request_id_var.get()} {current_traceparent()}".encode()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


def _client() -> httpx.AsyncClient:
    app = RequestContextMiddleware(_echo, service="test")
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_a_request_without_ids_gets_new_ones_each_time() -> None:
    async with _client() as client:
        first, second = await client.get("/"), await client.get("/")
    seen = set()
    for response in (first, second):
        request_id, traceparent = response.text.split()
        assert response.headers["x-request-id"] == request_id
        assert response.headers["traceparent"] == traceparent
        assert HEX32.match(request_id)
        match = TRACEPARENT_RE.match(traceparent)
        assert match and match.group(3) == "01"
        trace_id, span_id = match.group(1), match.group(2)
        assert request_id != trace_id and span_id not in request_id + trace_id
        seen |= {request_id, trace_id, span_id}
    assert len(seen) == 6
    assert request_id_var.get() is None and current_traceparent() is None


async def test_the_callers_ids_are_kept_and_the_span_is_new() -> None:
    trace_id, parent_span = "a" * 32, "b" * 16
    sent = {"X-Request-ID": "partner-42", "traceparent": f"00-{trace_id}-{parent_span}-00"}
    async with _client() as client:
        response = await client.get("/", headers=sent)
    request_id, traceparent = response.text.split()
    assert request_id == response.headers["x-request-id"] == "partner-42"
    match = TRACEPARENT_RE.match(traceparent)
    assert match is not None
    assert match.group(1) == trace_id and match.group(3) == "00"
    assert match.group(2) != parent_span


async def test_ids_that_do_not_parse_are_replaced_and_the_last_of_a_repeat_counts() -> None:
    async with _client() as client:
        bad = await client.get(
            "/", headers={"X-Request-ID": "not an id; <script>", "traceparent": "01-xyz"}
        )
        repeated = await client.get(
            "/", headers=[("x-request-id", "first"), ("x-request-id", "second")]
        )
    request_id, traceparent = bad.text.split()
    assert HEX32.match(request_id)
    assert TRACEPARENT_RE.match(traceparent)
    assert repeated.headers["x-request-id"] == "second"
