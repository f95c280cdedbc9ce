"""Every query on candidates."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Select, exists, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.scoping import unit_scope
from services.talent.models import Application, Candidate, CandidateLink, Posting


async def get(session: AsyncSession, candidate_id: uuid.UUID) -> Candidate | None:
    return await session.get(Candidate, candidate_id)


async def lock(session: AsyncSession, candidate_id: uuid.UUID) -> Candidate | None:
    stmt = (
        select(Candidate)
        .where(Candidate.id == candidate_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def by_id_hash(session: AsyncSession, id_hash: str) -> Candidate | None:
    stmt = select(Candidate).where(Candidate.id_hash == id_hash)
    return (await session.execute(stmt)).scalar_one_or_none()


async def link(
    session: AsyncSession, partner_id: str, candidate_id: uuid.UUID
) -> CandidateLink | None:
    return await session.get(CandidateLink, (partner_id, candidate_id))


async def links_of(session: AsyncSession, candidate_id: uuid.UUID) -> Sequence[CandidateLink]:
    stmt = select(CandidateLink).where(CandidateLink.candidate_id == candidate_id)
    return (await session.execute(stmt)).scalars().all()


async def links_for(
    session: AsyncSession, partner_id: str, candidate_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, CandidateLink]:
    """The partner's own links (and submissions) of these candidates."""
    if not candidate_ids:
        return {}
    stmt = select(CandidateLink).where(
        CandidateLink.partner_id == partner_id,
        CandidateLink.candidate_id.in_(candidate_ids),  # type: ignore[attr-defined]
    )
    return {link.candidate_id: link for link in (await session.execute(stmt)).scalars()}


async def applications_of(session: AsyncSession, candidate_id: uuid.UUID) -> Sequence[Application]:
    stmt = select(Application).where(Application.candidate_id == candidate_id)
    return (await session.execute(stmt)).scalars().all()


async def retention_ended(session: AsyncSession, today: date, limit: int) -> Sequence[Candidate]:
    stmt = (
        select(Candidate)
        .where(Candidate.retention_until < today, Candidate.erased_at.is_(None))  # type: ignore[union-attr]
        .order_by(Candidate.retention_until, Candidate.id)
        .limit(limit)
    )
    return (await session.execute(stmt)).scalars().all()


def visible(principal: Principal) -> Select[Any]:
    """Candidates the caller may see: a partner those it pushed; HR those it entered or that
    applied to a posting in its scope; city-wide roles all."""
    stmt = select(Candidate)
    if principal.kind == "partner":
        return stmt.where(
            exists().where(
                CandidateLink.candidate_id == Candidate.id,
                CandidateLink.partner_id == principal.sub,
            )
        )
    if principal.is_city_wide:
        return stmt
    if principal.role not in ("district_hr", "school_admin"):
        return stmt.where(false())
    applied_in_scope = (
        select(Application.id)
        .join(Posting, Posting.id == Application.posting_id)
        .where(
            Application.candidate_id == Candidate.id,
            unit_scope(principal, Posting.unit_id, Posting.district_id),
        )
    )
    return stmt.where(or_(Candidate.created_by == principal.sub, exists(applied_in_scope)))
