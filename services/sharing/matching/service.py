"""Matching a request against the index: what the request needs, and the ranked candidates."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.sharing.matching.index import Candidate, Need, TeacherIndex
from services.sharing.models import ShareRequest
from services.sharing.places import place_of


async def need_of(session: AsyncSession, request: ShareRequest, today: date) -> Need:
    return Need(
        subject=request.subject,
        stage=request.stage,
        mode=request.mode,
        mask=request.slot_mask,
        periods=request.periods,
        host=await place_of(session, request.unit_id),
        starts_on=max(request.term_start, today),
        ends_on=request.term_end,
        host_district=request.district_id,
    )


async def candidates(
    session: AsyncSession, index: TeacherIndex, request: ShareRequest, today: date, limit: int
) -> list[Candidate]:
    """Eligible teachers for the request, best first (never the requesting school's own)."""
    await index.refresh(session)
    return index.rank(await need_of(session, request, today), limit)
