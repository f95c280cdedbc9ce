"""Rate limits (GCRA, a smooth token bucket): in this process, or shared in NATS KV by replicas."""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import random
import time
from dataclasses import dataclass
from typing import Protocol

from nats.js.errors import BucketNotFoundError, KeyNotFoundError, KeyWrongLastSequenceError

from common.bus import Bus
from gateway.errors import RateLimited

KV_BUCKET = "gateway_rate_limits"
KV_RETRIES = 32


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: float
    retry_after: float

    def headers(self) -> dict[str, str]:
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(math.ceil(self.reset_seconds)),
            "RateLimit-Policy": f"{self.limit};w=60",
        }
        if not self.allowed:
            headers["Retry-After"] = str(max(1, math.ceil(self.retry_after)))
        return headers

    def raise_if_refused(self, what: str) -> None:
        if not self.allowed:
            raise RateLimited(
                f"too many requests {what}; retry after {self.headers()['Retry-After']} s",
                headers=self.headers(),
            )


def gcra(tat: float, now: float, per_minute: int) -> tuple[Decision, float]:
    """One request against a theoretical arrival time `tat`; the decision and the new tat."""
    interval = 60.0 / per_minute
    burst = 60.0
    tat = max(tat, now)
    new_tat = tat + interval
    allow_at = new_tat - burst
    if allow_at > now:
        remaining = 0
        return Decision(False, per_minute, remaining, tat - now, allow_at - now), tat
    remaining = int((now - allow_at) / interval)
    return Decision(True, per_minute, remaining, new_tat - now, 0.0), new_tat


class RateLimiter(Protocol):
    async def hit(self, key: str, per_minute: int) -> Decision: ...

    async def close(self) -> None: ...


class MemoryRateLimiter:
    """Limits kept in this process: right for one gateway replica."""

    def __init__(self, max_keys: int = 100_000) -> None:
        self._tats: dict[str, float] = {}
        self._max_keys = max_keys

    async def hit(self, key: str, per_minute: int) -> Decision:
        now = time.monotonic()
        if len(self._tats) > self._max_keys:
            self._tats = {k: t for k, t in self._tats.items() if t > now}
        decision, self._tats[key] = gcra(self._tats.get(key, now), now, per_minute)
        return decision

    async def close(self) -> None:
        self._tats.clear()


class NatsRateLimiter:
    """Limits shared by every replica in a JetStream key-value bucket, updated compare-and-set."""

    def __init__(self, bus: Bus, *, fallback: MemoryRateLimiter | None = None) -> None:
        self.bus = bus
        self._kv = None
        self._fallback = fallback or MemoryRateLimiter()
        self._lock = asyncio.Lock()

    async def _bucket(self):  # type: ignore[no-untyped-def]
        if self._kv is None:
            async with self._lock:
                if self._kv is None:
                    try:
                        self._kv = await self.bus.js.key_value(KV_BUCKET)
                    except BucketNotFoundError:
                        self._kv = await self.bus.js.create_key_value(bucket=KV_BUCKET, ttl=120)
        return self._kv

    async def hit(self, key: str, per_minute: int) -> Decision:
        if not self.bus.ready.is_set():
            # Without NATS each replica still limits on its own rather than not at all.
            return await self._fallback.hit(key, per_minute)
        kv = await self._bucket()
        # KV keys allow few characters; a user name or an IPv6 address may hold others.
        kv_key = hashlib.sha256(key.encode()).hexdigest()[:40]
        for _ in range(KV_RETRIES):
            now = time.time()
            try:
                entry = await kv.get(kv_key)
                tat, revision = json.loads(entry.value or b"0"), entry.revision
            except KeyNotFoundError:
                tat, revision = now, None
            decision, new_tat = gcra(float(tat), now, per_minute)
            if not decision.allowed:
                return decision
            try:
                if revision is None:
                    await kv.create(kv_key, json.dumps(new_tat).encode())
                else:
                    await kv.update(kv_key, json.dumps(new_tat).encode(), last=revision)
                return decision
            except KeyWrongLastSequenceError:
                # Another replica wrote the key first: read it again after a short jitter.
                await asyncio.sleep(random.uniform(0, 0.004))
                continue
        # So many writers at once on one key is itself a burst: refuse rather than guess.
        return Decision(False, per_minute, 0, 1.0, 1.0)

    async def close(self) -> None:
        await self._fallback.close()
