"""Every query on applications."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, false, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from common.auth import Principal
from common.scoping import unit_scope
from services.talent.models import Application, Posting, Transition


async def lock(session: AsyncSession, application_id: uuid.UUID) -> Application | None:
    stmt = (
        select(Application)
        .where(col(Application.id) == application_id)
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
        col(Application.candidate_id) == candidate_id, col(Application.posting_id) == posting_id
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def transitions(session: AsyncSession, application_id: uuid.UUID) -> Sequence[Transition]:
    stmt = (
        select(Transition)
        .where(col(Transition.application_id) == application_id)
        .order_by(col(Transition.at), col(Transition.id))
    )
    return (await session.execute(stmt)).scalars().all()


def visible(principal: Principal) -> Select[Any]:
    """A partner's own applications; HR those for postings in its scope."""
    stmt = select(Application)
    if principal.kind == "partner":
        return stmt.where(col(Application.partner_id) == principal.sub)
    if principal.role == "teacher":
        return stmt.where(false())
    return stmt.join(Posting, col(Posting.id) == col(Application.posting_id)).where(
        unit_scope(principal, col(Posting.unit_id), col(Posting.district_id))
    )
