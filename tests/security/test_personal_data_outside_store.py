"""Finding 7: personal data stays in talent's encrypted store.

Contracts mark personal fields; the gateway's event store keeps none of them; masked views show at
most the first 6 and last 2 characters of an ID number and no birth year.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select, text

from common.bus import DLQ_STREAM, PUBLISHERS, Bus, stream_name
from common.db import Database
from contracts import Envelope
from contracts.staffing import StaffHired
from contracts.talent import CandidateHired
from gateway.audit.events import record_event
from gateway.models import EventRecord, GatewayBase
from services.talent.candidates.identity import mask_id_number
from tests.talent.support import CITY_HR, partner, person, talent

NAME = "欧阳明月"


def test_contracts_mark_their_personal_fields():
    from contracts.base import personal_fields

    assert {"name", "birth_date"} <= personal_fields(CandidateHired)
    assert "name" in personal_fields(StaffHired)
    assert "candidate_id" not in personal_fields(CandidateHired)


def test_a_masked_id_number_keeps_at_most_six_and_two_characters():
    masked = mask_id_number("51010519950307123X")
    assert masked is not None and len(masked) == 18
    shown = [c for c in masked if c != "*"]
    assert masked[:6] == "510105" and masked[-2:] == "3X" and len(shown) <= 8
    assert "19950307" not in masked


async def test_masked_views_drop_birth_year_and_whole_views_are_recorded(
    make_database, own_nats, identity
):
    url = await make_database("talent")
    async with talent(identity, url, own_nats.url) as api:
        created = await api.ok("POST", "/v1/candidates", partner("site"), json=person())
        assert created["birth_year"] is None
        listed = await api.ok("GET", "/v1/candidates", CITY_HR)
        assert {c["birth_year"] for c in listed["data"]} == {None}
        whole = await api.ok(
            "GET", f"/v1/candidates/{created['id']}", CITY_HR, params={"reveal": "true"}
        )
        assert whole["birth_date"] is not None and whole["birth_year"] is not None


async def test_the_gateway_event_store_keeps_no_personal_field(make_database):
    url = await make_database("gateway")
    event = CandidateHired(
        posting_id=uuid.uuid4(),
        application_id=uuid.uuid4(),
        candidate_id=uuid.uuid4(),
        name=NAME,
        sex="female",
        birth_date=date(1991, 7, 23),
        hire_date=date(2026, 9, 1),
        subject="数学",
    )
    envelope = Envelope.wrap(event, source="teacherpool/talent", subject=str(event.candidate_id))
    db = Database(url)
    try:
        async with db.session() as session:
            await record_event(session, event, envelope)
        async with db.session(read_only=True) as session:
            (row,) = (await session.execute(select(EventRecord))).scalars().all()
            assert "name" not in row.data and "birth_date" not in row.data
            assert row.data["candidate_id"] == str(event.candidate_id)
            everything = []
            for table in GatewayBase.metadata.sorted_tables:
                rows = (await session.execute(text(f'SELECT * FROM "{table.name}"'))).all()
                everything += [str(v) for r in rows for v in r]
        assert not [v for v in everything if NAME in v or "1991-07-23" in v]
    finally:
        await db.dispose()


async def test_streams_keep_events_only_for_the_documented_window(nats_server):
    bus = Bus(nats_server.url, name="test")
    try:
        await bus.connect(retry_forever=False)
        for stream in [stream_name(p) for p in PUBLISHERS] + [DLQ_STREAM]:
            info = await bus.js.stream_info(stream)
            assert info.config.max_age == 30 * 24 * 3600, stream
    finally:
        await bus.close()
