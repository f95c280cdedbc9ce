"""Request ids, W3C trace context, JSON logs and Prometheus metrics shared by every process."""

from __future__ import annotations

import logging
import re
import secrets
import sys
import time
from contextvars import ContextVar
from typing import Any

from fastapi.telemetry import TelemetryConfig
from prometheus_client import Counter, Histogram
from pythonjsonlogger.json import JsonFormatter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
traceparent_var: ContextVar[str | None] = ContextVar("traceparent", default=None)
service_var: ContextVar[str] = ContextVar("service", default="teacherpool")

TRACEPARENT_RE = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

HTTP_REQUESTS = Counter(
    "tp_http_requests_total", "HTTP requests handled", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "tp_http_request_seconds",
    "HTTP request latency",
    ["service", "method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
EVENTS_PUBLISHED = Counter("tp_events_published_total", "Events published", ["service", "type"])
EVENTS_CONSUMED = Counter(
    "tp_events_consumed_total", "Events consumed", ["service", "type", "outcome"]
)
OUTBOX_PENDING_ERRORS = Counter("tp_outbox_publish_errors_total", "Failed publishes", ["service"])
READ_CACHE = Counter(
    "tp_read_cache_total",
    "Cached reads answered from a kept answer (hit) or made again (miss)",
    ["service", "outcome"],
)


def child_traceparent(parent: str | None) -> str:
    """A new span in the same trace as `parent`, or a new trace when there is none."""
    return _child_of(parent, secrets.token_hex(24))


def _child_of(parent: str | None, random_hex: str) -> str:
    """`child_traceparent` with its new ids taken from `random_hex` (48 hex digits or more):
    a new trace's id from the first 32 and its span's from the next 16, or under `parent`'s
    trace the span's id from the first 16."""
    match = TRACEPARENT_RE.match(parent or "")
    if not match:
        return f"00-{random_hex[:32]}-{random_hex[32:48]}-01"
    return f"00-{match.group(1)}-{random_hex[:16]}-{match.group(3)}"


def current_traceparent() -> str | None:
    return traceparent_var.get()


class ContextFilter(logging.Filter):
    """Put the service, request id and trace id on every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = service_var.get()
        record.request_id = request_id_var.get()
        record.traceparent = traceparent_var.get()
        return True


def configure_logging(service: str, *, level: str = "INFO", json_logs: bool = True) -> None:
    service_var.set(service)
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(ContextFilter())
    if json_logs:
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s "
                "%(service)s %(request_id)s %(traceparent)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s [%(service)s] %(name)s: %(message)s")
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("uvicorn.access", "nats"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


#: FastAPI's own OpenTelemetry hooks, off: the metrics are the Prometheus ones above and the
#: logs carry the request and trace ids; left on, with no provider configured, FastAPI still
#: looks each request up in the environment for one.
FASTAPI_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


class RequestContextMiddleware:
    """Carry `X-Request-ID` and `traceparent` through a request and count it in the metrics."""

    def __init__(self, app: ASGIApp, *, service: str) -> None:
        self.app = app
        self.service = service
        # The metrics' children by label values (routes and methods are few): a child looked
        # up by `labels()` is checked and locked for at every request.
        self._counted: dict[tuple[str, ...], Any] = {}
        self._timed: dict[tuple[str, ...], Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming_id, parent = "", None
        for name, value in scope["headers"]:  # the last of a repeated header counts
            if name == b"x-request-id":
                incoming_id = value.decode("latin-1")
            elif name == b"traceparent":
                parent = value.decode("latin-1")
        # One read of the system's randomness for a request's new ids: a request id (32 hex
        # digits) and a trace id and span id (48), where the caller sent none.
        random_hex = secrets.token_hex(40)
        request_id = incoming_id if REQUEST_ID_RE.match(incoming_id) else random_hex[48:]
        traceparent = _child_of(parent, random_hex)
        rid_token = request_id_var.set(request_id)
        tp_token = traceparent_var.set(traceparent)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                extra = [
                    (b"x-request-id", request_id.encode()),
                    (b"traceparent", traceparent.encode()),
                ]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope.get("method", "GET")
            self._child(self._timed, HTTP_LATENCY, method, template).observe(
                time.perf_counter() - started
            )
            self._child(self._counted, HTTP_REQUESTS, method, template, str(status)).inc()
            request_id_var.reset(rid_token)
            traceparent_var.reset(tp_token)

    def _child(self, kept: dict[tuple[str, ...], Any], metric: Any, *values: str) -> Any:
        """The child of `metric` for these label values, looked up once."""
        child = kept.get(values)
        if child is None:
            child = kept[values] = metric.labels(self.service, *values)
        return child


def log_extra(**fields: Any) -> dict[str, Any]:
    return {"extra": fields}
