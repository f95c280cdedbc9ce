"""The NATS JetStream connection: one stream per publishing service, and the dead-letter stream."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import StorageType, StreamConfig
from nats.js.errors import BadRequestError, NotFoundError

log = logging.getLogger(__name__)

PUBLISHERS = ("staffing", "sharing", "talent")
"""The services that publish events, a stream each (the gateway only consumes)."""
DLQ_STREAM = "DLQ"
#: How long a stream keeps an event. Some events carry personal fields (contracts mark them): an
#: erasure is complete once the window has passed. Consumers apply events within seconds; a
#: consumer down for longer than this is repaired by `teacherpool reconcile`.
STREAM_MAX_AGE_SECONDS = 30 * 24 * 3600


def stream_name(service: str) -> str:
    return service.upper()


def dlq_subject(service: str) -> str:
    return f"dlq.{service}"


class Bus:
    """A reconnecting NATS client that makes sure the streams exist before anyone uses them."""

    def __init__(
        self,
        url: str,
        *,
        name: str,
        replicas: int = 1,
        duplicate_window: float = 120.0,
    ) -> None:
        self.url = url
        self.name = name
        self.replicas = replicas
        self.duplicate_window = duplicate_window
        self.nc: Client | None = None
        self._js: JetStreamContext | None = None
        self.ready = asyncio.Event()

    @property
    def js(self) -> JetStreamContext:
        if self._js is None:
            raise RuntimeError("the bus is not connected yet")
        return self._js

    @property
    def is_connected(self) -> bool:
        return self.nc is not None and self.nc.is_connected

    async def connect(self, *, retry_forever: bool = True) -> None:
        """Connect, retrying the first connection too: NATS may start after the service."""
        delay = 0.2
        while True:
            try:
                self.nc = await nats.connect(
                    self.url,
                    name=self.name,
                    allow_reconnect=True,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=0.25,
                    connect_timeout=2,
                    ping_interval=5,
                    max_outstanding_pings=2,
                    # Closing should not hang for long on a server that went away.
                    drain_timeout=3,
                    error_cb=self._on_error,
                    disconnected_cb=self._on_disconnected,
                    reconnected_cb=self._on_reconnected,
                )
                break
            except Exception as error:
                if not retry_forever:
                    raise
                log.warning("NATS not reachable at %s: %s", self.url, error)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        self._js = self.nc.jetstream(timeout=5)
        await self.ensure_streams()
        self.ready.set()

    async def ensure_streams(self) -> None:
        for service in PUBLISHERS:
            await self._ensure_stream(
                StreamConfig(
                    name=stream_name(service),
                    subjects=[f"{service}.>"],
                    storage=StorageType.FILE,
                    num_replicas=self.replicas,
                    duplicate_window=self.duplicate_window,
                    max_age=STREAM_MAX_AGE_SECONDS,
                )
            )
        await self._ensure_stream(
            StreamConfig(
                name=DLQ_STREAM,
                subjects=["dlq.>"],
                storage=StorageType.FILE,
                num_replicas=self.replicas,
                max_age=STREAM_MAX_AGE_SECONDS,
            )
        )

    async def _ensure_stream(self, config: StreamConfig) -> None:
        try:
            await self.js.stream_info(config.name or "")
        except NotFoundError:
            # another process may create it between our look and our add
            with contextlib.suppress(BadRequestError):
                await self.js.add_stream(config)
            return
        await self.js.update_stream(config)

    async def close(self) -> None:
        if self.nc is not None and not self.nc.is_closed:
            try:
                await self.nc.drain()
            except Exception:
                await self.nc.close()
        self.ready.clear()

    async def _on_error(self, error: Exception) -> None:
        log.warning("NATS error: %s", error)

    async def _on_disconnected(self) -> None:
        log.warning("NATS disconnected")

    async def _on_reconnected(self) -> None:
        log.info("NATS reconnected")
