"""Rate limits (GCRA, a smooth token bucket): in this process, or shared in NATS KV by replicas."""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from nats.js.errors import BucketNotFoundError, KeyNotFoundError, KeyWrongLastSequenceError

from common.bus import Bus
from gateway.errors import RateLimited

KV_BUCKET = "gateway_rate_limits"
KV_RETRIES = 32
BURST_SECONDS = 60.0
#: A thousandth of a request: far above the float error of a minute's intervals, far below one.
FLOAT_SLACK = 1e-3
#: How long a replica may keep requests it took from the shared bucket before they lapse.
LEASE_SECONDS = 1.0
MAX_LEASES = 100_000


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
    _, decision, new_tat = gcra_take(tat, now, per_minute, 1)
    return decision, new_tat


def gcra_take(tat: float, now: float, per_minute: int, wanted: int) -> tuple[int, Decision, float]:
    """Up to `wanted` requests at once against `tat`: how many, the decision and the new tat.

    The bucket holds a minute's worth of requests and refills at `per_minute` a minute.
    """
    interval = 60.0 / per_minute
    tat = max(tat, now)
    # A full bucket is exactly `per_minute` requests: the sum of many intervals carries float
    # error (more so against time.time()), which must not cost the caller a whole request.
    available = int((now + BURST_SECONDS - tat) / interval + FLOAT_SLACK)
    if available <= 0:
        retry_after = tat + interval - BURST_SECONDS - now
        return 0, Decision(False, per_minute, 0, tat - now, retry_after), tat
    granted = min(wanted, available)
    new_tat = tat + granted * interval
    return granted, Decision(True, per_minute, available - granted, new_tat - now, 0.0), new_tat


class RateLimiter(Protocol):
    async def hit(self, key: str, per_minute: int) -> Decision: ...

    async def close(self) -> None: ...


class MemoryRateLimiter:
    """Limits kept in this process: right for one gateway replica."""

    def __init__(
        self, max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._tats: dict[str, float] = {}
        self._max_keys = max_keys
        self.clock = clock

    async def hit(self, key: str, per_minute: int) -> Decision:
        now = self.clock()
        if len(self._tats) > self._max_keys:
            self._tats = {k: t for k, t in self._tats.items() if t > now}
        decision, self._tats[key] = gcra(self._tats.get(key, now), now, per_minute)
        return decision

    async def close(self) -> None:
        self._tats.clear()


@dataclass(slots=True)
class Lease:
    """Requests a replica took from the shared bucket in one write, spent here one by one."""

    tokens: int = 0
    until: float = 0.0
    size: int = 1
    remaining: int = 0
    reset_at: float = 0.0
    refused_until: float = 0.0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def spend(self, now: float, per_minute: int) -> Decision | None:
        """A decision made here, or None when the shared bucket must be asked."""
        if now < self.refused_until:
            # The shared bucket was empty; it refills with time only, so ask again then.
            wait = self.refused_until - now
            return Decision(False, per_minute, 0, wait, wait)
        if self.tokens <= 0 or now >= self.until:
            return None
        self.tokens -= 1
        return Decision(True, per_minute, self.remaining + self.tokens, self.reset_at - now, 0.0)

    def next_size(self, now: float, most: int) -> int:
        """Twice the last lease if it ran out in time, half if requests lapsed unused."""
        if self.tokens <= 0 and now < self.until:
            return min(most, self.size * 2)
        if self.tokens > 0:
            return max(1, self.size // 2)
        return min(most, self.size)


class NatsRateLimiter:
    """Limits shared by every replica in a JetStream key-value bucket, updated compare-and-set.

    A replica takes requests from the shared bucket in leases rather than one by one: a user
    busy on this replica costs one write per lease instead of two round trips per request, and
    replicas seldom race on the key. A lease lapses after a second, and its size follows what
    the replica spent of the last one, so at most about a second's worth of requests can go
    unused; the shared limit is never exceeded, since every lease is taken from it first.
    Limits under one request a second (log-in) are leased one at a time, so exactly.
    """

    def __init__(self, bus: Bus, *, fallback: MemoryRateLimiter | None = None) -> None:
        self.bus = bus
        self._kv = None
        self._fallback = fallback or MemoryRateLimiter()
        self._lock = asyncio.Lock()
        self._leases: dict[str, Lease] = {}

    async def _bucket(self):
        if self._kv is None:
            async with self._lock:
                if self._kv is None:
                    try:
                        self._kv = await self.bus.js.key_value(KV_BUCKET)
                    except BucketNotFoundError:
                        self._kv = await self.bus.js.create_key_value(
                            bucket=KV_BUCKET, ttl=120, replicas=self.bus.replicas
                        )
        return self._kv

    def _lease(self, key: str, now: float) -> Lease:
        lease = self._leases.get(key)
        if lease is None:
            if len(self._leases) >= MAX_LEASES:
                self._leases = {
                    k: v for k, v in self._leases.items() if v.until > now or v.lock.locked()
                }
            lease = self._leases[key] = Lease()
        return lease

    async def hit(self, key: str, per_minute: int) -> Decision:
        if not self.bus.ready.is_set():
            # Without NATS each replica still limits on its own rather than not at all.
            return await self._fallback.hit(key, per_minute)
        lease = self._lease(key, time.monotonic())
        decision = lease.spend(time.monotonic(), per_minute)
        if decision is not None:
            return decision
        # One request at a time takes the next lease; the others then spend from it.
        async with lease.lock:
            now = time.monotonic()
            decision = lease.spend(now, per_minute)
            if decision is not None:
                return decision
            most = max(1, int(per_minute * LEASE_SECONDS / 60))
            size = lease.next_size(now, most)
            granted, decision = await self._take(key, per_minute, size)
            if granted:
                lease.size, lease.tokens, lease.until = size, granted - 1, now + LEASE_SECONDS
                lease.remaining, lease.reset_at = decision.remaining, now + decision.reset_seconds
            else:
                lease.refused_until = now + decision.retry_after
            return decision

    async def _take(self, key: str, per_minute: int, wanted: int) -> tuple[int, Decision]:
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
            granted, decision, new_tat = gcra_take(float(tat), now, per_minute, wanted)
            if not granted:
                return 0, decision
            try:
                if revision is None:
                    await kv.create(kv_key, json.dumps(new_tat).encode())
                else:
                    await kv.update(kv_key, json.dumps(new_tat).encode(), last=revision)
                return granted, decision
            except KeyWrongLastSequenceError:
                # Another replica wrote the key first: read it again after a short jitter.
                await asyncio.sleep(random.uniform(0, 0.004))  # noqa: S311 jitter, not a secret
                continue
        # So many replicas writing one key at once is itself a burst: refuse rather than guess.
        return 0, Decision(False, per_minute, 0, 1.0, 1.0)

    async def close(self) -> None:
        self._leases.clear()
        await self._fallback.close()
