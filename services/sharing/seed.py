"""Demo data of the sharing center: profiles, open requests, a few running assignments."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import func, select, update

from common.city import DEMO_TEACHER_ID, DEMO_TEACHER_NAME, DemoCity
from common.db import Database
from common.geo import haversine_km
from contracts.vocabulary import STAGES, is_subject_in_stage, qualified
from services.sharing.assignments.service import start
from services.sharing.models import Lesson, Offer, ShareRequest, Teacher, Unit
from services.sharing.timetable import Booking, Place, SchoolDay, mask_of

TEACHER_NAMESPACE = uuid.UUID("5d1c7f0e-3a51-4d0b-9a57-0c2b7e9f4a11")
"""Namespace of the demo teachers' ids."""

SCARCE = ("音乐", "美术", "体育与健康", "科学", "心理健康", "信息科技")
CORE = ("语文", "数学", "英语", "物理", "化学", "生物学", "历史", "地理", "道德与法治", "思想政治")
TITLES = ("三级教师", "二级教师", "一级教师", "一级教师", "高级教师", "正高级教师")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建"
CURRENT_TERM = (date(2026, 9, 1), date(2027, 1, 15))
NEXT_TERM = (date(2027, 3, 1), date(2027, 7, 10))
#: How far from their school a demo teacher will travel: districts whose centre is this near.
TRAVEL_AREA_KM = 25.0
#: Projection rows written here are older than any staffing event, so real events win.
SEEDED_AT = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class SharingSeedReport:
    teachers: int
    open_requests: int
    assignments: int
    lessons: int
    skipped: bool


def teacher_id(school_code: str, n: int) -> uuid.UUID:
    """Stable id of the n-th demo teacher of a school."""
    return uuid.uuid5(TEACHER_NAMESPACE, f"teacher:{school_code}:{n}")


async def seed_sharing(
    url: str, city: DemoCity, *, seed: int = 2023, teachers: int = 3000
) -> SharingSeedReport:
    """Fill an empty sharing database with the demo city's profiles, requests and assignments."""
    rng = random.Random(seed)  # noqa: S311 deterministic demo data, not a secret
    schools = [s for s in city.schools if "kindergarten" not in s.stages]
    day = SchoolDay()
    db = Database(url)
    try:
        async with db.session() as session:
            if (await session.execute(select(func.count()).select_from(Teacher))).scalar_one():
                return SharingSeedReport(0, 0, 0, 0, skipped=True)
            known = set((await session.execute(select(Unit.id))).scalars())
            for d in city.districts:
                if d.id not in known:
                    session.add(
                        Unit(
                            id=d.id,
                            kind="district",
                            code=d.code,
                            name=d.name,
                            stages=[],
                            lat=d.lat,
                            lon=d.lon,
                            as_of=SEEDED_AT,
                        )
                    )
            for s in city.schools:
                if s.id not in known:
                    session.add(
                        Unit(
                            id=s.id,
                            kind="school",
                            code=s.code,
                            name=s.name,
                            district_id=s.district_id,
                            stages=list(s.stages),
                            lat=s.lat,
                            lon=s.lon,
                            as_of=SEEDED_AT,
                        )
                    )
            taught = {
                (stage, kind): [s for s in subjects if is_subject_in_stage(s, stage)]
                for stage in STAGES
                for kind, subjects in (("scarce", SCARCE), ("core", CORE))
            }
            # A teacher names the districts within a commute of their school (its own always).
            travel_areas = {
                s.id: sorted(
                    {str(s.district_id)}
                    | {
                        str(d.id)
                        for d in city.districts
                        if haversine_km(s.lat, s.lon, d.lat, d.lon) <= TRAVEL_AREA_KM
                    }
                )
                for s in schools
            }
            profiles: list[Teacher] = []
            for n in range(teachers):
                school = schools[n % len(schools)]
                stage = rng.choice(school.stages)
                subject = rng.choice(
                    taught[stage, "scarce"] if rng.random() < 0.25 else taught[stage, "core"]
                )
                busy = {(rng.randint(1, 5), rng.randint(1, 8)) for _ in range(rng.randint(10, 16))}
                # The first teacher of the demo school is 张老师, the account teacher.demo.
                demo = school.code == city.demo_school_code and n < len(schools)
                name = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.randint(1, 2)))
                profile = Teacher(
                    id=DEMO_TEACHER_ID if demo else teacher_id(school.code, n // len(schools)),
                    unit_id=school.id,
                    district_id=school.district_id,
                    name=DEMO_TEACHER_NAME if demo else name,
                    quota_type="bianzhi",
                    title=rng.choice(TITLES),
                    subjects=[subject],
                    stages=[stage],
                    certificates=[{"level": stage, "subject": subject}],
                    modes=rng.choice([["in_person"], ["in_person", "online"], ["online"]]),
                    home_timetable=mask_of(busy),
                    weekly_cap=rng.randint(2, 6),
                    library_status="listed" if rng.random() < 0.7 else "none",
                    offered=[[subject, stage]],
                    areas=travel_areas[school.id],
                    rating=round(rng.uniform(3.0, 5.0), 1),
                    as_of=SEEDED_AT,
                )
                profiles.append(profile)
            session.add_all(profiles)
            await session.flush()
            places = {s.id: Place(s.id, s.lat, s.lon) for s in city.schools}

            def request_for(school, term: tuple[date, date]) -> ShareRequest:  # type: ignore[no-untyped-def]
                slots = sorted({(rng.randint(1, 5), rng.randint(1, 8)) for _ in range(2)})
                stage = rng.choice(school.stages)
                return ShareRequest(
                    unit_id=school.id,
                    district_id=school.district_id,
                    subject=rng.choice(taught[stage, "scarce"]),
                    stage=stage,
                    slots=[list(s) for s in slots],
                    slot_mask=mask_of(slots),
                    periods=len(slots),
                    term_start=term[0],
                    term_end=term[1],
                    mode=rng.choice(["in_person", "in_person", "online"]),
                    reason="本校缺该学科专任教师",
                    status="open",
                    created_by="seed",
                )

            opened = [request_for(s, NEXT_TERM) for s in rng.sample(schools, min(80, len(schools)))]
            session.add_all(opened)
            assignments, used = 0, set()
            for school in rng.sample(schools, min(40, len(schools))):
                if assignments >= 20:
                    break
                request = request_for(school, CURRENT_TERM)
                host = places[school.id]
                teacher = next(
                    (
                        t
                        for t in profiles
                        if t.library_status == "listed"
                        and t.unit_id != school.id
                        and qualified(t.certificate_pairs(), request.stage, request.subject)
                        and request.mode in t.modes
                        and t.weekly_cap >= request.periods
                        and day.clash(
                            [Booking("home", t.home_timetable, places[t.unit_id])],
                            request.slot_mask,
                            host if request.mode == "in_person" else places[t.unit_id],
                        )
                        is None
                        and t.id not in used
                    ),
                    None,
                )
                if teacher is None:
                    continue
                request.status = "filled"
                session.add(request)
                await session.flush()
                offer = Offer(
                    request_id=request.id,
                    teacher_id=teacher.id,
                    home_unit_id=teacher.unit_id,
                    home_district_id=teacher.district_id,
                    host_unit_id=school.id,
                    host_district_id=school.district_id,
                    status="accepted",
                    expires_at=datetime(2026, 9, 1, tzinfo=UTC),
                    created_by="seed",
                )
                session.add(offer)
                await session.flush()
                await start(session, offer, request, teacher, CURRENT_TERM[0])
                used.add(teacher.id)
                assignments += 1
            # The autumn so far: October's lessons confirmed, November's logged as given.
            for status, before in (("confirmed", date(2026, 11, 1)), ("given", date(2026, 11, 20))):
                await session.execute(
                    update(Lesson)
                    .where(Lesson.status == "scheduled", Lesson.taught_on < before)
                    .values(status=status)
                )
            lessons = (await session.execute(select(func.count()).select_from(Lesson))).scalar_one()
            return SharingSeedReport(
                len(profiles), len(opened), assignments, lessons, skipped=False
            )
    finally:
        await db.dispose()
