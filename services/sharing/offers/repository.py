"""Queries of offers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from common.auth import Principal
from services.sharing.models import Offer, Unit


async def get(session: AsyncSession, offer_id: uuid.UUID) -> Offer | None:
    return await session.get(Offer, offer_id)


async def lock(session: AsyncSession, offer_id: uuid.UUID) -> Offer | None:
    stmt = (
        select(Offer)
        .where(col(Offer.id) == offer_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def live_for(
    session: AsyncSession, request_id: uuid.UUID, teacher_id: uuid.UUID
) -> Offer | None:
    stmt = select(Offer).where(
        col(Offer.request_id) == request_id,
        col(Offer.teacher_id) == teacher_id,
        col(Offer.status).in_(("sent", "consented")),
    )
    return (await session.execute(stmt)).scalars().first()


async def due_to_expire(session: AsyncSession, now: datetime, limit: int) -> list[Offer]:
    stmt = (
        select(Offer)
        .where(col(Offer.status).in_(("sent", "consented")), col(Offer.expires_at) < now)
        .order_by(col(Offer.expires_at))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await session.execute(stmt)).scalars())


def visible(principal: Principal, teacher_id: uuid.UUID | None) -> Select[Any]:
    """Offers the caller may see: a school's own requests and own teachers, a teacher's own."""
    stmt = select(Offer)
    if principal.is_city_wide or principal.role == "city_hr":
        return stmt
    if principal.role == "district_hr":
        return stmt.where(
            or_(
                col(Offer.host_district_id) == principal.district_id,
                col(Offer.home_district_id) == principal.district_id,
            )
        )
    if principal.role == "school_admin":
        return stmt.where(
            or_(
                col(Offer.host_unit_id) == principal.unit_id,
                col(Offer.home_unit_id) == principal.unit_id,
            )
        )
    return stmt.where(col(Offer.teacher_id) == teacher_id)


def of_request(principal: Principal, request_id: uuid.UUID) -> Select[Any]:
    """The offers made for a request that the caller may see."""
    return visible(principal, None).where(col(Offer.request_id) == request_id)


async def unit_names(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The names of the units behind `ids` that sharing has heard of."""
    if not ids:
        return {}
    stmt = select(col(Unit.id), col(Unit.name)).where(col(Unit.id).in_(ids))
    return {unit_id: name for unit_id, name in (await session.execute(stmt)).all()}
