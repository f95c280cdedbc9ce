"""The rows talent shows `teacherpool reconcile`: postings that hold posts and hires."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from contracts.reconciliation import ApplicationRow, PostingRow
from services.talent.models import Application, Posting

#: Application states that say something about a hire staffing must agree with.
HIRE_STATES = ("hired", "hiring", "hire_failed")


async def postings(session: AsyncSession) -> list[PostingRow]:
    stmt = select(Posting).where(col(Posting.status) != "draft").order_by(col(Posting.id))
    return [
        PostingRow(
            id=p.id,
            unit_id=p.unit_id,
            quota_type=p.quota_type,
            count=p.count,
            hired=p.hired,
            status=p.status,
            reservation=p.reservation,
            at=p.updated_at,
        )
        for p in (await session.execute(stmt)).scalars()
    ]


async def hires(session: AsyncSession) -> list[ApplicationRow]:
    stmt = (
        select(
            col(Application.id),
            col(Application.posting_id),
            col(Application.status),
            col(Application.staff_id),
            col(Application.updated_at),
        )
        .where(
            or_(col(Application.status).in_(HIRE_STATES), col(Application.staff_id).is_not(None))
        )
        .order_by(col(Application.id))
    )
    return [
        ApplicationRow(
            id=r.id, posting_id=r.posting_id, status=r.status, staff_id=r.staff_id, at=r.updated_at
        )
        for r in await session.execute(stmt)
    ]
