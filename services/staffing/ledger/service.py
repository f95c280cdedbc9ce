"""Moving balances, always with a ledger row, and recomputing every balance from the ledger."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common.db import Database, utcnow
from common.observability import current_traceparent
from services.staffing.ledger import repository
from services.staffing.models import DistrictPool, LedgerEntry, Pool, Quota

#: Kinds that change the city's total of posts; every other movement only moves posts around.
EXTERNAL_KINDS = frozenset({"adjustment", "opening"})
ACCOUNTS = ("approved", "occupied", "reserved", "borrowed")
POOL_ACCOUNT = "pool"


def correlation_id() -> str:
    """The trace id of the request or event at hand, so one saga's rows share it."""
    traceparent = current_traceparent()
    if traceparent and traceparent.count("-") == 3:
        return traceparent.split("-")[1]
    return uuid.uuid4().hex


@dataclass(frozen=True, slots=True)
class Movement:
    """Why balances move: the kind of movement, who, under which document, in which saga."""

    kind: str
    actor: str
    document_no: str | None = None
    reason: str | None = None
    correlation_id: str = ""

    @classmethod
    def of(cls, kind: str, actor: str, **fields: str | None) -> Movement:
        return cls(kind, actor, correlation_id=correlation_id(), **fields)


def move(session: AsyncSession, quota: Quota, account: str, delta: int, why: Movement) -> None:
    """Change one counter of a unit's balance row (already locked) and record the movement."""
    balance = getattr(quota, account) + delta
    setattr(quota, account, balance)
    session.add(_entry(why, quota.unit_id, quota.quota_type, account, delta, balance))


def record(session: AsyncSession, quota: Quota, account: str, delta: int, why: Movement) -> None:
    """Record a movement the database has already made on a unit's balance row (a conditional
    update that returned the row as it now stands)."""
    balance = getattr(quota, account)
    session.add(_entry(why, quota.unit_id, quota.quota_type, account, delta, balance))


def move_pool(session: AsyncSession, pool: Pool | DistrictPool, delta: int, why: Movement) -> None:
    """Change a pool's balance (already locked) and record the movement: the city's pool under
    no unit, a district's under the district."""
    pool.balance += delta
    session.add(_entry(why, pool.owner_id, pool.quota_type, POOL_ACCOUNT, delta, pool.balance))


def _entry(
    why: Movement,
    unit_id: uuid.UUID | None,
    quota_type: str,
    account: str,
    delta: int,
    balance: int,
) -> LedgerEntry:
    return LedgerEntry(
        unit_id=unit_id,
        quota_type=quota_type,
        account=account,
        delta=delta,
        balance_after=balance,
        **entry_fields(why),
    )


def entry_fields(why: Movement) -> dict[str, Any]:
    """What a ledger entry records of the movement itself: kind, who, document, why, saga, when."""
    return {
        "kind": why.kind,
        "actor": why.actor,
        "document_no": why.document_no,
        "reason": why.reason,
        "correlation_id": why.correlation_id or correlation_id(),
        "at": utcnow(),
    }


@dataclass(frozen=True, slots=True)
class Difference:
    """A balance that disagrees with what the ledger or the records say it should be."""

    check: str
    quota_type: str
    unit_id: uuid.UUID | None
    account: str
    recorded: int
    recomputed: int

    def __str__(self) -> str:
        where = f"unit {self.unit_id}" if self.unit_id else "city"
        return (
            f"{self.check}: {where} {self.quota_type}.{self.account} is {self.recorded}, "
            f"recomputed {self.recomputed}"
        )


async def verify(session: AsyncSession) -> list[Difference]:
    """Recompute every balance from the ledger (and from the records behind it); list mismatches."""
    sums = await repository.sums_by_account(session)
    differences: list[Difference] = []

    def compare(check: str, key: tuple[uuid.UUID | None, str, str], recorded: int) -> None:
        recomputed = sums.pop(key, 0) if check == "ledger" else recorded
        if recorded != recomputed:
            differences.append(Difference(check, key[1], key[0], key[2], recorded, recomputed))

    for quota in await repository.all_quotas(session):
        for account in ACCOUNTS:
            compare("ledger", (quota.unit_id, quota.quota_type, account), getattr(quota, account))
    for pool in await repository.all_pools(session):
        compare("ledger", (pool.owner_id, pool.quota_type, POOL_ACCOUNT), pool.balance)
    for (unit_id, quota_type, account), total in sorted(sums.items(), key=str):
        if total:
            differences.append(Difference("ledger", quota_type, unit_id, account, 0, total))
    differences.extend(await _records(session))
    differences.extend(await _conservation(session))
    return differences


async def _records(session: AsyncSession) -> list[Difference]:
    """Counters against the rows they count: staff, reservations and loans."""
    found: list[Difference] = []
    derived = {
        "occupied": await repository.active_staff(session),
        "reserved": await repository.held_reservations(session),
        "borrowed": await repository.outstanding_loans(session),
    }
    for quota in await repository.all_quotas(session):
        for account, counts in derived.items():
            recomputed = counts.pop((quota.unit_id, quota.quota_type), 0)
            recorded = getattr(quota, account)
            if recorded != recomputed:
                found.append(
                    Difference(
                        "records", quota.quota_type, quota.unit_id, account, recorded, recomputed
                    )
                )
    for account, counts in derived.items():
        for (unit_id, quota_type), recomputed in counts.items():
            found.append(Difference("records", quota_type, unit_id, account, 0, recomputed))
    return found


async def _conservation(session: AsyncSession) -> list[Difference]:
    """Per quota type, approved posts plus every pool, the city's and the districts', change only
    by adjustments (基数不变)."""
    found: list[Difference] = []
    held = await repository.posts_held(session)
    external = await repository.external_changes(session, EXTERNAL_KINDS)
    for quota_type in sorted(set(held) | set(external)):
        if held.get(quota_type, 0) != external.get(quota_type, 0):
            found.append(
                Difference(
                    "conservation",
                    quota_type,
                    None,
                    "approved+pool",
                    held.get(quota_type, 0),
                    external.get(quota_type, 0),
                )
            )
    return found


async def verify_database(url: str) -> list[Difference]:
    """`teacherpool staffing verify`: recompute every balance of the database at `url`."""
    db = Database(url)
    try:
        async with db.session(read_only=True) as session:
            return await verify(session)
    finally:
        await db.dispose()
