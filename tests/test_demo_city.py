"""Tests for the deterministic demo-city generator, and for the city `teacherpool up` seeds:
something for every demo account to do, and the services agreeing about it."""

import functools
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from common.city import DEMO_TEACHER_ID, DemoCity
from common.clock import local_today
from common.db import Database, utcnow
from common.geo import haversine_km
from contracts.reconciliation import OutboxBacklog, SharingSide, StaffingSide, TalentSide
from contracts.vocabulary import STAGE_NAMES_ZH, STAGES
from gateway.reconciliation.report import Report, compare
from services.sharing.models import Assignment, Lesson, Offer, Teacher
from services.sharing.schoolcal.published import PUBLISHED, calendar_rows
from services.sharing.schoolcal.service import SchoolCalendar
from services.sharing.seed import terms_around, week_of
from services.sharing.timetable import slots_of
from services.staffing.models import HireRefusal, PoolApplication
from services.staffing.pool import repository as pool_rows
from services.staffing.pool.endpoints import loan_public
from services.staffing.summaries.service import area_summary
from services.talent.models import Application, Posting
from services.talent.settings import TalentSettings
from teacherpool.demo import (
    DEMO_SCHOOL_CODE,
    SCALES,
    UNIT_NAMESPACE,
    build_city,
    load_districts,
    unit_id,
)
from teacherpool.launcher import seed_demo_city
from tests.deliver import deliver
from tests.support import principal

CHENGDU_DISTRICTS = (
    "锦江区",
    "青羊区",
    "金牛区",
    "武侯区",
    "成华区",
    "龙泉驿区",
    "青白江区",
    "新都区",
    "温江区",
    "双流区",
    "郫都区",
    "新津区",
    "金堂县",
    "大邑县",
    "蒲江县",
    "都江堰市",
    "彭州市",
    "邛崃市",
    "崇州市",
    "简阳市",
    "高新区",
    "天府新区",
    "东部新区",
)

ENROLMENT_RANGE = {
    "kindergarten": (150, 600),
    "primary": (600, 2600),
    "junior": (400, 1800),
    "senior": (600, 2400),
    "vocational": (800, 3000),
}


@functools.cache
def default_city(scale: str) -> DemoCity:
    return build_city(scale)


@pytest.fixture(params=sorted(SCALES))
def city(request: pytest.FixtureRequest) -> DemoCity:
    return default_city(request.param)


def test_same_scale_and_seed_give_the_same_city() -> None:
    assert build_city("demo", seed=7) == build_city("demo", seed=7)
    assert build_city("city") == default_city("city")


def test_another_seed_gives_another_city() -> None:
    first, second = build_city("demo", seed=1), build_city("demo", seed=2)
    assert [s.code for s in first.schools] == [s.code for s in second.schools]
    assert [s.name for s in first.schools] != [s.name for s in second.schools]
    assert [(s.lat, s.lon) for s in first.schools] != [(s.lat, s.lon) for s in second.schools]


def test_unknown_scale_is_refused() -> None:
    with pytest.raises(ValueError):
        build_city("province")


def test_districts_are_the_23_units_of_the_csv() -> None:
    districts = load_districts()
    assert tuple(d.name for d in districts) == CHENGDU_DISTRICTS
    assert len({d.code for d in districts}) == 23
    assert {d.kind for d in districts} == {"district", "county", "county_city", "functional_zone"}
    assert all(d.id == unit_id(d.code) for d in districts)


@pytest.mark.parametrize(("scale", "schools"), [("demo", 300), ("city", 4000)])
def test_school_count_matches_the_scale(scale: str, schools: int) -> None:
    assert SCALES[scale] == schools
    assert len(default_city(scale).schools) == schools


def test_codes_names_and_ids_are_unique(city: DemoCity) -> None:
    for attribute in ("code", "name", "id"):
        values = [getattr(s, attribute) for s in city.schools]
        assert len(set(values)) == len(values), attribute
    district_ids = {d.id for d in city.districts}
    assert district_ids.isdisjoint(s.id for s in city.schools)


def test_ids_are_uuid5_of_the_code(city: DemoCity) -> None:
    for school in city.schools:
        assert school.id == uuid.uuid5(UNIT_NAMESPACE, f"unit:{school.code}")
        assert school.id.version == 5
        assert school.code.startswith(f"{school.district_code}-S")
        assert school.district_id == unit_id(school.district_code)


def test_every_district_has_at_least_three_schools(city: DemoCity) -> None:
    per_district = Counter(s.district_code for s in city.schools)
    assert set(per_district) == {d.code for d in city.districts}
    assert min(per_district.values()) >= 3


def test_central_districts_have_more_schools_than_pujiang(city: DemoCity) -> None:
    per_district = Counter(s.district_code for s in city.schools)
    pujiang = per_district[city.district_by_name("蒲江县").code]
    for name in ("金牛区", "武侯区", "高新区", "双流区"):
        assert per_district[city.district_by_name(name).code] > 2 * pujiang


def test_stage_mix_is_roughly_realistic(city: DemoCity) -> None:
    mix = Counter(s.stages for s in city.schools)
    share = {stages: count / len(city.schools) for stages, count in mix.items()}
    assert 0.30 < share[("kindergarten",)] < 0.40
    assert 0.30 < share[("primary",)] < 0.40
    assert 0.09 < share[("junior",)] < 0.16
    assert 0.04 < share[("primary", "junior")] < 0.08
    assert 0.04 < share[("senior",)] + share[("junior", "senior")] < 0.08
    assert 0.02 < share[("vocational",)] < 0.05


def test_demo_school_is_a_nine_year_school_in_qingyang(city: DemoCity) -> None:
    school = city.school_by_code(DEMO_SCHOOL_CODE)
    assert school.district_id == city.district_by_name("青羊区").id
    assert school.stages == ("primary", "junior")
    assert "青羊" in school.name


def test_demo_school_is_the_same_at_every_scale_and_seed() -> None:
    cities = [default_city(scale) for scale in SCALES] + [build_city("demo", seed=1)]
    names = {c.school_by_code(DEMO_SCHOOL_CODE).name for c in cities}
    assert len(names) == 1


def test_enrolment_has_one_realistic_number_per_stage(city: DemoCity) -> None:
    for school in city.schools:
        assert school.stages
        assert set(school.stages) <= set(STAGES)
        assert tuple(school.enrolment) == school.stages
        for stage, pupils in school.enrolment.items():
            low, high = ENROLMENT_RANGE[stage]
            assert low <= pupils <= high, (school.code, stage, pupils)


def test_central_schools_are_bigger_than_county_schools(city: DemoCity) -> None:
    def mean_primary(kinds: set[str]) -> float:
        codes = {d.code for d in city.districts if d.kind in kinds}
        sizes = [
            s.enrolment["primary"]
            for s in city.schools
            if s.district_code in codes and s.stages == ("primary",)
        ]
        return sum(sizes) / len(sizes)

    assert mean_primary({"district", "functional_zone"}) > mean_primary({"county", "county_city"})


def test_schools_lie_in_the_chengdu_box_near_their_district(city: DemoCity) -> None:
    centres = {d.code: d for d in city.districts}
    for school in city.schools:
        assert 30.0 <= school.lat <= 31.5
        assert 102.9 <= school.lon <= 105.0
        assert round(school.lat, 5) == school.lat
        centre = centres[school.district_code]
        limit = 8.5 if centre.kind in ("district", "functional_zone") else 21.0
        assert haversine_km(centre.lat, centre.lon, school.lat, school.lon) <= limit


def test_lookups_raise_key_error_for_unknown_keys(city: DemoCity) -> None:
    with pytest.raises(KeyError):
        city.district_by_name("海淀区")
    with pytest.raises(KeyError):
        city.school_by_code("000000-S0001")


def test_stage_names_cover_every_stage() -> None:
    assert tuple(STAGE_NAMES_ZH) == STAGES
    assert STAGE_NAMES_ZH["vocational"] == "中职"


# The seeded city as `teacherpool up` makes it, smaller: every account's work, and the services
# agreeing once every event has arrived.

#: A slice of the roster and of the sharing profiles drawn from it: seeds in seconds.
STAFF = 800
PROFILES = 400
CANDIDATES = 40


@dataclass
class Seeded:
    city: DemoCity
    urls: dict[str, str]
    today: date


@pytest.fixture
async def seeded(make_database, identity) -> Seeded:
    """The demo city seeded through the launcher, and every event handed to its consumers."""
    city = build_city("demo", 2023)
    urls = {name: await make_database(name) for name in ("staffing", "sharing", "talent")}
    urls["gateway"] = await make_database("gateway")
    today = local_today()
    done = await seed_demo_city(
        urls,
        scale="demo",
        staff=STAFF,
        profiles=PROFILES,
        candidates=CANDIDATES,
        talent_settings=TalentSettings(database_url=urls["talent"], common=identity.common()),
    )
    assert len(done) == 4, done
    assert await deliver(urls) > STAFF
    return Seeded(city, urls, today)


async def _rows(url: str, stmt: Any) -> list[Any]:
    db = Database(url)
    try:
        async with db.session(read_only=True) as session:
            return list((await session.execute(stmt)).scalars())
    finally:
        await db.dispose()


async def _report(urls: dict[str, str]) -> Report:
    """The reconciliation report's comparison over the services' own reconciliation rows."""
    from services.sharing.reconciliation import repository as sharing_rows
    from services.staffing.reconciliation import repository as staffing_rows
    from services.talent.reconciliation import repository as talent_rows

    dbs = {name: Database(urls[name]) for name in ("staffing", "sharing", "talent")}
    now = utcnow()
    try:
        async with dbs["staffing"].session(read_only=True) as session:
            staffing = StaffingSide(
                as_of=now,
                outbox=OutboxBacklog(unpublished=0),
                staff=await staffing_rows.staff(session),
                reservations=await staffing_rows.reservations(session),
            )
        async with dbs["sharing"].session(read_only=True) as session:
            sharing = SharingSide(
                as_of=now,
                outbox=OutboxBacklog(unpublished=0),
                teachers=await sharing_rows.teachers(session),
                assignments=await sharing_rows.running_assignments(session),
            )
        async with dbs["talent"].session(read_only=True) as session:
            talent = TalentSide(
                as_of=now,
                outbox=OutboxBacklog(unpublished=0),
                postings=await talent_rows.postings(session),
                applications=await talent_rows.hires(session),
            )
    finally:
        for db in dbs.values():
            await db.dispose()
    return compare(staffing, sharing, talent, now=now)


def _calendar_day(row: dict[str, object]) -> tuple[date, tuple[str, int | None]]:
    """A published calendar row as SchoolCalendar keeps it: the day, its kind, the weekday it
    follows."""
    day, kind, follows = row["day"], row["kind"], row["follows_weekday"]
    assert isinstance(day, date) and isinstance(kind, str), row
    assert follows is None or isinstance(follows, int), row
    return day, (kind, follows)


def _school_days(today: date, first: date, last: date) -> list[tuple[date, int]]:
    """School days from first to last within the demo's current term (published calendar)."""
    term = terms_around(today)[0]
    calendar = SchoolCalendar(
        days=dict(_calendar_day(row) for notice in PUBLISHED for row in calendar_rows(notice)),
        terms=[term],
    )
    return calendar.school_days(first, last)


async def test_every_demo_account_finds_something_to_do_and_the_services_agree(
    seeded: Seeded,
) -> None:
    city, urls, today = seeded.city, seeded.urls, seeded.today
    report = await _report(urls)
    assert report.clean, "\n".join(d.line() for d in report.discrepancies[:20])
    # Every sharing profile is a person on the roster, with the roster's unit, subject, title.
    assert report.counts["profiles"] == report.counts["staff"] > STAFF * 0.9
    assert report.counts["running assignments"] >= 2
    listed = await _rows(
        urls["sharing"], select(col(Teacher.id)).where(col(Teacher.library_status) == "listed")
    )
    assert len(listed) >= PROFILES // 2
    school = city.school_by_code(city.demo_school_code)
    monday, sunday = week_of(today)

    # teacher.demo: an offer its school consented to, to accept or decline ...
    offers = await _rows(
        urls["sharing"], select(Offer).where(col(Offer.teacher_id) == DEMO_TEACHER_ID)
    )
    waiting = [o for o in offers if o.status == "consented" and o.expires_at > utcnow()]
    assert len(waiting) == 1, [(o.status, o.expires_at) for o in offers]
    # ... and this week's lessons on the school days of this week, still to be given.
    lessons = await _rows(
        urls["sharing"],
        select(Lesson).where(
            col(Lesson.teacher_id) == DEMO_TEACHER_ID,
            col(Lesson.taught_on) >= monday,
            col(Lesson.taught_on) <= sunday,
        ),
    )
    assignment = (
        await _rows(
            urls["sharing"],
            select(Assignment).where(
                col(Assignment.teacher_id) == DEMO_TEACHER_ID, col(Assignment.status) == "active"
            ),
        )
    )[0]
    periods: dict[int, list[int]] = {}
    for weekday, period in slots_of(assignment.slot_mask):
        periods.setdefault(weekday, []).append(period)
    expected = {
        (day, period)
        for day, weekday in _school_days(today, monday, sunday)
        for period in periods.get(weekday, ())
    }
    assert {(lesson.taught_on, lesson.period) for lesson in lessons} == expected
    assert {lesson.status for lesson in lessons} <= {"scheduled"}
    assert expected or not _school_days(today, monday, sunday), "no lessons in a school week"

    # school.demo: a request to let one of its teachers go (派出学校同意) ...
    asked = await _rows(
        urls["sharing"],
        select(Offer).where(col(Offer.home_unit_id) == school.id, col(Offer.status) == "sent"),
    )
    assert len(asked) == 1
    # ... and last week's lessons at its school, given and waiting for its confirmation.
    last_week = _school_days(today, monday - timedelta(days=7), monday - timedelta(days=1))
    given = await _rows(
        urls["sharing"],
        select(Lesson).where(col(Lesson.host_unit_id) == school.id, col(Lesson.status) == "given"),
    )
    assert given or not last_week
    assert all(monday - timedelta(days=7) <= lesson.taught_on < monday for lesson in given)

    # commission: pool applications to decide, among them the one that unblocks a posting.
    pending = await _rows(
        urls["staffing"], select(PoolApplication).where(col(PoolApplication.status) == "pending")
    )
    assert any(a.unit_id == school.id for a in pending)

    # cityhr: blocked postings, and a hire staffing refused, to try again now posts are held.
    postings = await _rows(urls["talent"], select(Posting))
    assert sum(p.status == "blocked" for p in postings) == 4
    assert sum(p.status == "open" and p.reservation == "confirmed" for p in postings) == 8
    failed = await _rows(
        urls["talent"], select(Application).where(col(Application.status) == "hire_failed")
    )
    assert len(failed) == 1 and failed[0].hire_failure_code == "no_reservation"
    refusals = await _rows(urls["staffing"], select(HireRefusal))
    assert [r.application_id for r in refusals] == [failed[0].id]
    (retry,) = [p for p in postings if p.id == failed[0].posting_id]
    assert retry.status == "open" and retry.hired < retry.count

    # qingyang.hr: the borrowed posts on its dashboard are the open loans in its loans table
    # (the dashboard's two calls: GET /v1/summary and GET /v1/loans?state=open).
    qingyang = city.district_by_name("青羊区")
    hr = principal("district_hr", district_id=qingyang.id)
    db = Database(urls["staffing"])
    try:
        async with db.session(read_only=True) as session:
            summary = await area_summary(session, hr, qingyang.id, today)
            stmt = pool_rows.loans(hr, today, state="open")
            loans = [loan_public(row, today) for row in (await session.execute(stmt)).scalars()]
    finally:
        await db.dispose()
    assert summary.borrowed == sum(loan.outstanding for loan in loans) > 0
    assert any(loan.overdue for loan in loans)
