"""Who may act in the sharing center: HR by scope, a school for itself, a teacher for themself."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from common.auth import PERSONNEL_ROLES, Principal
from common.errors import Forbidden
from services.sharing.models import Evaluation, Lesson, LessonMove, Teacher


def is_hr_for(principal: Principal, unit_id: uuid.UUID, district_id: uuid.UUID | None) -> bool:
    """City HR anywhere; district HR for the units of its district."""
    if principal.role == "city_hr":
        return True
    return principal.role == "district_hr" and principal.can_see_unit(unit_id, district_id)


def require_hr(principal: Principal, action: str) -> None:
    if principal.role not in PERSONNEL_ROLES:
        raise Forbidden(f"only city or district HR may {action}")


def is_school_of(principal: Principal, unit_id: uuid.UUID) -> bool:
    return principal.role == "school_admin" and principal.unit_id == unit_id


async def acting_teacher_id(session: AsyncSession, principal: Principal) -> uuid.UUID | None:
    """The caller's own teacher profile: the token's `teacher_id`, the one link between an
    account and a teacher (the gateway's users.teacher_id = the roster's staff id)."""
    if principal.role != "teacher":
        return None
    return principal.teacher_id


def visible_between_schools(
    model: type[Lesson] | type[LessonMove] | type[Evaluation],
    principal: Principal,
    teacher_id: uuid.UUID | None,
) -> Select[Any]:
    """Rows of a teacher's work at a host school that the caller may see: HR in scope (district
    HR by the teacher's district), the host and the home school, and the teacher themself."""
    stmt = select(model)
    if principal.is_city_wide or principal.role == "city_hr":
        return stmt
    if principal.role == "district_hr":
        return stmt.join(Teacher, col(Teacher.id) == col(model.teacher_id)).where(
            col(Teacher.district_id) == principal.district_id
        )
    if principal.role == "school_admin":
        return stmt.where(
            or_(
                col(model.host_unit_id) == principal.unit_id,
                col(model.home_unit_id) == principal.unit_id,
            )
        )
    return stmt.where(col(model.teacher_id) == teacher_id)
