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
    # short ones fill in at the end, so the workers finish together. A group counts as slow when
    # any of its tests is, so its tests stay side by side and a worker sets up the fixtures they
    # share once. The sort is stable, so tests keep their order within a module otherwise.
    slow_groups = {
        _group(item) for item in items if item.get_closest_marker("slow") is not None
    } - {None}

    def fast(item: pytest.Item) -> bool:
        return item.get_closest_marker("slow") is None and _group(item) not in slow_groups

    items.sort(key=fast)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """On an xdist worker under --dist loadgroup, a test of an xdist group must carry the group
    in its id, which is how xdist sends a group to one worker; otherwise every shared fixture
    (the browser system, a recruitment-site scene) is built again on each worker."""
    grouped = item.config.getoption("loadgroup", default=False) and _group(item)
    if grouped and "@" not in item.nodeid:
        pytest.fail(
            "pytest-xdist did not group this test by its xdist_group mark: this pytest and "
            "pytest-xdist do not work together (see pyproject.toml)",
            pytrace=False,
        )


def _group(item: pytest.Item) -> str | None:
    mark = item.get_closest_marker("xdist_group")
    return str(mark.args[0]) if mark is not None and mark.args else None


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
