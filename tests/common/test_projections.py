"""A service's copy of the units: the newest event about a unit wins whatever order events come
in, and a copy loaded earlier in the same transaction is read anew after an update."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from common.db import Database
from common.projections import apply_unit_facts
from contracts.base import Envelope
from contracts.staffing import UnitUpdated
from services.sharing.models import Unit

T0 = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


def _update(unit_id: uuid.UUID, name: str, at: datetime) -> tuple[UnitUpdated, Envelope]:
    event = UnitUpdated(unit_id=unit_id, kind="school", code="S001", name=name, stages=["primary"])
    envelope = Envelope.wrap(event, source="teacherpool/staffing", subject=str(unit_id))
    return event, envelope.model_copy(update={"time": at})


async def test_an_older_event_changes_nothing_and_a_newer_one_everything(make_database):
    db = Database(await make_database("sharing"))
    unit_id = uuid.uuid4()
    try:
        for name, at in (
            ("二小", T0 + timedelta(hours=2)),
            ("旧名", T0),
            ("三小", T0 + timedelta(hours=3)),
        ):
            async with db.session() as session:
                event, envelope = _update(unit_id, name, at)
                await apply_unit_facts(session, Unit, event, envelope)
            async with db.session(read_only=True) as session:
                unit = await session.get(Unit, unit_id)
                assert unit is not None
                seen = (unit.name, unit.as_of)
            if name == "旧名":
                assert seen == ("二小", T0 + timedelta(hours=2))
            else:
                assert seen == (name, at)
    finally:
        await db.dispose()


async def test_a_copy_loaded_before_the_update_in_the_same_transaction_is_read_anew(
    make_database,
):
    db = Database(await make_database("sharing"))
    unit_id = uuid.uuid4()
    try:
        async with db.session() as session:
            await apply_unit_facts(session, Unit, *_update(unit_id, "一小", T0))
            loaded = await session.get(Unit, unit_id)
            assert loaded is not None and loaded.name == "一小"
            await apply_unit_facts(session, Unit, *_update(unit_id, "实验一小", T0 + timedelta(1)))
            again = await session.get(Unit, unit_id)
            assert again is not None
            assert again.name == "实验一小"
    finally:
        await db.dispose()
