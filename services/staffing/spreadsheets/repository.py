"""Every query of imports and exports."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.staffing.models import Unit


async def units(session: AsyncSession) -> list[Unit]:
    return list((await session.execute(select(Unit))).scalars())


async def all_rows(session: AsyncSession, stmt: Select[Any], limit: int) -> list[Any]:
    return list((await session.execute(stmt.limit(limit))).scalars())
