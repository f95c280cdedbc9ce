"""A connection pool that lends its connections in the order they were asked for.

SQLAlchemy's async pool keeps its idle connections in an `asyncio.Queue`. A connection handed
back wakes the longest waiter, but a request that asks in the meantime, before that waiter has
run, takes the connection at once; the waiter finds the queue empty and waits again, at the back.
Under load that happens to the same requests again and again, and they are the slowest ones.
Here a connection handed back goes straight to the longest waiter, and nobody takes one from
the idle ones while anybody waits.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry
from sqlalchemy.util.concurrency import await_
from sqlalchemy.util.queue import AsyncAdaptedQueue, Empty


class FairQueue(AsyncAdaptedQueue[ConnectionPoolEntry]):
    """The pool's idle connections, lent first come, first served."""

    def __init__(self, maxsize: int = 0, use_lifo: bool = False) -> None:
        super().__init__(maxsize, use_lifo)
        self._waiters: deque[asyncio.Future[ConnectionPoolEntry]] = deque()

    def put_nowait(self, item: ConnectionPoolEntry) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():  # a waiter that gave up is skipped
                waiter.set_result(item)
                return
        super().put_nowait(item)

    def put(
        self, item: ConnectionPoolEntry, block: bool = True, timeout: float | None = None
    ) -> None:
        # The pool hands connections back without blocking; an idle one never overfills the
        # queue, which holds every connection the pool may open.
        self.put_nowait(item)

    def get(self, block: bool = True, timeout: float | None = None) -> ConnectionPoolEntry:
        if not self._waiters or not block:
            try:
                return self._queue.get_nowait()
            except asyncio.QueueEmpty:
                if not block:
                    raise Empty() from None
        waiter: asyncio.Future[ConnectionPoolEntry] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        return await_(self._wait(waiter, timeout))

    async def _wait(
        self, waiter: asyncio.Future[ConnectionPoolEntry], seconds: float | None
    ) -> ConnectionPoolEntry:
        try:
            async with asyncio.timeout(seconds):
                return await asyncio.shield(waiter)
        except TimeoutError:
            if waiter.done():  # handed over as the time ran out
                return waiter.result()
            waiter.cancel()
            raise Empty() from None
        except BaseException:
            # Cancelled while waiting: a connection handed over meanwhile goes to the next.
            if waiter.done():
                self.put_nowait(waiter.result())
            else:
                waiter.cancel()
            raise


class FairPool(AsyncAdaptedQueuePool):
    """SQLAlchemy's async queue pool, lending its connections first come, first served."""

    _queue_class: Any = FairQueue
