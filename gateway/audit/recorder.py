"""Records every state-changing request after its answer has gone out."""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from common.db import Database, utcnow
from common.observability import request_id_var
from gateway.models import AuditEntry

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def outcome_of(status: int) -> str:
    if status < 400:
        return "ok"
    if status in (401, 403, 423, 429):
        return "refused"
    return "failed" if status >= 500 else "rejected"


class AuditMiddleware:
    """Append one audit row per POST/PUT/PATCH/DELETE under /api, whatever its outcome."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] in SAFE_METHODS
            or not scope["path"].startswith("/api/")
        ):
            await self.app(scope, receive, send)
            return
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            await self._record(scope, status)

    async def _record(self, scope: Scope, status: int) -> None:
        state = scope.get("state", {})
        principal = state.get("principal")
        actor = principal.sub if principal else state.get("audit_actor", "anonymous")
        role = principal.role if principal else "-"
        route = scope.get("route")
        template = state.get("audit_action") or getattr(route, "path", None) or scope["path"]
        entry = AuditEntry(
            at=utcnow(),
            actor=actor[:120],
            role=role,
            action=f"{scope['method']} {template}"[:240],
            target=scope["path"][:500],
            status=status,
            outcome=outcome_of(status),
            request_id=(request_id_var.get() or state.get("request_id") or "-")[:128],
        )
        db: Database = scope["app"].state.db
        try:
            async with db.session() as session:
                session.add(entry)
        except Exception:
            # The answer has gone out: a lost audit row is logged loudly, never made an error.
            log.exception(
                "could not record the audit entry for %s %s", scope["method"], scope["path"]
            )
