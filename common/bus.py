"""The NATS JetStream connection: one stream per publishing service, and the dead-letter stream."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from pathlib import Path

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import StorageType, StreamConfig
from nats.js.errors import BadRequestError, NotFoundError

from common.natsauth import DLQ_STREAM as DLQ_STREAM
from common.natsauth import PUBLISHERS as PUBLISHERS
from common.natsauth import has_credentials, inbox_prefix, owned_streams

log = logging.getLogger(__name__)

#: How long a stream keeps an event. Some events carry personal fields (contracts mark them): an
#: erasure is complete once the window has passed. Consumers apply events within seconds; a
#: consumer down for longer than this is repaired by `teacherpool reconcile`.
STREAM_MAX_AGE_SECONDS = 30 * 24 * 3600


def stream_name(service: str) -> str:
    return service.upper()


def dlq_subject(service: str) -> str:
    return f"dlq.{service}"


def tls_context(ca_file: Path | None) -> ssl.SSLContext | None:
    """A client TLS context that trusts `ca_file` (the NATS servers' CA), or None for none."""
    if ca_file is None:
        return None
    return ssl.create_default_context(cafile=str(ca_file))


class Bus:
    """A reconnecting NATS client that makes sure the streams exist before anyone uses them.

    A service's connection (named after it) keeps the configuration of its own stream and
    creates the dead-letter stream if it is missing; the streams of others are their owners'
    to create, which its NATS user could not do anyway (`common.natsauth`). Any other name
    (a test's connection to an open server) keeps every stream.
    """

    def __init__(
        self,
        url: str,
        *,
        name: str,
        replicas: int = 1,
        duplicate_window: float = 120.0,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.url = url
        self.name = name
        self.replicas = replicas
        self.duplicate_window = duplicate_window
        self.tls = tls
        # On a server without users (the tests' own) a connection keeps every stream, as it may.
        self.owned = owned_streams(name) if has_credentials(url) else None
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
                    inbox_prefix=inbox_prefix(self.name),
                    tls=self.tls,
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
            if self.owned is not None and stream_name(service) not in self.owned:
                continue
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
            ),
            update=self.owned is None,
        )

    async def _ensure_stream(self, config: StreamConfig, *, update: bool = True) -> None:
        """Create the stream if it is missing; bring it to `config` if we keep it."""
        try:
            await self.js.stream_info(config.name or "")
        except NotFoundError:
            # another process may create it between our look and our add
            with contextlib.suppress(BadRequestError):
                await self.js.add_stream(config)
            return
        if update:
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
