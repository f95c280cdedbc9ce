"""Every query on reservations."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.staffing.models import Reservation


async def get(session: AsyncSession, posting_id: uuid.UUID) -> Reservation | None:
    return await session.get(Reservation, posting_id)


async def lock(session: AsyncSession, posting_id: uuid.UUID) -> Reservation | None:
    stmt = (
        select(Reservation)
        .where(col(Reservation.posting_id) == posting_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one_or_none()
