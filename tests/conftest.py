"""Fixtures shared by every test."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from tests.support import BACKENDS, PG_ENV, PG_MISSING, Databases, Identity, NatsServer


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("TP_REQUIRE_POSTGRES") and not os.environ.get(PG_ENV):
        raise pytest.UsageError(f"TP_REQUIRE_POSTGRES is set but {PG_ENV} is not")
    # Slow tests first. xdist (--dist loadgroup) hands out the xdist groups, largest first, then
    # every other test in this order: the long ones start early on both workers and the many
    # short ones fill in at the end, so the workers finish together. The sort is stable, so
    # tests keep their order within a module otherwise.
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(scope="session")
def session_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("teacherpool")


@pytest.fixture(scope="session")
def identity(session_dir: Path) -> Identity:
    return Identity(session_dir / "var" / "keys")


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    """A nats-server for this test alone: durable consumers never see another test's events."""
    server = NatsServer(tmp_path / "nats-shared")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def own_nats(tmp_path: Path) -> Iterator[NatsServer]:
    """A nats-server of the test's own, free to be killed."""
    server = NatsServer(tmp_path / "nats")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def databases(session_dir: Path) -> Iterator[Databases]:
    made = Databases(session_dir)
    yield made
    asyncio.run(made.drop_templates())


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each test that takes this runs on SQLite and, when configured, on PostgreSQL."""
    if request.param == "postgresql" and not os.environ.get(PG_ENV):
        pytest.skip(PG_MISSING)
    return str(request.param)


@pytest.fixture
async def make_database(
    databases: Databases, backend: str
) -> AsyncIterator[Callable[[str], Awaitable[str]]]:
    """A factory of freshly migrated databases for a service, on this test's backend."""

    async def make(service: str) -> str:
        return await databases.create(service, backend)

    yield make
    await databases.drop_created()
