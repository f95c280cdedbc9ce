"""Fixtures of the sharing tests: a migrated sharing database with a small city in it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from common.db import Database
from services.sharing.app import create_app
from services.sharing.settings import SharingSettings
from tests.sharing.support import City, seed_city
from tests.support import running, service_settings


@pytest.fixture
async def sharing_url(make_database) -> str:
    return str(await make_database("sharing"))


@pytest.fixture
async def db(sharing_url: str) -> AsyncIterator[Database]:
    database = Database(sharing_url)
    yield database
    await database.dispose()


@pytest.fixture
async def city(db: Database) -> City:
    return await seed_city(db)


@pytest.fixture
async def client(sharing_url, city, nats_server, identity):
    """The sharing service in-process on the test's database."""
    settings = service_settings(
        SharingSettings, identity, sharing_url, nats_server.url, db_pool_size=20
    )
    async with running(create_app(settings)) as http:
        yield http
