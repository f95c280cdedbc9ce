"""The floor of any hop in front of a service on this stack: a bare ASGI app under uvicorn that
sends every request on to the service with aiohttp's client (the gateway's) and passes the
answer back whole, with nothing else: no routing, no caller, no policy, no audit, no metrics.

`uvicorn bench.bare_proxy:app` with TP_BENCH_PROXY_TO naming the service's base URL; the
caller's headers go through as they came, so a service token sent to it reaches the service.
"""

from __future__ import annotations

import os
from typing import Any

import aiohttp
from yarl import URL

_TARGET = os.environ.get("TP_BENCH_PROXY_TO", "http://127.0.0.1:8001").rstrip("/")
_NOT_SENT = {b"host", b"content-length", b"connection", b"transfer-encoding"}
_NOT_RETURNED = {b"connection", b"keep-alive", b"transfer-encoding"}
_session: aiohttp.ClientSession | None = None


def _client() -> aiohttp.ClientSession:
    global _session
    if _session is None:
        _session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=100, limit_per_host=0),
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=False,
        )
    return _session


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    target = scope["raw_path"] + (b"?" + scope["query_string"] if scope["query_string"] else b"")
    headers = [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, value in scope["headers"]
        if name not in _NOT_SENT
    ]
    async with _client().request(
        scope["method"], URL(_TARGET + target.decode("latin-1"), encoded=True), headers=headers
    ) as response:
        body = await response.read()
        await send(
            {
                "type": "http.response.start",
                "status": response.status,
                "headers": [
                    (name.lower(), value)
                    for name, value in response.raw_headers
                    if name.lower() not in _NOT_RETURNED
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
