"""Dependencies of the gateway's own routes: the caller, role checks, the log-in rate limit."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request

from common.auth import ACCOUNT_ADMIN_ROLES, AUDIT_ROLES, USER_ROLES
from common.errors import Forbidden, Unauthorized
from gateway.auth.callers import Caller
from gateway.auth.throttle import request_source
from gateway.errors import RateLimited
from gateway.settings import GatewaySettings

MAX_WAITING = 100_000


async def current_caller(request: Request) -> Caller:
    """The authenticated caller, within their rate limit.

    A source whose credentials keep failing is refused before any are checked again: each
    failure spends from `unauth:<source>`, and once that is empty the source waits it out."""
    settings: GatewaySettings = request.app.state.settings
    source = request_source(request)
    waiting: dict[str, float] = request.app.state.unauthenticated_until
    until = waiting.get(source)
    if until is not None:
        if until > time.monotonic():
            raise RateLimited(
                "too many requests without valid credentials from this address",
                headers={"Retry-After": str(max(1, math.ceil(until - time.monotonic())))},
            )
        waiting.pop(source, None)
    try:
        caller: Caller = await request.app.state.auth.identify(request)
    except Unauthorized:
        decision = await request.app.state.limiter.hit(
            f"unauth:{source}", settings.rate_limit_unauthenticated_per_minute
        )
        if not decision.allowed:
            if len(waiting) >= MAX_WAITING:
                waiting.clear()
            waiting[source] = time.monotonic() + decision.retry_after
            decision.raise_if_refused("without valid credentials from this address")
        raise
    per_minute = (
        settings.rate_limit_key_per_minute
        if caller.via == "key"
        else settings.rate_limit_user_per_minute
    )
    decision = await request.app.state.limiter.hit(caller.rate_key, per_minute)
    decision.raise_if_refused("for this caller")
    return caller


CurrentCaller = Annotated[Caller, Depends(current_caller)]


def requires(*roles: str) -> Callable[..., Coroutine[Any, Any, Caller]]:
    """A dependency that lets in users of `roles` only (never partner keys)."""

    async def check(caller: CurrentCaller) -> Caller:
        if caller.principal.kind != "user" or caller.principal.role not in roles:
            raise Forbidden(f"only {', '.join(roles)} may do this")
        return caller

    return check


async def login_rate_limit(request: Request) -> None:
    """Log-in attempts per client IP, before any password is checked."""
    settings: GatewaySettings = request.app.state.settings
    decision = await request.app.state.limiter.hit(
        f"login:{request_source(request)}", settings.rate_limit_login_per_minute
    )
    decision.raise_if_refused("to log in from this address")


CityHr = Annotated[Caller, Depends(requires(*ACCOUNT_ADMIN_ROLES))]
AuditReader = Annotated[Caller, Depends(requires(*sorted(AUDIT_ROLES, key=USER_ROLES.index)))]
LoginLimited = Depends(login_rate_limit)
