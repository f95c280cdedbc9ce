"""Log-in throttling per account and source, the source of a request, and argon2 off the loop.

A hard lock after N failures lets anyone lock anyone out. Instead each (account, source) pair gets a
few free failures, then a delay that doubles with every further failure: the attacker slows down
only themselves, and the account's owner logs in from anywhere else at once. A source is the
client's IPv4 address or its IPv6 /64 (one host usually holds a whole /64).
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

from fastapi import Request

from common.errors import ServiceUnavailable
from gateway.auth.secrets import hash_password, verify_password

MAX_TRACKED = 100_000


@lru_cache(maxsize=4096)
def source_of(host: str | None) -> str:
    """The throttling source of a client address: IPv4 as is, IPv6 by its /64 (remembered for
    the addresses seen most, as every request asks)."""
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False))
    return str(address)


def request_source(request: Request) -> str:
    """The source of a request; the client address is the one trusted proxies forwarded."""
    return source_of(request.client.host if request.client else None)


@dataclass(slots=True)
class _Failures:
    count: int
    last: float


class LoginThrottle:
    """Growing delays per (account, source) after `free` failures in a row; in this process.

    Each replica keeps its own counts, so N replicas allow N times the free failures; the
    per-address log-in rate limit, shared through NATS KV in production, bounds the total."""

    def __init__(self, *, free: int, base_seconds: float, max_seconds: float) -> None:
        self.free = free
        self.base = base_seconds
        self.max = max_seconds
        self._failures: OrderedDict[tuple[str, str], _Failures] = OrderedDict()

    def wait_seconds(self, account: str, source: str, now: float | None = None) -> float:
        """How long this account must wait before a password from this source is checked."""
        found = self._failures.get((account.lower(), source))
        if found is None or found.count < self.free:
            return 0.0
        delay = min(self.max, self.base * 2 ** (found.count - self.free))
        return max(0.0, found.last + delay - (now if now is not None else time.monotonic()))

    def failed(self, account: str, source: str) -> None:
        key = (account.lower(), source)
        found = self._failures.pop(key, None) or _Failures(0, 0.0)
        found.count = min(found.count + 1, self.free + 40)
        found.last = time.monotonic()
        self._failures[key] = found
        while len(self._failures) > MAX_TRACKED:
            self._failures.popitem(last=False)

    def succeeded(self, account: str, source: str) -> None:
        self._failures.pop((account.lower(), source), None)


class PasswordWork:
    """argon2 in a small thread pool with a bounded queue, never on the event loop that carries
    every proxied request. When the queue is full the caller gets a 503 at once."""

    def __init__(self, *, workers: int, queue: int) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tp-password")
        self._slots = asyncio.Semaphore(workers + queue)

    async def _run(self, fn, *args):
        if self._slots.locked():
            raise ServiceUnavailable(
                "too many log-ins are being checked; try again shortly",
                headers={"Retry-After": "1"},
            )
        async with self._slots:
            return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        return bool(await self._run(verify_password, password_hash, password))

    async def hash(self, password: str) -> str:
        return str(await self._run(hash_password, password))

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
