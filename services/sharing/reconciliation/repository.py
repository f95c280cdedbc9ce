"""The rows sharing shows `teacherpool reconcile`: profiles and running assignments."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.reconciliation import AssignmentRow, TeacherRow
from services.sharing.models import Assignment, Teacher


async def teachers(session: AsyncSession) -> list[TeacherRow]:
    stmt = select(
        Teacher.id,
        Teacher.unit_id,
        Teacher.active,
        Teacher.title,
        Teacher.subjects,
        Teacher.left_on,
        Teacher.as_of,
    ).order_by(Teacher.id)
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
            Assignment.id,
            Assignment.teacher_id,
            Assignment.host_unit_id,
            Assignment.status,
            Assignment.ends_on,
            Assignment.updated_at,
        )
        .where(Assignment.status == "active")
        .order_by(Assignment.id)
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
