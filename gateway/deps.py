"""Dependencies of the gateway's own routes: the caller, role checks, the log-in rate limit."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request

from common.errors import Forbidden
from gateway.auth.callers import Caller
from gateway.settings import GatewaySettings


async def current_caller(request: Request) -> Caller:
    """The authenticated caller, within their rate limit."""
    caller: Caller = await request.app.state.auth.identify(request)
    settings: GatewaySettings = request.app.state.settings
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
    ip = request.client.host if request.client else "unknown"
    decision = await request.app.state.limiter.hit(
        f"login:{ip}", settings.rate_limit_login_per_minute
    )
    decision.raise_if_refused("to log in from this address")


CityHr = Annotated[Caller, Depends(requires("city_hr"))]
AuditReader = Annotated[Caller, Depends(requires("city_hr", "auditor"))]
LoginLimited = Depends(login_rate_limit)
