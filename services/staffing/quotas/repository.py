"""Every query on quota and pool balances, and the locks that serialise their movements."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from functools import cache

from sqlalchemy import Integer, Update, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key
from sqlmodel import col

from common.db import insert_for
from services.staffing.models import DistrictPool, Pool, Quota

QuotaKey = tuple[uuid.UUID, str]


async def ensure_quotas(session: AsyncSession, keys: Iterable[QuotaKey]) -> None:
    """Create empty balance rows that do not exist yet; a concurrent creator is no error."""
    rows = [{"unit_id": unit_id, "quota_type": quota_type} for unit_id, quota_type in set(keys)]
    if not rows:
        return
    insert = insert_for((await session.connection()).dialect.name)
    await session.execute(
        insert(Quota)
        .values(
            [{**row, "approved": 0, "occupied": 0, "reserved": 0, "borrowed": 0} for row in rows]
        )
        .on_conflict_do_nothing()
    )


async def lock_pool(session: AsyncSession, quota_type: str) -> Pool | None:
    """The pool row of a quota type, locked until the transaction ends.

    Every movement takes its locks in one order (application, quota rows by key, loan, pool),
    so two movements never wait on each other in a circle.
    """
    stmt = (
        select(Pool)
        .where(col(Pool.quota_type) == quota_type)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def lock_quotas(session: AsyncSession, keys: Iterable[QuotaKey]) -> dict[QuotaKey, Quota]:
    """The balance rows of `keys` that exist, locked in key order."""
    locked: dict[QuotaKey, Quota] = {}
    for unit_id, quota_type in sorted(set(keys), key=lambda k: (str(k[0]), k[1])):
        stmt = (
            select(Quota)
            .where(col(Quota.unit_id) == unit_id, col(Quota.quota_type) == quota_type)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        quota = (await session.execute(stmt)).scalar_one_or_none()
        if quota is not None:
            locked[(unit_id, quota_type)] = quota
    return locked


async def lock_quota(session: AsyncSession, unit_id: uuid.UUID, quota_type: str) -> Quota | None:
    return (await lock_quotas(session, [(unit_id, quota_type)])).get((unit_id, quota_type))


async def take_vacant(
    session: AsyncSession, unit_id: uuid.UUID, quota_type: str, account: str, posts: int
) -> Quota | None:
    """Move `posts` vacant posts of a unit into `account` in one statement, which locks the
    balance row until the transaction ends; None, and nothing moved, when fewer are vacant.

    The vacancy test sits in the UPDATE's WHERE, so PostgreSQL re-checks it on the row as it
    stands once the lock is granted: two hires racing for the last post cannot both take it.
    """
    stmt = _taking(account)
    params = {"of_unit": unit_id, "of_type": quota_type, "posts": posts}
    return (await session.execute(stmt, params)).scalar_one_or_none()


@cache
def _taking(account: str) -> Update:
    """take_vacant's statement for one account, built once and bound at each call."""
    return (
        taking(account)
        .returning(Quota)
        .execution_options(synchronize_session=False, populate_existing=True)
    )


def taking(account: str) -> Update:
    """The UPDATE that moves `posts` vacant posts of a unit's balance row into `account`, only
    while that many are vacant. Bound as `of_unit`, `of_type` and `posts` (not the columns'
    names, which an UPDATE keeps for its SET clause)."""
    posts = bindparam("posts", type_=Integer)
    return (
        update(Quota)
        .where(
            col(Quota.unit_id) == bindparam("of_unit"),
            col(Quota.quota_type) == bindparam("of_type"),
            col(Quota.approved) - col(Quota.occupied) - col(Quota.reserved) >= posts,
        )
        .values({account: getattr(Quota, account) + posts})
    )


def occupied_now(session: AsyncSession, unit_id: uuid.UUID, quota_type: str, occupied: int) -> None:
    """A statement the session did not track moved a balance row's posts occupied: a copy the
    session holds takes the figure as the database returned it."""
    loaded = session.sync_session.identity_map.get(identity_key(Quota, (unit_id, quota_type)))
    if loaded is not None:
        set_committed_value(loaded, "occupied", occupied)


async def get(session: AsyncSession, unit_id: uuid.UUID, quota_type: str) -> Quota | None:
    return await session.get(Quota, (unit_id, quota_type), populate_existing=True)


async def of_unit(session: AsyncSession, unit_id: uuid.UUID) -> list[Quota]:
    stmt = select(Quota).where(col(Quota.unit_id) == unit_id).order_by(col(Quota.quota_type))
    return list((await session.execute(stmt)).scalars())


async def pools(session: AsyncSession) -> list[Pool]:
    return list((await session.execute(select(Pool).order_by(col(Pool.quota_type)))).scalars())


async def pool(session: AsyncSession, quota_type: str) -> Pool | None:
    return await session.get(Pool, quota_type)


async def lock_district_pool(
    session: AsyncSession, district_id: uuid.UUID, quota_type: str
) -> DistrictPool | None:
    """A district's pool row, locked until the transaction ends (taken where the city's is)."""
    stmt = (
        select(DistrictPool)
        .where(
            col(DistrictPool.district_id) == district_id, col(DistrictPool.quota_type) == quota_type
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def district_pool(
    session: AsyncSession, district_id: uuid.UUID, quota_type: str
) -> DistrictPool | None:
    return await session.get(DistrictPool, (district_id, quota_type))


async def district_pools(
    session: AsyncSession, district_id: uuid.UUID | None = None
) -> list[DistrictPool]:
    stmt = select(DistrictPool).order_by(
        col(DistrictPool.district_id), col(DistrictPool.quota_type)
    )
    if district_id is not None:
        stmt = stmt.where(col(DistrictPool.district_id) == district_id)
    return list((await session.execute(stmt)).scalars())
