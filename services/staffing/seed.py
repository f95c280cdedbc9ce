"""Demo data of staffing: the city's units, posts, roster, loans and applications."""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from common.auth import Principal
from common.city import DEMO_TEACHER_ID, DEMO_TEACHER_NAME, DemoCity, DemoStaff, demo_postings
from common.clock import local_today
from common.db import Database, utcnow
from contracts import vocabulary
from contracts.staffing import DatedTitle, StaffHired
from services.staffing.ledger.service import correlation_id
from services.staffing.models import (
    BirthCohort,
    Capacity,
    Enrolment,
    LedgerEntry,
    MonthlyReport,
    PoolApplication,
    Quota,
    Staff,
    StaffTitle,
    Unit,
    outbox,
)
from services.staffing.places import repository as places_repository
from services.staffing.places import service as places
from services.staffing.pool import service as pool
from services.staffing.pool.schemas import ApplicationCreate, DecisionCreate, DepositCreate
from services.staffing.reports import repository as reports_repository
from services.staffing.reports import service as reports
from services.staffing.summaries.repository import standards_in_force
from services.staffing.summaries.service import required_posts
from services.staffing.units.service import add_unit

DEMO_SCHOOL_YEAR = 2026
SEED_ACTOR = "system:seed"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏飞琳晨雪梅"
#: The roster's subjects by stage, as contracts.vocabulary names them.
SUBJECTS = {
    "kindergarten": ("学前教育",),
    "primary": ("语文", "数学", "英语", "科学", "音乐", "美术", "体育与健康", "信息科技"),
    "junior": ("语文", "数学", "英语", "物理", "化学", "生物学", "历史", "地理", "道德与法治"),
    "senior": ("语文", "数学", "英语", "物理", "化学", "生物学", "历史", "地理", "思想政治"),
    "vocational": (
        "装备制造类专业",
        "电子与信息类专业",
        "财经商贸类专业",
        "旅游类专业",
        "语文",
        "数学",
    ),
}
#: Every title but 三级教师 (a probationary one), lowest first; the top two for senior posts.
TITLES = tuple(reversed(vocabulary.TITLES[:-1]))
SENIOR_TITLES = vocabulary.TITLES[1::-1]
CHUNK = 5_000


@dataclass(frozen=True, slots=True)
class SeedReport:
    districts: int
    schools: int
    skipped: bool
    staff: int = 0
    loans: int = 0
    pending_applications: int = 0
    #: The people put on the roster, for the sharing seed (empty when skipped).
    roster: tuple[DemoStaff, ...] = ()


async def seed_staffing(
    url: str, city: DemoCity, *, seed: int = 2023, staff: int = 20_000
) -> SeedReport:
    """Fill an empty database with the city: units, posts, ~`staff` staff, loans, applications."""
    db = Database(url)
    try:
        async with db.session() as session:
            existing = (await session.execute(select(func.count()).select_from(Unit))).scalar_one()
            if existing:
                return SeedReport(0, 0, skipped=True)
            await _units(session, city)
            demo_rng = random.Random(seed)  # noqa: S311 demo data, not secrets
            people = await _roster(session, city, staff, demo_rng, seed)
        blocked = {
            p.school.id: p.count for p in demo_postings(city, seed) if p.quota_type != "control"
        }
        pool_rng = random.Random(seed + 1)  # noqa: S311 demo data, not secrets
        demo_district = city.school_by_code(city.demo_school_code).district_id
        qingyang = {s.id for s in city.schools if s.district_id == demo_district}
        async with db.session() as session:
            loans, pending = await _pool(session, pool_rng, blocked, qingyang)
        async with db.session() as session:
            await _places(session, city, random.Random(seed + 2))  # noqa: S311 demo data
        async with db.session() as session:
            await _report_history(session, random.Random(seed + 3))  # noqa: S311 demo data
        roster = tuple(
            DemoStaff(**{k: p[k] for k in DemoStaff.__dataclass_fields__}) for p in people
        )
        return SeedReport(
            len(city.districts), len(city.schools), False, len(people), loans, pending, roster
        )
    finally:
        await db.dispose()


async def demo_roster(url: str) -> list[DemoStaff]:
    """The active roster as the sharing seed takes it (its profiles are these people), for a
    roster seeded before: in the order the seed put people on it."""
    db = Database(url)
    try:
        async with db.session(read_only=True) as session:
            stmt = (
                select(
                    col(Staff.id),
                    col(Staff.unit_id),
                    col(Staff.name),
                    col(Staff.subject),
                    col(Staff.stage),
                    col(Staff.title),
                    col(Staff.hire_date),
                )
                .where(col(Staff.status) == "active")
                .order_by(col(Staff.unit_id), col(Staff.created_at), col(Staff.id))
            )
            return [DemoStaff(*row) for row in (await session.execute(stmt)).all()]
    finally:
        await db.dispose()


async def _units(session: AsyncSession, city: DemoCity) -> None:
    for district in city.districts:
        await add_unit(
            session,
            Unit(
                id=district.id,
                kind="district",
                code=district.code,
                name=district.name,
                stages=[],
                lat=district.lat,
                lon=district.lon,
            ),
        )
    for school in city.schools:
        await add_unit(
            session,
            Unit(
                id=school.id,
                kind="school",
                code=school.code,
                name=school.name,
                district_id=school.district_id,
                stages=list(school.stages),
                lat=school.lat,
                lon=school.lon,
            ),
        )
        session.add_all(
            Enrolment(unit_id=school.id, school_year=DEMO_SCHOOL_YEAR, stage=stage, pupils=pupils)
            for stage, pupils in school.enrolment.items()
        )
    await session.flush()


#: Districts whose births grow with people moving in (the new towns); elsewhere births follow
#: the national curve: a peak in 2016–2017, then a fall. Demo figures, not statistics.
GROWING = ("高新区", "天府新区", "东部新区", "双流区", "郫都区")


def _birth_curve(year: int) -> float:
    return 1.0 + 0.04 * (min(year, 2017) - 2012) - 0.07 * max(0, year - 2017)


async def _places(session: AsyncSession, city: DemoCity, rng: random.Random) -> None:
    """Births per district, classes per stage for every school, and a cohort projection five
    years ahead, so a few schools run short of places (学位预警) and posts (编制预警)."""
    sizes = await places_repository.class_sizes(session, local_today())
    primary: dict[uuid.UUID, int] = {}
    for school in city.schools:
        primary[school.district_id] = primary.get(school.district_id, 0) + school.enrolment.get(
            "primary", 0
        )
    names = {d.id: d.name for d in city.districts}
    for district in city.districts:
        # The birth year of this school year's first grade is the base.
        base = max(1, primary.get(district.id, 0)) / 6 / _birth_curve(DEMO_SCHOOL_YEAR - 6)
        growth = 1.2 if names[district.id] in GROWING else 1.0
        session.add_all(
            BirthCohort(
                district_id=district.id,
                birth_year=year,
                births=round(base * _birth_curve(year) * growth ** (year - 2015)),
            )
            for year in range(2008, 2024)
        )
    for school in city.schools:
        growing = names[school.district_id] in GROWING
        for stage, pupils in school.enrolment.items():
            size = sizes.get(stage, 45)
            slack = 1.0 if growing and rng.random() < 0.5 else rng.uniform(1.2, 1.4)
            session.add(
                Capacity(
                    unit_id=school.id,
                    stage=stage,
                    classes=max(1, math.ceil(pupils * slack / size)),
                    class_size=size,
                )
            )
    await session.flush()
    city_hr = Principal(sub=SEED_ACTOR, role="city_hr", name="成都市教育局")
    await places.run_projection(session, city_hr, None, 5)


async def _report_history(session: AsyncSession, rng: random.Random) -> None:
    """This month's report snapshot, and eleven months before it made up from it for the demo
    (a city a year into using the platform: its library and sharing growing, posts steady)."""
    today = local_today()
    await reports.snapshot(session, today)
    month = reports.month_of(today)
    current = await reports_repository.reports_of_month(session, month)
    for back in range(1, 12):
        month = date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)
        for now in current:
            fade = 1 - back / 14
            trend = rng.uniform(0.8, 1.1)
            session.add(
                MonthlyReport(
                    month=month,
                    scope=now.scope,
                    district_id=now.district_id,
                    approved=now.approved - rng.randint(0, back),
                    occupied=max(0, now.occupied - rng.randint(0, 2 * back)),
                    vacant=now.vacant + rng.randint(0, back),
                    required=now.required - rng.randint(0, back),
                    shortage=max(0, now.shortage - rng.randint(0, back // 2)),
                    loans_out=max(0, now.loans_out - rng.randint(0, 1)),
                    loans_overdue=max(0, now.loans_overdue - (back > 6)),
                    pool_balance=now.pool_balance + rng.randint(0, 2),
                    library_size=round(now.library_size * fade),
                    library_by_subject={
                        k: round(v * fade) for k, v in now.library_by_subject.items()
                    },
                    periods_taught=(taught := round(now.periods_taught * fade * trend)),
                    period_pay_cents=taught * now.period_pay_cents // max(1, now.periods_taught),
                    hires_via_talent=rng.randint(0, 3),
                )
            )
    await session.flush()


#: Control number (控制数) of each 两自一包 school with a demo posting: a default of the demo.
DEMO_CONTROL_POSTS = 8


async def _roster(
    session: AsyncSession, city: DemoCity, size: int, rng: random.Random, seed: int
) -> list[dict[str, Any]]:
    """Posts and staff in bulk, with opening ledger rows so every balance verifies.

    The schools of the demo's talent postings get what those postings need: a control
    number for the 两自一包 ones, and no vacant 编制 for the others (so they are blocked).
    """
    today = local_today()
    ratios = await standards_in_force(session, today)
    required = {s.id: max(1, required_posts(s.enrolment, ratios)) for s in city.schools}
    scale = size / sum(required.values())
    quotas: list[dict[str, Any]] = []
    people: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    opening = correlation_id()
    planned = {p.school.id: p.quota_type for p in demo_postings(city, seed)}
    for school in city.schools:
        headcount = max(1, round(required[school.id] * scale * rng.uniform(0.85, 1.1)))
        approved = headcount + rng.choice((0, 0, 1, 2, 3, 5))
        if planned.get(school.id) == "bianzhi":
            approved = headcount
        quotas.append(
            {
                "unit_id": school.id,
                "quota_type": "bianzhi",
                "approved": approved,
                "occupied": headcount,
                "reserved": 0,
                "borrowed": 0,
            }
        )
        if planned.get(school.id) == "control":
            quotas.append(
                {
                    "unit_id": school.id,
                    "quota_type": "control",
                    "approved": DEMO_CONTROL_POSTS,
                    "occupied": 0,
                    "reserved": 0,
                    "borrowed": 0,
                }
            )
        for n in range(headcount):
            person = _person(rng, school.id, school.stages, today)
            if school.code == city.demo_school_code and n == 0:
                # 张老师, the account teacher.demo: the same id in every service.
                person.update(id=DEMO_TEACHER_ID, name=DEMO_TEACHER_NAME)
            people.append(person)
    for row in quotas:
        for account in ("approved", "occupied"):
            if not row[account]:
                continue
            events.append(
                {
                    "kind": "opening",
                    "unit_id": row["unit_id"],
                    "quota_type": row["quota_type"],
                    "account": account,
                    "delta": row[account],
                    "balance_after": row[account],
                    "actor": SEED_ACTOR,
                    "document_no": "opening balance",
                    "reason": None,
                    "correlation_id": opening,
                    "at": utcnow(),
                }
            )
    await session.execute(insert(Quota), quotas)
    await session.execute(insert(LedgerEntry), events)
    districts = {s.id: s.district_id for s in city.schools}
    for start in range(0, len(people), CHUNK):
        chunk = people[start : start + CHUNK]
        await session.execute(insert(Staff), chunk)
        await session.execute(insert(StaffTitle), [_title(p) for p in chunk])
        await session.execute(insert(outbox.table), [_hired(p, districts) for p in chunk])
    return people


def _person(
    rng: random.Random, unit_id: uuid.UUID, stages: tuple[str, ...], today: date
) -> dict[str, Any]:
    born = date(rng.randint(1966, 2001), rng.randint(1, 12), rng.randint(1, 28))
    hired = min(born + timedelta(days=365 * rng.randint(22, 30)), today)
    stage = rng.choice(stages)
    sex = rng.choice(("female", "female", "male"))
    title = rng.choice(TITLES)
    return {
        "id": uuid.UUID(int=rng.getrandbits(128), version=4),
        "unit_id": unit_id,
        "quota_type": "bianzhi",
        "name": rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.randint(1, 2))),
        "sex": sex,
        "birth_date": born,
        "hire_date": hired,
        "subject": rng.choice(SUBJECTS[stage]),
        "stage": stage,
        "title": title,
        # 专业技术岗位; 高级 titles are senior professional posts (their women retire at 60).
        "post_category": "senior_professional" if title in SENIOR_TITLES else "professional",
        "status": "active",
        "created_at": utcnow(),
    }


def _title(person: dict[str, Any]) -> dict[str, Any]:
    return {
        "staff_id": person["id"],
        "effective_from": person["hire_date"],
        "title": person["title"],
        "recorded_by": SEED_ACTOR,
        "recorded_at": utcnow(),
    }


def _hired(person: dict[str, Any], districts: dict[uuid.UUID, uuid.UUID]) -> dict[str, Any]:
    _, values = outbox.row(
        StaffHired(
            staff_id=person["id"],
            unit_id=person["unit_id"],
            district_id=districts[person["unit_id"]],
            quota_type="bianzhi",
            name=person["name"],
            subject=person["subject"],
            stage=person["stage"],
            title=person["title"],
            title_history=[DatedTitle(title=person["title"], effective_from=person["hire_date"])],
            hire_date=person["hire_date"],
        ),
        subject=str(person["id"]),
    )
    return values


async def _pool(
    session: AsyncSession,
    rng: random.Random,
    blocked: dict[uuid.UUID, int],
    demo_district: set[uuid.UUID],
) -> tuple[int, int]:
    """Deposits from schools with idle posts, loans (a few overdue) and pending applications;
    each school with a blocked demo posting has a pending application that would unblock it.
    The first loan, an overdue one, goes to a school of the demo district (`demo_district`:
    its schools), so qingyang.hr has a loan to see through beside the posts it borrowed."""
    commission = Principal(sub=SEED_ACTOR, role="staffing_commission", name="成都市委编办")
    today = local_today()
    stmt = select(Quota).where(col(Quota.quota_type) == "bianzhi").order_by(col(Quota.unit_id))
    quotas = list((await session.execute(stmt)).scalars())
    idle = [q for q in quotas if q.vacant >= 3]
    needy = [q for q in quotas if q.vacant == 0 and q.unit_id not in blocked]
    rng.shuffle(idle)
    rng.shuffle(needy)
    first = next((q for q in needy if q.unit_id in demo_district), None)
    if first is not None:
        needy.remove(first)
        needy.insert(0, first)
    for n, quota in enumerate(idle[:20]):
        await pool.deposit(
            session,
            commission,
            "bianzhi",
            DepositCreate(
                unit_id=quota.unit_id,
                count=2,
                document_no=f"成编办〔2024〕{n + 1}号",
                reason="编制富余，收储入池",
            ),
        )
    loans = 0
    for n, quota in enumerate(needy[:14]):
        application = await pool.submit_application(
            session,
            commission,
            ApplicationCreate(
                unit_id=quota.unit_id,
                requested=rng.randint(1, 3),
                reason_kind=rng.choice(("new_school", "enrolment_growth", "subject_shortage")),
                reason="学位增长，师资不足",
                term_years=rng.randint(3, 5),
            ),
            today,
        )
        if n >= 8:
            continue
        _, loan = await pool.decide(
            session,
            commission,
            application.id,
            DecisionCreate(
                outcome="approve", reason="同意借用", document_no=f"成编办〔2025〕{n}号"
            ),
            today,
        )
        loans += 1
        if loan is not None and n < 3:
            # History for the demo: loans made years ago that are now past due.
            loan.created_at = utcnow() - timedelta(days=365 * 4)
            loan.due_date = today - timedelta(days=30 * (n + 1))
    for unit_id, count in blocked.items():
        await pool.submit_application(
            session,
            commission,
            ApplicationCreate(
                unit_id=unit_id,
                requested=count,
                reason_kind="high_level_talent",
                reason="人才荟招聘岗位缺编，申请周转编制",
                term_years=3,
            ),
            today,
        )
    await session.flush()
    pending = select(func.count()).where(col(PoolApplication.status) == "pending")
    return loans, int((await session.execute(pending)).scalar_one())
