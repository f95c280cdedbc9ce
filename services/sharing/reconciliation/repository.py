"""The rows sharing shows `teacherpool reconcile`: profiles and running assignments."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from contracts.reconciliation import AssignmentRow, TeacherRow
from services.sharing.models import Assignment, Teacher


async def teachers(session: AsyncSession) -> list[TeacherRow]:
    stmt = select(
        col(Teacher.id),
        col(Teacher.unit_id),
        col(Teacher.active),
        col(Teacher.title),
        col(Teacher.subjects),
        col(Teacher.left_on),
        col(Teacher.as_of),
    ).order_by(col(Teacher.id))
    return [
        TeacherRow(
            id=r.id,
            unit_id=r.unit_id,
            active=r.active,
            title=r.title,
            subjects=list(r.subjects or []),
            left_on=r.left_on,
            at=r.as_of,
        )
        for r in await session.execute(stmt)
    ]


async def running_assignments(session: AsyncSession) -> list[AssignmentRow]:
    stmt = (
        select(
            col(Assignment.id),
            col(Assignment.teacher_id),
            col(Assignment.host_unit_id),
            col(Assignment.status),
            col(Assignment.ends_on),
            col(Assignment.updated_at),
        )
        .where(col(Assignment.status) == "active")
        .order_by(col(Assignment.id))
    )
    return [
        AssignmentRow(
            id=r.id,
            teacher_id=r.teacher_id,
            host_unit_id=r.host_unit_id,
            status=r.status,
            ends_on=r.ends_on,
            at=r.updated_at,
        )
        for r in await session.execute(stmt)
    ]
