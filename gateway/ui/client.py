"""The UI's way to the services: the proxy's path, in process, with the user's signed identity.

Every call is checked against the gateway's policy table first, carries the internal token the
proxy would send, and every change is written to the audit trail like a change through `/api`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import Request

from common.db import Database
from common.errors import ServiceUnavailable
from common.observability import current_traceparent, request_id_var
from gateway.audit.recorder import audit_entry, write_entry
from gateway.auth.callers import Caller
from gateway.errors import RouteForbidden
from gateway.proxy import Upstreams

log = logging.getLogger(__name__)


@dataclass
class ApiProblem(Exception):
    """A service answered with an error (RFC 9457 problem+json)."""

    status: int
    body: dict[str, Any] = field(default_factory=dict)

    @property
    def slug(self) -> str:
        return str(self.body.get("type", "")).rsplit("/", 1)[-1]

    @property
    def detail(self) -> str:
        return str(self.body.get("detail") or self.body.get("title") or "")

    def field_errors(self) -> dict[str, dict[str, str]]:
        """Errors by form field: `body.granted` → `granted`, `query.unit_id` → `unit_id`; each
        with its `code`, `message` and the values a service's own code carries."""
        found: dict[str, dict[str, str]] = {}
        for error in self.body.get("errors") or []:
            path = str(error.get("field", ""))
            parts = [p for p in path.split(".") if p not in ("body", "query", "path")]
            name = next((p for p in parts if not p.isdigit()), "")
            if name:
                values = {k: str(v) for k, v in error.items() if k != "field"}
                found.setdefault(
                    name,
                    {"code": "", "message": "", **values},
                )
        return found


class Api:
    """Calls to the services as one signed-in user."""

    def __init__(self, request: Request, caller: Caller) -> None:
        self.request = request
        self.caller = caller
        app = request.app
        self.upstreams: Upstreams = app.state.upstreams
        self.policy = app.state.policy
        self.auth = app.state.auth
        self.db: Database = app.state.db

    async def call(
        self,
        method: str,
        service: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        content: bytes | None = None,
        content_type: str | None = None,
    ) -> httpx.Response:
        """Send one request; raise ApiProblem for an error answer."""
        rule = self.policy.authorize(self.caller.principal, service, method, path)
        headers = {
            "authorization": f"Bearer {self.auth.internal_token(self.caller, service)}",
            "x-request-id": request_id_var.get() or "",
            "traceparent": current_traceparent() or "",
            "accept-language": self.request.headers.get("accept-language", ""),
        }
        if content_type:
            headers["content-type"] = content_type
        clean = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        try:
            response = await self.upstreams.client(service).request(
                method,
                path,
                params=clean,
                json=json,
                files=files,
                content=content,
                headers=headers,
            )
        except httpx.HTTPError as error:
            raise ServiceUnavailable(f"the {service} service is not reachable") from error
        if method != "GET":
            await self._audit(
                method,
                f"/api/{service}{rule.template}",
                f"/api/{service}{path}",
                response.status_code,
            )
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = {"detail": response.text[:500]}
            raise ApiProblem(response.status_code, body if isinstance(body, dict) else {})
        return response

    async def get(self, service: str, path: str, **params: Any) -> Any:
        return (await self.call("GET", service, path, params=params)).json()

    async def get_or_none(self, service: str, path: str, **params: Any) -> Any:
        """The answer, or None when the service refuses or lacks it (a page shows what it can)."""
        try:
            return await self.get(service, path, **params)
        except (ApiProblem, ServiceUnavailable, RouteForbidden) as error:
            log.info("UI read %s %s failed: %s", service, path, error)
            return None

    async def get_all(
        self, service: str, path: str, *, cap: int = 5000, **params: Any
    ) -> list[Any]:
        """Every row of a paged list, up to `cap` rows."""
        rows: list[Any] = []
        cursor = None
        while len(rows) < cap:
            page = await self.get(service, path, limit=500, cursor=cursor, **params)
            rows.extend(page["data"])
            cursor = page.get("next_cursor")
            if not cursor:
                break
        return rows

    async def post(self, service: str, path: str, body: Any = None) -> Any:
        response = await self.call("POST", service, path, json=body)
        return response.json() if response.content else None

    async def put(self, service: str, path: str, body: Any = None) -> Any:
        response = await self.call("PUT", service, path, json=body)
        return response.json() if response.content else None

    async def patch(self, service: str, path: str, body: Any) -> Any:
        """A JSON Merge Patch (RFC 7396): members left out stay, null clears."""
        response = await self.call(
            "PATCH",
            service,
            path,
            content=json.dumps(body).encode(),
            content_type="application/merge-patch+json",
        )
        return response.json() if response.content else None

    async def own(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        """Call the gateway's own API (users, partner clients) as this browser session."""
        response = await own_api(
            self.request, method, path, body, csrf=self.caller.csrf_token, params=params
        )
        return response.json() if response.content else None

    async def record(self, method: str, template: str, target: str, status: int) -> None:
        """Write a change the gateway made itself (not through a service) to the audit trail."""
        await self._audit(method, template, target, status)

    async def _audit(self, method: str, template: str, target: str, status: int) -> None:
        principal = self.caller.principal
        entry = audit_entry(
            actor=principal.sub,
            role=principal.role,
            method=method,
            template=template,
            target=target,
            status=status,
            request_id=request_id_var.get() or "-",
        )
        await write_entry(self.db, entry)


async def own_api(
    request: Request,
    method: str,
    path: str,
    body: Any = None,
    *,
    csrf: str | None = None,
    params: dict[str, Any] | None = None,
) -> Any:
    """The gateway's own `/api/auth/v1` routes, called in process with the browser's cookies."""
    headers = {"x-csrf-token": csrf or "", "x-request-id": request_id_var.get() or ""}
    transport = httpx.ASGITransport(app=request.app, client=_client_address(request))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://gateway", cookies=dict(request.cookies)
    ) as client:
        clean = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        response = await client.request(method, path, json=body, params=clean, headers=headers)
    if response.status_code >= 400:
        try:
            problem = response.json()
        except ValueError:
            problem = {"detail": response.text[:500]}
        raise ApiProblem(response.status_code, problem if isinstance(problem, dict) else {})
    return response


def _client_address(request: Request) -> tuple[str, int]:
    return (request.client.host, request.client.port) if request.client else ("127.0.0.1", 0)
