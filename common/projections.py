"""Local copies of other services' facts that several services keep (no rules of their own)."""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import cache

from fastapi import APIRouter
from sqlalchemy import JSON, Executable, String, Table, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.util import identity_key
from sqlmodel import Field, SQLModel, col

from common.db import UTCDateTime, insert_for, table_of
from common.deps import DEFAULT_LIMIT, CurrentPrincipal, Cursor, Limit, SessionDep
from common.errors import NotFound
from common.pagination import Page, paginate
from common.scoping import unit_scope
from contracts.base import Envelope
from contracts.staffing import UnitFacts


class UnitProjectionFields(SQLModel):
    """The columns of a unit projection, kept from `staffing.unit.*` events."""

    id: uuid.UUID = Field(primary_key=True)
    kind: str = Field(sa_type=String(20), nullable=False)
    code: str = Field(sa_type=String(40), nullable=False, index=True)
    name: str = Field(sa_type=String(120), nullable=False)
    district_id: uuid.UUID | None = Field(default=None, index=True)
    stages: list[str] = Field(default_factory=list, sa_type=JSON, nullable=False)
    lat: float | None = None
    lon: float | None = None
    as_of: datetime = Field(sa_type=UTCDateTime, nullable=False)


async def apply_unit_facts(
    session: AsyncSession, model: type[UnitProjectionFields], facts: UnitFacts, envelope: Envelope
) -> None:
    """Upsert the projection; an older event than the one applied already changes nothing.

    One statement, not a read and a write: the condition on `as_of` sits in its conflict
    clause. A copy of the row loaded earlier in this transaction is expired, so it is read anew.
    """
    connection = await session.connection()
    await connection.execute(
        _upserting_unit(connection.dialect.name, table_of(model)),
        {
            "id": facts.unit_id,
            "kind": facts.kind,
            "code": facts.code,
            "name": facts.name,
            "district_id": facts.district_id,
            "stages": list(facts.stages),
            "lat": facts.lat,
            "lon": facts.lon,
            "as_of": envelope.time,
        },
    )
    loaded = session.identity_map.get(identity_key(model, facts.unit_id))
    if loaded is not None:
        session.expire(loaded)


@cache
def _upserting_unit(dialect: str, table: Table) -> Executable:
    stmt = insert_for(dialect)(table)
    return stmt.on_conflict_do_update(
        index_elements=["id"],
        set_={
            column.key: stmt.excluded[column.key] for column in table.columns if column.key != "id"
        },
        where=table.c.as_of <= stmt.excluded.as_of,
    )


def unit_router(model: type[UnitProjectionFields]) -> APIRouter:
    """Read access to a service's copy of the units, limited to the caller's scope."""
    router = APIRouter(prefix="/v1/units", tags=["units"])

    @router.get("", response_model=Page[UnitProjectionFields])
    async def list_units(
        session: SessionDep,
        principal: CurrentPrincipal,
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[UnitProjectionFields]:
        """Units in your scope as this service knows them, by code."""
        stmt = select(model).where(unit_scope(principal, model.id, model.district_id))
        rows, next_cursor = await paginate(
            session,
            stmt,
            order_by=[col(model.code), col(model.id)],
            cursor=cursor,
            limit=limit,
        )
        return Page(data=rows, next_cursor=next_cursor)

    @router.get("/{unit_id}", response_model=UnitProjectionFields)
    async def get_unit(
        unit_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
    ) -> UnitProjectionFields:
        """One unit in your scope."""
        unit = await session.get(model, unit_id)
        if unit is None or not principal.can_see_unit(unit.id, unit.district_id):
            raise NotFound("no such unit in your scope")
        return unit

    return router
