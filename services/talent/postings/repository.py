"""Every query on postings."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from common.auth import Principal
from common.scoping import unit_scope
from services.talent.models import Posting, Unit

#: What a partner sees: postings that were published.
PUBLISHED = ("open", "closed")


async def get(session: AsyncSession, posting_id: uuid.UUID) -> Posting | None:
    return await session.get(Posting, posting_id)


async def lock(session: AsyncSession, posting_id: uuid.UUID) -> Posting | None:
    stmt = (
        select(Posting)
        .where(col(Posting.id) == posting_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_unit(session: AsyncSession, unit_id: uuid.UUID) -> Unit | None:
    return await session.get(Unit, unit_id)


#: A partner's every read starts here. Built once (statements never change once built), and
#: spelled as plain comparisons: an `IN` list is rendered anew at each execution.
_PUBLISHED_POSTINGS = select(Posting).where(or_(*(col(Posting.status) == s for s in PUBLISHED)))


def visible(principal: Principal) -> Select[Any]:
    """Postings the caller may read: a partner the published ones, HR those in its scope."""
    if principal.kind == "partner":
        return _PUBLISHED_POSTINGS
    stmt = select(Posting)
    return stmt.where(unit_scope(principal, col(Posting.unit_id), col(Posting.district_id)))


def can_see(principal: Principal, posting: Posting) -> bool:
    if principal.kind == "partner":
        return posting.status in PUBLISHED
    return principal.can_see_unit(posting.unit_id, posting.district_id)
