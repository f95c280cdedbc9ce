"""Every query on applications."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, false, select
from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.scoping import unit_scope
from services.talent.models import Application, Posting, Transition


async def lock(session: AsyncSession, application_id: uuid.UUID) -> Application | None:
    stmt = (
        select(Application)
        .where(Application.id == application_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def get(session: AsyncSession, application_id: uuid.UUID) -> Application | None:
    return await session.get(Application, application_id)


async def of_candidate_and_posting(
    session: AsyncSession, candidate_id: uuid.UUID, posting_id: uuid.UUID
) -> Application | None:
    stmt = select(Application).where(
        Application.candidate_id == candidate_id, Application.posting_id == posting_id
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def transitions(session: AsyncSession, application_id: uuid.UUID) -> Sequence[Transition]:
    stmt = (
        select(Transition)
        .where(Transition.application_id == application_id)
        .order_by(Transition.at, Transition.id)
    )
    return (await session.execute(stmt)).scalars().all()


def visible(principal: Principal) -> Select[Any]:
    """A partner's own applications; HR those for postings in its scope."""
    stmt = select(Application)
    if principal.kind == "partner":
        return stmt.where(Application.partner_id == principal.sub)
    if principal.role == "teacher":
        return stmt.where(false())
    return stmt.join(Posting, Posting.id == Application.posting_id).where(
        unit_scope(principal, Posting.unit_id, Posting.district_id)
    )
