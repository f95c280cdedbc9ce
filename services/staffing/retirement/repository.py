"""Every query on retirement rules and on the staff they apply to."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from common.auth import Principal
from common.scoping import unit_scope
from services.staffing.models import RetirementBase, RetirementRule, Staff, Unit
from services.staffing.retirement.rules import RuleBook


async def rule_book(session: AsyncSession) -> RuleBook:
    rules = (await session.execute(select(RetirementRule))).scalars()
    bases = (await session.execute(select(RetirementBase))).scalars()
    return RuleBook(list(rules), list(bases))


async def active_people(
    session: AsyncSession, unit_id: uuid.UUID, quota_type: str
) -> list[tuple[str, str, date]]:
    """Sex, post category and birth date of the unit's active staff of one quota type."""
    stmt = select(col(Staff.sex), col(Staff.post_category), col(Staff.birth_date)).where(
        col(Staff.unit_id) == unit_id,
        col(Staff.quota_type) == quota_type,
        col(Staff.status) == "active",
    )
    return [(sex, category, born) for sex, category, born in await session.execute(stmt)]


async def born_by(
    session: AsyncSession,
    principal: Principal,
    born_on_or_before: date,
    unit_id: uuid.UUID | None,
    district_id: uuid.UUID | None,
) -> list[tuple[Staff, Any]]:
    """Active staff in scope born on or before a day, with their unit's name."""
    stmt = (
        select(Staff, col(Unit.name))
        .join(Unit, col(Unit.id) == col(Staff.unit_id))
        .where(
            unit_scope(principal, col(Unit.id), col(Unit.district_id)),
            col(Staff.status) == "active",
            col(Staff.birth_date) <= born_on_or_before,
        )
    )
    if unit_id is not None:
        stmt = stmt.where(col(Staff.unit_id) == unit_id)
    if district_id is not None:
        stmt = stmt.where((col(Unit.district_id) == district_id) | (col(Unit.id) == district_id))
    return [(staff, name) for staff, name in await session.execute(stmt)]
