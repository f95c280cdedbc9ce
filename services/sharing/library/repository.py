"""Queries of library applications."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from common.auth import Principal
from services.sharing.models import LibraryApplication, Offer, Unit

UNDER_REVIEW = ("applied", "consented")


async def lock(session: AsyncSession, application_id: uuid.UUID) -> LibraryApplication | None:
    stmt = (
        select(LibraryApplication)
        .where(col(LibraryApplication.id) == application_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def under_review(session: AsyncSession, teacher_id: uuid.UUID) -> LibraryApplication | None:
    stmt = select(LibraryApplication).where(
        col(LibraryApplication.teacher_id) == teacher_id,
        col(LibraryApplication.status).in_(UNDER_REVIEW),
    )
    return (await session.execute(stmt)).scalars().first()


async def districts(session: AsyncSession) -> list[Unit]:
    stmt = select(Unit).where(col(Unit.kind) == "district").order_by(col(Unit.code))
    return list((await session.execute(stmt)).scalars())


async def live_offers(session: AsyncSession, teacher_id: uuid.UUID) -> list[Offer]:
    stmt = (
        select(Offer)
        .where(col(Offer.teacher_id) == teacher_id, col(Offer.status).in_(("sent", "consented")))
        .with_for_update()
    )
    return list((await session.execute(stmt)).scalars())


def visible(principal: Principal, teacher_id: uuid.UUID | None) -> Select[Any]:
    """A teacher's own, a school's teachers', a district's, or all for the city."""
    stmt = select(LibraryApplication)
    if principal.is_city_wide or principal.role == "city_hr":
        return stmt
    if principal.role == "district_hr":
        return stmt.where(col(LibraryApplication.district_id) == principal.district_id)
    if principal.role == "school_admin":
        return stmt.where(col(LibraryApplication.unit_id) == principal.unit_id)
    return stmt.where(col(LibraryApplication.teacher_id) == teacher_id)
