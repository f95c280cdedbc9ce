"""Every query on candidates."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Executable, Select, exists, false, func, insert, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from common.auth import Principal
from common.db import insert_for, table_of, values_from
from common.scoping import unit_scope
from services.talent.idempotency import UNCLAIMED, claimed_after
from services.talent.models import Application, Candidate, CandidateLink, Posting


async def get(session: AsyncSession, candidate_id: uuid.UUID) -> Candidate | None:
    return await session.get(Candidate, candidate_id)


async def lock(session: AsyncSession, candidate_id: uuid.UUID) -> Candidate | None:
    stmt = (
        select(Candidate)
        .where(col(Candidate.id) == candidate_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def by_id_hash(session: AsyncSession, id_hash: str) -> Candidate | None:
    stmt = select(Candidate).where(col(Candidate.id_hash) == id_hash)
    return (await session.execute(stmt)).scalar_one_or_none()


async def add_unless_known(session: AsyncSession, row: dict[str, Any]) -> bool:
    """Insert the candidate unless one with its ID number's hash is there; whether it went in.

    A statement of its own, not a flush of the session: the row is written as it stands, and
    the statement is built once per database kind (building one costs more than sending it)."""
    connection = await session.connection()
    result = await connection.execute(_adding_candidate(connection.dialect.name), row)
    return result.first() is not None


@cache
def adding_with_link(columns: tuple[str, ...]) -> Select[Any]:
    """PostgreSQL, a partner's push under a new `Idempotency-Key` of a person not known yet: the
    candidate, the partner's link to them and the key's claim, as one statement
    (`idempotency.claimed_after`). Nothing is written when the key was used already or the ID
    number's hash is known. Parameters: `candidate_<column>` for each of `columns` (the rest
    take their defaults), `link_<column>` for every column of the link, and the claim's."""
    candidates, links = table_of(Candidate), table_of(CandidateLink)
    added = (
        pg_insert(candidates)
        .from_select(columns, values_from(None, candidates, "candidate", columns).where(UNCLAIMED))
        .on_conflict_do_nothing(index_elements=["id_hash"])
        .returning(candidates.c.id)
        .cte("added")
    )
    names = [c.name for c in links.c]
    linked = (
        insert(links)
        .from_select(names, values_from(added, links, "link", names, candidate_id=added.c.id))
        .returning(links.c.candidate_id)
        .cte("linked")
    )
    return claimed_after([added, linked])


async def put_link(session: AsyncSession, link: dict[str, Any]) -> tuple[str | None, datetime]:
    """Insert a partner's link to a candidate (its columns), or give the one there the new
    submission (and the new external id, if one was sent); the external id and creation time
    it then has."""
    connection = await session.connection()
    result = await connection.execute(_putting_link(connection.dialect.name), link)
    external_id, created_at = result.one()
    return external_id, created_at


@cache
def _adding_candidate(dialect: str) -> Executable:
    table = table_of(Candidate)
    return (
        insert_for(dialect)(table)
        .on_conflict_do_nothing(index_elements=["id_hash"])
        .returning(table.c.id)
    )


@cache
def _putting_link(dialect: str) -> Executable:
    table = table_of(CandidateLink)
    stmt = insert_for(dialect)(table)
    return stmt.on_conflict_do_update(
        index_elements=["partner_id", "candidate_id"],
        set_={
            "submission_enc": stmt.excluded.submission_enc,
            "external_id": func.coalesce(
                func.nullif(stmt.excluded.external_id, ""), table.c.external_id
            ),
        },
    ).returning(table.c.external_id, table.c.created_at)


async def link(
    session: AsyncSession, partner_id: str, candidate_id: uuid.UUID
) -> CandidateLink | None:
    return await session.get(CandidateLink, (partner_id, candidate_id))


async def links_of(session: AsyncSession, candidate_id: uuid.UUID) -> Sequence[CandidateLink]:
    stmt = select(CandidateLink).where(col(CandidateLink.candidate_id) == candidate_id)
    return (await session.execute(stmt)).scalars().all()


async def links_for(
    session: AsyncSession, partner_id: str, candidate_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, CandidateLink]:
    """The partner's own links (and submissions) of these candidates."""
    if not candidate_ids:
        return {}
    stmt = select(CandidateLink).where(
        col(CandidateLink.partner_id) == partner_id,
        col(CandidateLink.candidate_id).in_(candidate_ids),
    )
    return {link.candidate_id: link for link in (await session.execute(stmt)).scalars()}


async def applications_of(session: AsyncSession, candidate_id: uuid.UUID) -> Sequence[Application]:
    stmt = select(Application).where(col(Application.candidate_id) == candidate_id)
    return (await session.execute(stmt)).scalars().all()


async def retention_ended(session: AsyncSession, today: date, limit: int) -> Sequence[Candidate]:
    stmt = (
        select(Candidate)
        .where(col(Candidate.retention_until) < today, col(Candidate.erased_at).is_(None))
        .order_by(col(Candidate.retention_until), col(Candidate.id))
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
                col(CandidateLink.candidate_id) == col(Candidate.id),
                col(CandidateLink.partner_id) == principal.sub,
            )
        )
    if principal.is_city_wide:
        return stmt
    if principal.role not in ("district_hr", "school_admin"):
        return stmt.where(false())
    applied_in_scope = (
        select(col(Application.id))
        .join(Posting, col(Posting.id) == col(Application.posting_id))
        .where(
            col(Application.candidate_id) == col(Candidate.id),
            unit_scope(principal, col(Posting.unit_id), col(Posting.district_id)),
        )
    )
    return stmt.where(or_(col(Candidate.created_by) == principal.sub, exists(applied_in_scope)))
