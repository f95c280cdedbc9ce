"""Demo data of the sharing center: profiles, open requests, a few running assignments.

The profiles are people of the staffing roster (the same ids, units, subjects and titles), so
the roster's own events later find them and `teacherpool reconcile` finds both sides agreeing.
Terms and lessons are dated from the day the demo is seeded: this week has lessons to give,
last week's wait for the host's confirmation, and the demo accounts have offers to answer.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import combinations

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from common.auth import Principal
from common.city import DEMO_TEACHER_ID, DemoCity, DemoSchool, DemoStaff
from common.clock import local_today
from common.db import Database, utcnow
from common.geo import haversine_km
from contracts.vocabulary import STAGES, is_subject_in_stage, qualified
from services.sharing.assignments.service import start
from services.sharing.models import Lesson, Offer, ShareRequest, Teacher, Unit
from services.sharing.offers import service as offers
from services.sharing.offers.schemas import ConsentCreate, OfferCreate
from services.sharing.settings import SharingSettings
from services.sharing.timetable import PERIODS, Booking, Place, SchoolDay, mask_of, slots_of

SCARCE = ("音乐", "美术", "体育与健康", "科学", "心理健康", "信息科技")
CORE = ("语文", "数学", "英语", "物理", "化学", "生物学", "历史", "地理", "道德与法治", "思想政治")
#: The demo's terms as (month, day) of the first and last day: autumn from 1 September to
#: 15 January, spring from 1 March to 10 July. Defaults of the demo, to be replaced by the
#: terms city HR sets in the school calendar.
AUTUMN_TERM = ((9, 1), (1, 15))
SPRING_TERM = ((3, 1), (7, 10))
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


def terms_around(today: date) -> tuple[tuple[date, date], tuple[date, date]]:
    """The demo's current term (the one under way, or the next one in a holiday) and the term
    after it, as (first day, last day)."""
    terms = []
    for year in (today.year - 1, today.year, today.year + 1):
        (sm, sd), (em, ed) = SPRING_TERM
        terms.append((date(year, sm, sd), date(year, em, ed)))
        (sm, sd), (em, ed) = AUTUMN_TERM
        terms.append((date(year, sm, sd), date(year + 1, em, ed)))
    terms.sort()
    n = next(i for i, (_, last) in enumerate(terms) if last >= today)
    return terms[n], terms[n + 1]


def week_of(today: date) -> tuple[date, date]:
    """Monday and Sunday of the week `today` is in."""
    monday = today - timedelta(days=today.weekday())
    return monday, monday + timedelta(days=6)


async def seed_sharing(
    url: str,
    city: DemoCity,
    roster: Sequence[DemoStaff],
    *,
    seed: int = 2023,
    teachers: int = 3000,
    today: date | None = None,
) -> SharingSeedReport:
    """Fill an empty sharing database with profiles of `teachers` people of the roster (a few
    from every school but kindergartens), open requests, running assignments with their
    lessons, and the offers that wait for the demo accounts."""
    rng = random.Random(seed)  # noqa: S311 deterministic demo data, not a secret
    today = today or local_today()
    current, upcoming = terms_around(today)
    schools = [s for s in city.schools if "kindergarten" not in s.stages]
    day = SchoolDay()
    db = Database(url)
    try:
        async with db.session() as session:
            if (await session.execute(select(func.count()).select_from(Teacher))).scalar_one():
                return SharingSeedReport(0, 0, 0, 0, skipped=True)
            await _units(session, city)
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
            profiles = [
                _profile(rng, person, school, travel_areas[school.id])
                for person, school in _chosen(roster, schools, teachers)
            ]
            session.add_all(profiles)
            await session.flush()
            places = {s.id: Place(s.id, s.lat, s.lon) for s in city.schools}

            def request_for(school: DemoSchool, term: tuple[date, date]) -> ShareRequest:
                slots = sorted({(rng.randint(1, 5), rng.randint(1, 8)) for _ in range(2)})
                stage = rng.choice(school.stages)
                return _request(
                    school, rng.choice(taught[stage, "scarce"]), stage, slots, term, rng
                )

            opened = [request_for(s, upcoming) for s in rng.sample(schools, min(80, len(schools)))]
            session.add_all(opened)
            demo_school = city.school_by_code(city.demo_school_code)
            # The demo school hosts the first running assignment: last week's lessons wait for
            # its confirmation.
            sampled = rng.sample(schools, min(40, len(schools)))
            hosts = [demo_school, *(s for s in sampled if s.id != demo_school.id)]
            assignments, used = 0, {DEMO_TEACHER_ID}
            for school in hosts:
                if assignments >= 20:
                    break
                # The demo school asks until someone can come; the others ask once.
                for _ in range(20 if school is demo_school else 1):
                    request = request_for(school, current)
                    teacher = _first_free(profiles, request, places, day, used)
                    if teacher is not None:
                        await _accepted(session, request, teacher, current[0])
                        used.add(teacher.id)
                        assignments += 1
                        break
            assignments += await _demo_teacher(
                session, city, profiles, places, day, current, upcoming, today, rng
            )
            # The term so far: lessons before last week confirmed by the host, last week's given
            # and waiting for the host to confirm, this week's and later still to give.
            monday, _ = week_of(today)
            for status, before in (("confirmed", monday - timedelta(days=7)), ("given", monday)):
                await session.execute(
                    update(Lesson)
                    .where(col(Lesson.status) == "scheduled", col(Lesson.taught_on) < before)
                    .values(status=status)
                )
            lessons = (await session.execute(select(func.count()).select_from(Lesson))).scalar_one()
            return SharingSeedReport(
                len(profiles), len(opened), assignments, lessons, skipped=False
            )
    finally:
        await db.dispose()


async def _units(session: AsyncSession, city: DemoCity) -> None:
    """The city's units as staffing's events will describe them (older, so the events win)."""
    known = set((await session.execute(select(col(Unit.id)))).scalars())
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


def _chosen(
    roster: Sequence[DemoStaff], schools: Sequence[DemoSchool], count: int
) -> list[tuple[DemoStaff, DemoSchool]]:
    """`count` people of the roster, a school at a time in turn (its first people first), the
    demo teacher among them; only people with a subject and stage the school teaches."""
    by_school: dict[uuid.UUID, list[DemoStaff]] = defaultdict(list)
    for person in roster:
        by_school[person.unit_id].append(person)
    for people in by_school.values():
        people.sort(key=lambda p: p.id != DEMO_TEACHER_ID)
    queues = [
        (school, [p for p in by_school[school.id] if p.subject and p.stage in school.stages])
        for school in schools
    ]
    chosen: list[tuple[DemoStaff, DemoSchool]] = []
    depth = 0
    while len(chosen) < count and any(len(people) > depth for _, people in queues):
        for school, people in queues:
            if len(people) > depth and len(chosen) < count:
                chosen.append((people[depth], school))
        depth += 1
    return chosen


def _first_free(
    profiles: Sequence[Teacher],
    request: ShareRequest,
    places: dict[uuid.UUID, Place],
    day: SchoolDay,
    used: set[uuid.UUID],
) -> Teacher | None:
    """The first listed teacher of another school who is qualified and free for the request."""
    host = places[request.unit_id]
    return next(
        (
            t
            for t in profiles
            if t.library_status == "listed"
            and t.unit_id != request.unit_id
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


def _profile(
    rng: random.Random, person: DemoStaff, school: DemoSchool, areas: list[str]
) -> Teacher:
    """The sharing profile of a person on the roster: the roster's facts, and the sharing
    choices (modes, home timetable, cap, library) made up for the demo."""
    assert person.subject is not None and person.stage is not None
    busy = {(rng.randint(1, 5), rng.randint(1, 8)) for _ in range(rng.randint(10, 16))}
    demo = person.id == DEMO_TEACHER_ID
    return Teacher(
        id=person.id,
        unit_id=school.id,
        district_id=school.district_id,
        name=person.name,
        quota_type="bianzhi",
        title=person.title,
        title_history=(
            [{"title": person.title, "effective_from": person.hire_date.isoformat()}]
            if person.title
            else []
        ),
        subjects=[person.subject],
        stages=[person.stage],
        certificates=[{"level": person.stage, "subject": person.subject}],
        modes=(
            ["in_person", "online"]
            if demo
            else rng.choice([["in_person"], ["in_person", "online"], ["online"]])
        ),
        home_timetable=mask_of(busy),
        weekly_cap=6 if demo else rng.randint(2, 6),
        library_status="listed" if demo or rng.random() < 0.7 else "none",
        offered=[[person.subject, person.stage]],
        areas=areas,
        rating=round(rng.uniform(3.0, 5.0), 1),
        as_of=SEEDED_AT,
    )


def _request(
    school: DemoSchool,
    subject: str,
    stage: str,
    slots: Sequence[tuple[int, int]],
    term: tuple[date, date],
    rng: random.Random,
    mode: str | None = None,
) -> ShareRequest:
    return ShareRequest(
        unit_id=school.id,
        district_id=school.district_id,
        subject=subject,
        stage=stage,
        slots=[list(s) for s in slots],
        slot_mask=mask_of(slots),
        periods=len(slots),
        term_start=term[0],
        term_end=term[1],
        mode=mode or rng.choice(["in_person", "in_person", "online"]),
        reason="本校缺该学科专任教师",
        status="open",
        created_by="seed",
    )


async def _accepted(
    session: AsyncSession, request: ShareRequest, teacher: Teacher, starts_on: date
) -> None:
    """A request filled by an offer accepted before the demo began, taught from `starts_on`."""
    request.status = "filled"
    session.add(request)
    await session.flush()
    offer = Offer(
        request_id=request.id,
        teacher_id=teacher.id,
        home_unit_id=teacher.unit_id,
        home_district_id=teacher.district_id,
        host_unit_id=request.unit_id,
        host_district_id=request.district_id,
        status="accepted",
        expires_at=datetime.combine(starts_on, datetime.min.time(), tzinfo=UTC),
        created_by="seed",
    )
    session.add(offer)
    await session.flush()
    await start(session, offer, request, teacher, starts_on)


def _free_slots(
    day: SchoolDay, teacher: Teacher, home: Place, host: Place, periods: int
) -> list[tuple[int, int]] | None:
    """The first `periods` slots on different weekdays that fit the teacher's home timetable
    at `host`, travel included (morning periods first); None if there are none."""
    order = sorted(
        ((w, p) for w in range(1, 6) for p in range(1, PERIODS + 1)),
        key=lambda s: (s[1], s[0]),
    )
    busy = set(slots_of(teacher.home_timetable))
    free = [s for s in order if s not in busy]
    for picked in combinations(free, periods):
        if len({w for w, _ in picked}) < periods:
            continue
        if (
            day.clash([Booking("home", teacher.home_timetable, home)], mask_of(picked), host)
            is None
        ):
            return list(picked)
    return None


async def _demo_teacher(
    session: AsyncSession,
    city: DemoCity,
    profiles: list[Teacher],
    places: dict[uuid.UUID, Place],
    day: SchoolDay,
    current: tuple[date, date],
    upcoming: tuple[date, date],
    today: date,
    rng: random.Random,
) -> int:
    """What the demo accounts find waiting: teacher.demo (张老师) teaches at a nearby school
    this term and has an offer for next term that the demo school has consented to; school.demo
    is asked to let another of its teachers go. The offers are made as HR and the school make
    them, through the same rules. Returns the assignments started (one)."""
    demo_school = city.school_by_code(city.demo_school_code)
    teacher = next(t for t in profiles if t.id == DEMO_TEACHER_ID)
    stage, subject = teacher.stages[0], teacher.subjects[0]
    home = places[demo_school.id]
    near = sorted(
        (
            s
            for s in city.schools
            if s.district_id == demo_school.district_id and s.id != demo_school.id
        ),
        key=lambda s: haversine_km(demo_school.lat, demo_school.lon, s.lat, s.lon),
    )
    nearby = [s for s in near if stage in s.stages]
    district_hr = Principal(
        sub="system:seed", role="district_hr", name="demo seed", district_id=demo_school.district_id
    )
    school_admin = Principal(
        sub="system:seed",
        role="school_admin",
        name="demo seed",
        unit_id=demo_school.id,
        district_id=demo_school.district_id,
    )
    now = utcnow()
    ttl = timedelta(hours=SharingSettings.model_fields["offer_ttl_hours"].default)

    # This term: two periods a week at the nearest school, taught since the term began.
    host = nearby[0]
    slots = _free_slots(day, teacher, home, places[host.id], 2)
    assert slots is not None, "the demo teacher has free periods"
    teaching = _request(host, subject, stage, slots, current, rng, mode="in_person")
    await _accepted(session, teaching, teacher, current[0])

    # Next term: an offer from the next school, consented by the demo school, for 张老师 to
    # accept or decline; on other periods than this term's, so both show on one timetable.
    other = nearby[1]
    own = teacher.home_timetable
    teacher.home_timetable = own | teaching.slot_mask
    slots = _free_slots(day, teacher, home, places[other.id], 2)
    teacher.home_timetable = own
    assert slots is not None, "the demo teacher has free periods next term"
    wanted = _request(other, subject, stage, slots, upcoming, rng, mode="in_person")
    session.add(wanted)
    await session.flush()
    offer = await offers.send(
        session, district_hr, wanted.id, OfferCreate(teacher_id=teacher.id), day, now, ttl
    )
    await offers.consent(session, school_admin, offer.id, ConsentCreate(consent=True), now)

    # The demo school is asked to let a colleague of 张老师 go next term (派出学校同意): the first
    # of its other teachers with a nearby school to go to, listed in the library for the demo.
    for colleague in profiles:
        if colleague.unit_id != demo_school.id or colleague.id == DEMO_TEACHER_ID:
            continue
        there = next(
            (s for s in near if colleague.stages[0] in s.stages and s.id != other.id), None
        )
        if there is None:
            continue
        colleague.library_status, colleague.modes = "listed", ["in_person", "online"]
        slots = _free_slots(day, colleague, home, places[there.id], 2)
        if slots is None:
            continue
        asked = _request(
            there, colleague.subjects[0], colleague.stages[0], slots, upcoming, rng, "in_person"
        )
        session.add(asked)
        await session.flush()
        await offers.send(
            session, district_hr, asked.id, OfferCreate(teacher_id=colleague.id), day, now, ttl
        )
        break
    return 1
