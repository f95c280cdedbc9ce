"""A teacher who leaves (staffing.staff.left over real NATS) stops teaching; the request reopens."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from common.bus import Bus
from contracts.base import Envelope
from contracts.staffing import StaffLeft
from services.sharing.app import create_app
from services.sharing.models import Assignment, Lesson, ShareRequest, Teacher
from services.sharing.settings import SharingSettings
from tests.sharing.support import DISTRICT, add_request, add_teacher, school_id
from tests.support import eventually, principal, running, service_settings

pytestmark = pytest.mark.nats


async def test_departure_ends_future_assignments_and_reopens_requests(
    sharing_url, db, city, own_nats, identity
):
    teacher_id = await add_teacher(db, 2)
    request_id = await add_request(db, 1, [(2, 2), (4, 2)])
    hr = identity.headers(principal("district_hr", district_id=DISTRICT))
    home = identity.headers(principal("school_admin", unit_id=school_id(2), district_id=DISTRICT))
    own = identity.headers(principal("teacher", teacher_id=teacher_id))
    settings = service_settings(SharingSettings, identity, sharing_url, own_nats.url)
    async with running(create_app(settings)) as client:
        offer = await client.post(
            f"/v1/requests/{request_id}/offers", headers=hr, json={"teacher_id": str(teacher_id)}
        )
        offer_id = offer.json()["id"]
        await client.post(f"/v1/offers/{offer_id}/consent", headers=home, json={"consent": True})
        accepted = await client.post(f"/v1/offers/{offer_id}/accept", headers=own)
        assert accepted.status_code == 200, accepted.text

        bus = Bus(own_nats.url, name="staffing-test")
        await bus.connect()
        try:
            left = StaffLeft(
                staff_id=teacher_id,
                unit_id=school_id(2),
                district_id=DISTRICT,
                quota_type="bianzhi",
                name="离职教师",
                reason="调出本市",
                left_on=date.today(),
            )
            envelope = Envelope.wrap(left, source="teacherpool/staffing", subject=str(teacher_id))
            await bus.js.publish(
                left.event_type,
                envelope.model_dump_json().encode(),
                headers={"Nats-Msg-Id": str(envelope.id)},
            )
        finally:
            await bus.close()

        async def request_reopened() -> bool:
            async with db.session(read_only=True) as session:
                request = await session.get(ShareRequest, request_id)
                return request is not None and request.status == "open"

        await eventually(request_reopened)
        async with db.session(read_only=True) as session:
            (assignment,) = (await session.execute(select(Assignment))).scalars()
            teacher = await session.get(Teacher, teacher_id)
            pending = (
                await session.execute(select(Lesson).where(Lesson.status == "scheduled"))
            ).scalars()
            assert assignment.status == "ended" and "调出本市" in (assignment.end_reason or "")
            assert teacher is not None and not teacher.active
            assert list(pending) == []
        ranked = await client.get(f"/v1/requests/{request_id}/candidates", headers=hr)
        assert str(teacher_id) not in {c["teacher_id"] for c in ranked.json()["data"]}
