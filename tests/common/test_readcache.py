"""Kept list answers (common.readcache): served again only while nothing was committed, never
to another caller, never to a caller without a valid token; on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio

from sqlalchemy import update
from sqlmodel import col

from common.db import Database
from common.readcache import ReadCache
from services.staffing.models import Unit
from tests.staffing.support import CITY_HR, staffing
from tests.support import NatsServer, principal


def _cache(api) -> ReadCache:
    cache: ReadCache = api.state.read_cache
    return cache


async def _names(api, who=CITY_HR) -> list[str]:
    return [u["name"] for u in (await api.ok("GET", "/v1/units?limit=500", who))["data"]]


async def test_a_kept_list_is_served_until_any_commit_then_read_again(
    make_database, identity, nats_server: NatsServer
):
    url = await make_database("staffing")
    async with staffing(identity, url, nats_server.url) as api:
        district = await api.district("KEPT")
        cache = _cache(api)
        first = await _names(api)
        # Served from what was kept. On PostgreSQL any commit in the cluster (this service's
        # relay marking its events sent, other tests' databases) moves the snapshot on, so
        # reads go on until one falls in a quiet moment.
        for _ in range(200):
            hits = cache.hits
            assert await _names(api) == first
            if cache.hits > hits:
                break
        else:
            raise AssertionError("no read was answered from what was kept")
        metrics = (await api.client.get("/metrics")).text
        assert 'tp_read_cache_total{outcome="hit",service="staffing"}' in metrics

        # a write through this process
        await api.school(district["id"], "NEW")
        assert "学校NEW" in await _names(api)

        # a commit by another connection, as a replica or a script would make it
        other = Database(url)
        try:
            async with other.session() as session:
                await session.execute(
                    update(Unit).where(col(Unit.code) == "NEW").values(name="改名后的学校")
                )
        finally:
            await other.dispose()
        names = await _names(api)
        assert "改名后的学校" in names and "学校NEW" not in names


async def test_callers_never_share_a_kept_answer_and_the_token_is_checked_on_a_hit(
    make_database, identity, nats_server: NatsServer
):
    async with staffing(identity, await make_database("staffing"), nats_server.url) as api:
        east, west = await api.district("EAST"), await api.district("WEST")
        await api.school(east["id"], "E1")
        await api.school(west["id"], "W1")
        east_hr = principal("district_hr", sub="user:east", district_id=east["id"])
        west_hr = principal("district_hr", sub="user:west", district_id=west["id"])
        # Rounds until one is served from what was kept (on PostgreSQL, see the test above).
        for _ in range(100):
            assert "学校W1" not in await _names(api, east_hr)
            assert "学校E1" not in await _names(api, west_hr)
            assert {"学校E1", "学校W1"} <= set(await _names(api))
            if _cache(api).hits > 0:
                break
        else:
            raise AssertionError("no read was answered from what was kept")
        for headers in ({}, {"Authorization": "Bearer not-a-token"}):
            refused = await api.client.get("/v1/units?limit=500", headers=headers)
            assert refused.status_code == 401
            assert refused.headers["content-type"] == "application/problem+json"


async def test_a_read_after_a_write_sees_it_while_many_read_at_once(
    make_database, identity, nats_server: NatsServer
):
    """Every renaming answered is seen by every read begun after the answer, with 6 readers
    keeping the list warm meanwhile (and, on PostgreSQL, sharing their snapshot reads)."""
    async with staffing(identity, await make_database("staffing"), nats_server.url) as api:
        district = await api.district("BUSY")
        stop = asyncio.Event()

        async def keep_reading() -> None:
            while not stop.is_set():
                await _names(api)
                # in-process, a kept answer is served without the loop turning once; a
                # reader a millisecond apart keeps the list warm without starving the writer
                await asyncio.sleep(0.001)

        readers = [asyncio.create_task(keep_reading()) for _ in range(6)]
        try:
            for n in range(6):
                await api.ok("PATCH", f"/v1/units/{district['id']}", json={"name": f"区名{n}"})
                seen = await asyncio.gather(*(_names(api) for _ in range(5)))
                assert all(f"区名{n}" in names for names in seen), (n, seen)
        finally:
            stop.set()
            await asyncio.gather(*readers)
        assert _cache(api).hits > 0
