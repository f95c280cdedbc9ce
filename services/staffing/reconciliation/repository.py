"""The rows staffing shows `teacherpool reconcile`: the roster and the reservations."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.reconciliation import ReservationRow, StaffRow
from services.staffing.models import Reservation, Staff


async def staff(session: AsyncSession) -> list[StaffRow]:
    stmt = select(
        Staff.id,
        Staff.unit_id,
        Staff.status,
        Staff.title,
        Staff.subject,
        Staff.posting_id,
        Staff.talent_application_id,
        Staff.left_on,
        Staff.created_at,
    ).order_by(Staff.id)
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
    stmt = select(Reservation).order_by(Reservation.posting_id)
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
