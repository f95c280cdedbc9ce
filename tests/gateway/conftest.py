"""Fixtures of the gateway tests."""

from __future__ import annotations

import pytest

from tests.gateway.support import add_user


@pytest.fixture
async def database_url(make_database) -> str:
    """A gateway database with the city HR account `cityhr`."""
    url: str = await make_database("gateway")
    await add_user(url, "cityhr", "city_hr")
    return url
