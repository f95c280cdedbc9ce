"""The rows staffing shows `teacherpool reconcile`: the roster and the reservations."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from contracts.reconciliation import ReservationRow, StaffRow
from services.staffing.models import Reservation, Staff


async def staff(session: AsyncSession) -> list[StaffRow]:
    stmt = select(
        col(Staff.id),
        col(Staff.unit_id),
        col(Staff.status),
        col(Staff.title),
        col(Staff.subject),
        col(Staff.posting_id),
        col(Staff.talent_application_id),
        col(Staff.left_on),
        col(Staff.created_at),
    ).order_by(col(Staff.id))
    return [
        StaffRow(
            id=r.id,
            unit_id=r.unit_id,
            status=r.status,
            title=r.title,
            subject=r.subject,
            posting_id=r.posting_id,
            application_id=r.talent_application_id,
            left_on=r.left_on,
            at=r.created_at,
        )
        for r in await session.execute(stmt)
    ]


async def reservations(session: AsyncSession) -> list[ReservationRow]:
    stmt = select(Reservation).order_by(col(Reservation.posting_id))
    return [
        ReservationRow(
            posting_id=r.posting_id,
            unit_id=r.unit_id,
            quota_type=r.quota_type,
            requested=r.requested,
            held=r.held,
            filled=r.filled,
            status=r.status,
            at=r.updated_at,
        )
        for r in (await session.execute(stmt)).scalars()
    ]
