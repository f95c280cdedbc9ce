"""Gateway test helpers: settings, users, services served on real ports in threads."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import uvicorn
from starlette.types import ASGIApp

from common.db import Database
from gateway.auth.schemas import UserCreate
from gateway.auth.secrets import hash_password
from gateway.models import User
from gateway.settings import GatewaySettings
from tests.support import Identity, free_port

PASSWORD = "correct horse battery"
UNREACHABLE = "http://127.0.0.1:9"


def gateway_settings(identity: Identity, database_url: str, **extra: Any) -> GatewaySettings:
    extra.setdefault("consume_events", False)
    extra.setdefault("revocation_check_seconds", 0)
    # In-process clients connect from 127.0.0.1: trust no proxy unless a test says so.
    extra.setdefault("forwarded_allow_ips", "192.0.2.1")
    for name in ("staffing_url", "sharing_url", "talent_url"):
        extra.setdefault(name, UNREACHABLE)
    common = extra.pop("common", None) or identity.common()
    return GatewaySettings(database_url=database_url, common=common, **extra)


@functools.cache
def password_hash() -> str:
    """The argon2id hash of PASSWORD, made once per process: a hash costs tens of milliseconds
    of CPU, and the tests add users by the hundred. Test users share it; a salt of each user's
    own matters for real accounts, which the gateway's own create_user makes."""
    return hash_password(PASSWORD)


async def add_user(database_url: str, username: str, role: str, **scope: Any) -> None:
    """A user with the password PASSWORD, as city HR's create-user call would add it."""
    data = UserCreate(
        username=username,
        display_name=username,
        password=PASSWORD,
        role=role,
        **scope,
    )
    db = Database(database_url)
    try:
        async with db.session() as session:
            session.add(
                User(
                    **data.model_dump(exclude={"password"}),
                    password_hash=password_hash(),
                )
            )
    finally:
        await db.dispose()


async def bearer(client: httpx.AsyncClient, username: str) -> dict[str, str]:
    tokens = await password_grant(client, username)
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def password_grant(
    client: httpx.AsyncClient, username: str, password: str = PASSWORD
) -> dict[str, Any]:
    response = await client.post(
        "/api/auth/v1/token",
        data={"grant_type": "password", "username": username, "password": password},
    )
    assert response.status_code == 200, response.text
    return response.json()


class ThreadServer:
    """An ASGI app under uvicorn on a real port, in a thread with its own event loop."""

    def __init__(self, app: ASGIApp, port: int | None = None, **config: Any) -> None:
        self.app = app
        self.port = port or free_port()
        # As `teacherpool serve` does: idle connections outlive the clients' keep-alive, so a
        # client never sends a request down a connection the server is closing that moment.
        self.config = {"timeout_keep_alive": 65, **config}
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ThreadServer:
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
            **self.config,
        )
        server = self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self.server is not None and self.thread is not None:
            self.server.should_exit = True
            self.thread.join(15)


@contextlib.contextmanager
def served(app: ASGIApp, port: int | None = None, **config: Any) -> Iterator[ThreadServer]:
    """`app` on a real port; `config` goes to uvicorn."""
    server = ThreadServer(app, port, **config).start()
    try:
        yield server
    finally:
        server.stop()
