"""Queries of requests and district settings."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Select, false, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from common.auth import Principal
from common.scoping import unit_scope
from services.sharing.models import DistrictSetting, Offer, ShareRequest


async def get(session: AsyncSession, request_id: uuid.UUID) -> ShareRequest | None:
    return await session.get(ShareRequest, request_id)


async def lock(session: AsyncSession, request_id: uuid.UUID) -> ShareRequest | None:
    stmt = (
        select(ShareRequest)
        .where(col(ShareRequest.id) == request_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def requires_approval(session: AsyncSession, district_id: uuid.UUID | None) -> bool:
    if district_id is None:
        return False
    setting = await session.get(DistrictSetting, district_id)
    return setting is not None and setting.requires_approval


def visible(principal: Principal) -> Select[Any]:
    """Requests of the schools in the caller's scope; a teacher sees none."""
    stmt = select(ShareRequest)
    if principal.role == "teacher":
        return stmt.where(false())
    return stmt.where(
        unit_scope(principal, col(ShareRequest.unit_id), col(ShareRequest.district_id))
    )


async def open_in_term(
    session: AsyncSession, term_start: date, term_end: date, district_id: uuid.UUID | None
) -> list[ShareRequest]:
    """Open requests whose term overlaps the given one, first come first."""
    stmt = select(ShareRequest).where(
        col(ShareRequest.status) == "open",
        col(ShareRequest.term_start) <= term_end,
        col(ShareRequest.term_end) >= term_start,
    )
    if district_id is not None:
        stmt = stmt.where(col(ShareRequest.district_id) == district_id)
    stmt = stmt.order_by(col(ShareRequest.created_at), col(ShareRequest.id))
    return list((await session.execute(stmt)).scalars())


async def withdraw_offers(session: AsyncSession, request_id: uuid.UUID) -> None:
    await session.execute(
        update(Offer)
        .where(col(Offer.request_id) == request_id, col(Offer.status).in_(("sent", "consented")))
        .values(status="withdrawn")
    )
