"""The demo roster and a school's request speak one vocabulary: a PE request (体育与健康) ranks the
roster's PE teachers, who arrive in sharing through staffing's own events."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import select, update

from common.db import Database
from contracts.base import Envelope
from contracts.staffing import StaffHired
from services.sharing.app import create_app
from services.sharing.consumers import HANDLERS
from services.sharing.models import Teacher
from services.sharing.settings import SharingSettings
from services.staffing.models import StaffingBase
from services.staffing.seed import seed_staffing
from teacherpool.demo import build_city
from tests.support import principal, running, service_settings

PE = "体育与健康"
#: A slice of the demo roster, made by the demo's own generator: enough for PE teachers in
#: every district, small enough to seed in a second or two.
STAFF = 2000


async def test_a_pe_request_ranks_the_demo_rosters_pe_teachers(
    make_database, nats_server, identity
):
    city = build_city("demo", 2023)
    staffing_url, sharing_url = await make_database("staffing"), await make_database("sharing")
    await seed_staffing(staffing_url, city, staff=STAFF)

    # The events staffing's seed left in its outbox, applied by sharing's own handlers as its
    # consumer would: every unit, and each PE teacher's hire.
    staffing, sharing = Database(staffing_url), Database(sharing_url)
    outbox = StaffingBase.metadata.tables["outbox_events"]
    pe: list[StaffHired] = []
    try:
        async with staffing.session(read_only=True) as session:
            rows = (await session.execute(select(outbox).order_by(outbox.c.created_at))).all()
        async with sharing.session() as session:
            for row in rows:
                if row.type not in HANDLERS["staffing"]:
                    continue
                envelope = Envelope.model_validate_json(row.envelope)
                event = envelope.parse_data()
                if isinstance(event, StaffHired):
                    if event.subject != PE:
                        continue
                    pe.append(event)
                await HANDLERS["staffing"][row.type](session, event, envelope)
        assert pe, "the demo roster has PE teachers"
        assert all(p.stage in ("primary", "junior", "senior", "vocational") for p in pe)

        # They join the library for PE in their own stage and district, as an approval does.
        async with sharing.session() as session:
            for p in pe:
                await session.execute(
                    update(Teacher)
                    .where(Teacher.id == p.staff_id)
                    .values(
                        library_status="listed",
                        offered=[[PE, p.stage]],
                        areas=[str(p.district_id)],
                    )
                )
    finally:
        await staffing.dispose()
        await sharing.dispose()

    by_place: dict[tuple[object, str], set[str]] = defaultdict(set)
    for p in pe:
        by_place[p.district_id, p.stage].add(str(p.staff_id))
    (district, stage), teachers = max(by_place.items(), key=lambda kv: len(kv[1]))
    host = next(
        s
        for s in city.schools
        if s.district_id == district
        and stage in s.stages
        and all(p.unit_id != s.id for p in pe if str(p.staff_id) in teachers)
    )
    start = date.today() + timedelta(days=14)
    settings = service_settings(SharingSettings, identity, sharing_url, nats_server.url)
    async with running(create_app(settings)) as client:
        school = identity.headers(
            principal("school_admin", unit_id=host.id, district_id=host.district_id)
        )
        opened = await client.post(
            "/v1/requests",
            headers=school,
            json={
                "subject": PE,
                "stage": stage,
                "slots": [[2, 3]],
                "term_start": start.isoformat(),
                "term_end": (start + timedelta(weeks=8)).isoformat(),
                "mode": "in_person",
                "reason": "本校缺体育专任教师",
            },
        )
        assert opened.status_code == 201, opened.text
        hr = identity.headers(principal("district_hr", district_id=district))
        ranked = await client.get(f"/v1/requests/{opened.json()['id']}/candidates", headers=hr)
        assert ranked.status_code == 200, ranked.text
        found = {c["teacher_id"] for c in ranked.json()["data"]}
        assert found == teachers
