"""Who is calling: an API key, a bearer token or a session cookie, checked and cached briefly."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal, TokenSigner
from common.bus import Bus
from common.db import Database, after_commit, utcnow
from common.errors import Unauthorized
from gateway.auth import service
from gateway.auth.tokens import ApiTokens
from gateway.errors import CsrfFailed
from gateway.settings import GatewaySettings

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Core NATS, outside every stream: a revocation is news for the caches, the database the truth.
REVOKED_SUBJECT = "tp.gateway.revoked"
CSRF_HEADER = "x-csrf-token"
#: Re-sign an internal token this long before it would expire.
RESIGN_MARGIN = 60.0
#: Record a key's last use at most this often, so busy keys do not write on every call.
KEY_USE_RESOLUTION = 60.0
MAX_CACHED = 50_000


@dataclass(slots=True)
class Caller:
    """An authenticated caller and the internal token that carries it to the services."""

    principal: Principal
    via: Literal["key", "bearer", "cookie"]
    ref: uuid.UUID | str
    expires_at: float
    csrf_token: str | None = None
    checked_at: float = field(default_factory=time.monotonic)
    #: Internal tokens by service (each has its own audience) and until when each is reused.
    internal: dict[str, tuple[str, float]] = field(default_factory=dict)

    @property
    def rate_key(self) -> str:
        return f"key:{self.ref}" if self.via == "key" else f"user:{self.principal.sub}"


class Authenticator:
    """Turns request credentials into a Caller; never trusts a cached answer for long."""

    def __init__(
        self, settings: GatewaySettings, db: Database, tokens: ApiTokens, signer: TokenSigner
    ) -> None:
        self.settings = settings
        self.db = db
        self.tokens = tokens
        self.signer = signer
        self._cache: dict[str, Caller] = {}
        self._key_used: dict[uuid.UUID, float] = {}
        self._checking: dict[str, asyncio.Future[Caller]] = {}
        self._bus: Bus | None = None
        self._announcing: set[asyncio.Task[None]] = set()

    async def start(self, bus: Bus | None) -> None:
        """Hear the revocations the other replicas announce."""
        if bus is None:
            return
        await bus.ready.wait()
        assert bus.nc is not None
        await bus.nc.subscribe(REVOKED_SUBJECT, cb=self._on_revoked)
        self._bus = bus

    @property
    def listening(self) -> bool:
        """Whether revocations announced by other replicas reach this one."""
        return self._bus is not None

    def revoke_after_commit(
        self, session: AsyncSession, *, ref: uuid.UUID | str | None = None, sub: str | None = None
    ) -> None:
        """Once `session` commits, no replica serves the family, session or key `ref`, or any
        log-in of the principal `sub`, from its cache."""
        after_commit(session, lambda: self.revoked(ref=ref, sub=sub))

    def revoked(self, *, ref: uuid.UUID | str | None = None, sub: str | None = None) -> None:
        """Forget here at once, and tell the other replicas (core NATS: one that misses it still
        checks again within `revocation_check_seconds`)."""
        self.forget(ref=ref, sub=sub)
        if self._bus is not None:
            message = json.dumps({"ref": str(ref) if ref else None, "sub": sub}).encode()
            task = asyncio.get_running_loop().create_task(self._announce(self._bus, message))
            self._announcing.add(task)
            task.add_done_callback(self._announcing.discard)

    def forget(self, *, ref: uuid.UUID | str | None = None, sub: str | None = None) -> None:
        """Drop this replica's cached callers of a family, session or key, or of a principal."""
        refs = {str(ref)} if ref else set()
        # A check begun before the revocation must not answer a request that arrives after it.
        self._checking = {}
        self._cache = {
            k: c
            for k, c in self._cache.items()
            if str(c.ref) not in refs and (sub is None or c.principal.sub != sub)
        }

    async def _announce(self, bus: Bus, message: bytes) -> None:
        try:
            assert bus.nc is not None
            await bus.nc.publish(REVOKED_SUBJECT, message)
        except Exception as error:
            log.warning("could not announce a revocation to the other replicas: %r", error)

    async def _on_revoked(self, msg) -> None:
        try:
            data = json.loads(msg.data)
            self.forget(ref=data.get("ref"), sub=data.get("sub"))
        except (ValueError, AttributeError) as error:
            log.warning("a revocation message that is not one: %r", error)

    async def identify(self, request: Request) -> Caller:
        """The caller of `request`, or 401; enforces CSRF on cookie sessions."""
        api_key = request.headers.get("x-api-key")
        if api_key:
            caller = await self._by_key(api_key)
        else:
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                caller = await self._by_bearer(token.strip())
            else:
                cookie = request.cookies.get(self.settings.session_cookie_name)
                if not cookie:
                    raise Unauthorized("log in, or send a bearer token or an X-API-Key")
                caller = await self._by_cookie(cookie)
                if request.method not in SAFE_METHODS:
                    presented = request.headers.get(CSRF_HEADER, "")
                    if not hmac.compare_digest(
                        presented.encode(), (caller.csrf_token or "").encode()
                    ):
                        raise CsrfFailed("send the session's CSRF token in X-CSRF-Token")
        request.state.principal = caller.principal
        return caller

    async def still_valid(self, caller: Caller) -> bool:
        """Whether the caller's log-in or key still stands: long-lived streams ask this every
        `stream_recheck_seconds`, so a revocation ends them within seconds."""
        if time.time() >= caller.expires_at:
            return False
        async with self.db.session(read_only=True) as session:
            return await service.login_is_live(session, caller.via, caller.ref)

    def internal_token(self, caller: Caller, service: str) -> str:
        """The signed identity for `service`, reused until shortly before it expires."""
        now = time.monotonic()
        token, until = caller.internal.get(service, ("", 0.0))
        if now >= until:
            token = self.signer.sign(caller.principal, audience=service)
            caller.internal[service] = (token, now + self.signer.ttl - RESIGN_MARGIN)
        return token

    def _cached(self, key: str) -> Caller | None:
        caller = self._cache.get(key)
        if caller is None:
            return None
        now = time.monotonic()
        if time.time() >= caller.expires_at:
            self._cache.pop(key, None)
            return None
        if now - caller.checked_at >= self.settings.revocation_check_seconds:
            return None
        return caller

    def _remember(self, key: str, caller: Caller) -> Caller:
        if len(self._cache) >= MAX_CACHED:
            self._cache.clear()
        self._cache[key] = caller
        return caller

    async def _once(self, cache_key: str, check: Callable[[], Awaitable[Caller]]) -> Caller:
        """One check per credential at a time: when a cached caller is due for its re-check,
        every request arriving meanwhile waits for that one check instead of each running its
        own query (and opening database connections for them)."""
        running = self._checking.get(cache_key)
        if running is None:
            running = asyncio.ensure_future(check())
            self._checking[cache_key] = running
            running.add_done_callback(lambda done: self._checked(cache_key, done))
        return await asyncio.shield(running)

    def _checked(self, cache_key: str, done: asyncio.Future[Caller]) -> None:
        if self._checking.get(cache_key) is done:
            del self._checking[cache_key]

    async def _by_bearer(self, token: str) -> Caller:
        cache_key = f"b:{token}"
        cached = self._cached(cache_key)
        if cached is not None:
            return cached
        return await self._once(cache_key, lambda: self._check_bearer(token, cache_key))

    async def _check_bearer(self, token: str, cache_key: str) -> Caller:
        principal, family_id, expires = self.tokens.verify(token)
        async with self.db.session(read_only=True) as session:
            if not await service.family_is_live(session, family_id):
                raise Unauthorized("this log-in has been revoked")
        previous = self._cache.get(cache_key)
        caller = Caller(principal, "bearer", family_id, expires)
        if previous is not None:
            caller.internal = previous.internal
        return self._remember(cache_key, caller)

    async def _by_cookie(self, secret: str) -> Caller:
        cache_key = f"c:{secret}"
        cached = self._cached(cache_key)
        if cached is not None:
            return cached
        return await self._once(cache_key, lambda: self._check_cookie(secret, cache_key))

    async def _check_cookie(self, secret: str, cache_key: str) -> Caller:
        # A read-only session rolls back at its end, which expires the rows: read them inside.
        async with self.db.session(read_only=True) as session:
            found = await service.find_web_session(session, secret)
            if found is None:
                raise Unauthorized("the session has ended; log in again")
            web, user = found
            caller = Caller(
                service.user_principal(user),
                "cookie",
                web.id,
                web.expires_at.timestamp(),
                csrf_token=web.csrf_token,
            )
        return self._remember(cache_key, caller)

    async def _by_key(self, api_key: str) -> Caller:
        cache_key = f"k:{api_key}"
        cached = self._cached(cache_key)
        if cached is None:
            cached = await self._once(cache_key, lambda: self._check_key(api_key, cache_key))
        assert isinstance(cached.ref, uuid.UUID)  # an API key's caller carries the key id
        await self._record_use(cached.ref)
        return cached

    async def _check_key(self, api_key: str, cache_key: str) -> Caller:
        async with self.db.session(read_only=True) as session:
            found = await service.find_key(session, api_key)
            if found is None:
                raise Unauthorized("the API key is not valid or has been revoked")
            key, client = found
            caller = Caller(service.partner_principal(client), "key", key.id, float("inf"))
        return self._remember(cache_key, caller)

    async def _record_use(self, key_id: uuid.UUID) -> None:
        now = time.monotonic()
        if now - self._key_used.get(key_id, -KEY_USE_RESOLUTION) < KEY_USE_RESOLUTION:
            return
        self._key_used[key_id] = now
        async with self.db.session() as session:
            await service.record_key_use(session, key_id, utcnow())
