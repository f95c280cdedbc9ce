"""Every query on the roster."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import CTE, Select, Table, bindparam, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from common.auth import Principal
from common.db import table_of, values_from
from common.scoping import unit_scope
from services.staffing.models import LedgerEntry, Quota, Staff, StaffTitle, Unit, messaging
from services.staffing.quotas import repository as quotas


async def get(session: AsyncSession, staff_id: uuid.UUID) -> Staff | None:
    return await session.get(Staff, staff_id)


async def lock(session: AsyncSession, staff_id: uuid.UUID) -> Staff | None:
    stmt = (
        select(Staff)
        .where(col(Staff.id) == staff_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def by_talent_application(session: AsyncSession, application_id: uuid.UUID) -> Staff | None:
    stmt = select(Staff).where(col(Staff.talent_application_id) == application_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def titles(session: AsyncSession, staff_id: uuid.UUID) -> list[StaffTitle]:
    """A person's dated titles, oldest first."""
    stmt = (
        select(StaffTitle)
        .where(col(StaffTitle.staff_id) == staff_id)
        .order_by(col(StaffTitle.effective_from))
    )
    return list((await session.execute(stmt)).scalars())


def visible(principal: Principal) -> Select[Any]:
    return (
        select(Staff)
        .join(Unit, col(Unit.id) == col(Staff.unit_id))
        .where(unit_scope(principal, col(Unit.id), col(Unit.district_id)))
    )


OUTBOX_COLUMNS = ("id", "type", "subject", "envelope", "created_at", "attempts")


@cache
def hiring(with_title: bool, movement: tuple[str, ...]) -> Select[Any]:
    """PostgreSQL: a hire's writes as one statement, so they take one round trip and the
    unit's balance row is locked only from this statement to the commit.

    The balance row takes a vacant post of the unit's type with `quotas.taking`, the test
    `quotas.take_vacant` makes (re-checked on the row as it stands once locked); the
    person, their title, the event and the ledger entry are each inserted from that row, so
    when no post was vacant nothing at all is written. It returns the posts now occupied, or
    no row. Parameters: `of_unit`, `of_type`, `posts` (1), `staff_<column>` for every column of the
    person, `title_<column>` and `outbox_<column>` likewise, and `entry_<field>` for each
    field of the ledger entry named in `movement` (the rest come from the balance row)."""
    taken = (
        quotas.taking("occupied")
        .returning(col(Quota.unit_id), col(Quota.quota_type), col(Quota.occupied))
        .cte("taken")
    )
    staff = table_of(Staff)
    written = [
        _from_row(taken, staff, "staff", [c.name for c in staff.columns]),
        _from_row(taken, messaging.outbox, "outbox", OUTBOX_COLUMNS),
        _from_row(
            taken,
            table_of(LedgerEntry),
            "entry",
            [*movement, "unit_id", "quota_type", "account", "delta", "balance_after"],
            unit_id=taken.c.unit_id,
            quota_type=taken.c.quota_type,
            account=literal("occupied"),
            delta=bindparam("posts"),
            balance_after=taken.c.occupied,
        ),
    ]
    if with_title:
        titles = table_of(StaffTitle)
        written.append(_from_row(taken, titles, "title", [c.name for c in titles.columns]))
    return select(taken.c.occupied).add_cte(*written)


def _from_row(taken: CTE, table: Table, prefix: str, names: Sequence[str], **given: Any) -> CTE:
    """INSERT into `table` one row per row of `taken` (one, or none)."""
    return (
        insert(table)
        .from_select(names, values_from(taken, table, prefix, names, **given))
        .cte(prefix)
    )
