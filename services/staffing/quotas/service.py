"""Rules for approved posts: adjustments by the staffing commission (核增/核减)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from contracts.staffing import QuotaAdjusted
from services.staffing.errors import BelowHeldPosts, NoVacancy
from services.staffing.ledger.service import Movement, move
from services.staffing.models import Quota, outbox
from services.staffing.quotas import repository
from services.staffing.quotas.schemas import AdjustmentCreate
from services.staffing.units.service import require_manager, unit_for_action


def no_vacancy(quota: Quota | None, unit_code: str, quota_type: str, needed: int) -> NoVacancy:
    """The 409 for a movement that needs more vacant posts than the unit has (不得超编)."""
    if quota is None:
        return NoVacancy(unit_code, quota_type, needed)
    return NoVacancy(
        unit_code,
        quota_type,
        needed,
        vacant=quota.vacant,
        held=f"approved {quota.approved}, occupied {quota.occupied}, reserved {quota.reserved}",
    )


async def adjust(
    session: AsyncSession, principal: Principal, unit_id: uuid.UUID, data: AdjustmentCreate
) -> Quota:
    """Raise or cut a unit's approved posts under a document, and announce it."""
    require_manager(principal, "adjust approved posts")
    unit = await unit_for_action(session, principal, unit_id)
    await repository.ensure_quotas(session, [(unit.id, data.quota_type)])
    quota = await repository.lock_quota(session, unit.id, data.quota_type)
    assert quota is not None
    floor = max(quota.occupied + quota.reserved, quota.borrowed)
    if quota.approved + data.delta < floor:
        raise BelowHeldPosts(
            f"cutting {-data.delta} {data.quota_type} posts would leave unit {unit.code} with "
            f"{quota.approved + data.delta}, below the {floor} held by staff, reservations "
            f"and loans (occupied {quota.occupied}, reserved {quota.reserved}, "
            f"borrowed {quota.borrowed})",
            quota_type=data.quota_type,
            remaining=quota.approved + data.delta,
            held=floor,
        )
    why = Movement.of("adjustment", principal.sub, document_no=data.document_no, reason=data.reason)
    move(session, quota, "approved", data.delta, why)
    await session.flush()
    await outbox.add(
        session,
        QuotaAdjusted(
            unit_id=unit.id,
            quota_type=data.quota_type,
            delta=data.delta,
            approved=quota.approved,
            document_no=data.document_no,
            reason=data.reason,
        ),
        subject=str(unit.id),
    )
    return quota
