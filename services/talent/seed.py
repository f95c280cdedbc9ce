"""Demo data of the talent pool: postings at demo schools, opened so staffing holds (control
numbers) or refuses (编制 without a vacancy) their posts once it runs, a few hundred
candidates along the pipeline, and one hire staffing will refuse (a posting opened before
staffing held control numbers). Made through the services' own rules, so it looks like use."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from common.auth import Principal
from common.city import DemoCity, DemoPosting, demo_postings
from common.clock import local_today
from common.db import Database, utcnow
from contracts.vocabulary import Certificate, is_subject_in_stage
from services.talent.applications.schemas import ApplicationCreate, TransitionCreate
from services.talent.applications.service import PIPELINE, apply, move
from services.talent.candidates.identity import check_digit
from services.talent.candidates.schemas import CandidateCreate
from services.talent.candidates.service import push_candidate
from services.talent.models import Application, Posting
from services.talent.pii import PiiCipher, load_cipher
from services.talent.postings.service import open_posting, reopen_posting
from services.talent.settings import TalentSettings

SEEDER = Principal(sub="system:seed", role="city_hr", name="demo seed")
SUBJECTS = (
    "语文",
    "数学",
    "英语",
    "物理",
    "化学",
    "音乐",
    "美术",
    "体育与健康",
    "信息科技",
    "心理健康",
)
#: Each demo major and the subject of the senior certificate its graduates hold.
MAJOR_SUBJECTS = {
    "数学与应用数学": "数学",
    "汉语言文学": "语文",
    "英语": "英语",
    "物理学": "物理",
    "音乐学": "音乐",
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = (
    "子涵",
    "欣怡",
    "浩然",
    "雨桐",
    "梓轩",
    "诗琪",
    "宇航",
    "思远",
    "佳怡",
    "俊杰",
    "晓雯",
    "明轩",
)
REGIONS = ("510104", "510105", "510106", "510107", "510108", "510112", "500103", "610113")


@dataclass(frozen=True, slots=True)
class TalentSeedReport:
    postings: int
    candidates: int
    applications: int
    skipped: bool


async def seed_talent(
    url: str,
    city: DemoCity,
    *,
    seed: int = 2023,
    settings: TalentSettings | None = None,
    candidates: int = 300,
) -> TalentSeedReport:
    """Seed an empty talent database; a database with postings is left alone."""
    settings = settings or TalentSettings(database_url=url)
    cipher = load_cipher(settings)
    rng = random.Random(seed)  # noqa: S311 deterministic demo data, not a secret
    today = local_today()
    db = Database(url)
    try:
        async with db.session() as session:
            if (await session.execute(select(func.count()).select_from(Posting))).scalar_one():
                return TalentSeedReport(0, 0, 0, skipped=True)
            postings = [_posting(rng, plan, today) for plan in demo_postings(city, seed)]
            session.add_all(postings)
            await session.flush()
            # Opened like HR opens them: staffing holds or refuses the posts once it runs. The
            # first control posting was opened before staffing held control numbers (a legacy
            # posting): a hire on it is refused, as city HR finds out below.
            open_postings = [p for p in postings if p.quota_type == "control"]
            legacy = open_postings[0]
            for posting in postings:
                if posting is legacy:
                    posting.status, posting.reservation = "open", "not_needed"
                    posting.opened_at = utcnow()
                else:
                    await open_posting(session, SEEDER, posting.id)
            await session.flush()
            applications = 0
            for n in range(candidates):
                pushed = await push_candidate(
                    session,
                    SEEDER,
                    cipher,
                    _person(rng, n, today),
                    today=today,
                    retention_days=settings.default_retention_days,
                )
                posting = rng.choice(open_postings)
                application = await apply(
                    session,
                    SEEDER,
                    ApplicationCreate(candidate_id=pushed.candidate_id, posting_id=posting.id),
                    today,
                )
                applications += 1
                for step in _path(rng):
                    await move(
                        session,
                        SEEDER,
                        cipher,
                        application.id,
                        TransitionCreate(to=step, note="演示数据"),
                        today,
                    )
            await _refused_hire(session, cipher, legacy, today)
        return TalentSeedReport(len(postings), candidates, applications, skipped=False)
    finally:
        await db.dispose()


async def _refused_hire(
    session: AsyncSession, cipher: PiiCipher, legacy: Posting, today: date
) -> None:
    """A hire city HR must see through: the furthest application on the legacy posting is
    hired, and the posting reopened so staffing holds its posts. Staffing, once it runs,
    refuses the hire (no posts were held for it when it was made) and then holds the posts:
    the application waits in `hire_failed` with the reason, for HR to try again."""
    stmt = (
        select(Application)
        .where(col(Application.posting_id) == legacy.id, col(Application.status).in_(PIPELINE))
        .order_by(col(Application.created_at), col(Application.id))
    )
    found = list((await session.execute(stmt)).scalars())
    if not found:
        return
    chosen = max(found, key=lambda a: PIPELINE.index(a.status))
    for step in PIPELINE[PIPELINE.index(chosen.status) + 1 :]:
        await move(
            session,
            SEEDER,
            cipher,
            chosen.id,
            TransitionCreate(to=step, note="演示数据"),
            today,
        )
    await reopen_posting(session, SEEDER, legacy.id)


def _posting(rng: random.Random, plan: DemoPosting, today: date) -> Posting:
    """A draft of the planned posting: two in three at schools that hire on their control
    number; the rest wait for 编制 from the pool."""
    school = plan.school
    stage = rng.choice(school.stages)
    subject = rng.choice([s for s in SUBJECTS if is_subject_in_stage(s, stage)] or ["学前教育"])
    return Posting(
        unit_id=school.id,
        district_id=school.district_id,
        title=f"{school.name}{subject}教师",
        subject=subject,
        stage=stage,
        count=plan.count,
        quota_type=plan.quota_type,
        requirements={
            "degree": rng.choice(["bachelor", "master"]),
            "certificate": stage,
        },
        apply_from=today - timedelta(days=10),
        apply_until=today + timedelta(days=rng.randint(20, 60)),
        status="draft",
        reservation="none",
        created_by=SEEDER.sub,
    )


def _path(rng: random.Random) -> list[str]:
    """The moves of one application: some way along the pipeline (never hired: hires are the
    demo's to make), one in six rejected, one in twelve withdrawn."""
    reached = rng.choice([0, 0, 1, 1, 2, 3, 4, 5])
    steps = list(PIPELINE[1 : reached + 1])
    roll = rng.random()
    if roll < 1 / 6:
        steps.append("rejected")
    elif roll < 1 / 6 + 1 / 12:
        steps.append("withdrawn")
    return steps


def _person(rng: random.Random, n: int, today: date) -> CandidateCreate:
    born = date(rng.randint(1985, 2001), rng.randint(1, 12), rng.randint(1, 28))
    first17 = f"{rng.choice(REGIONS)}{born:%Y%m%d}{n % 1000:03d}"
    return CandidateCreate(
        name=rng.choice(SURNAMES) + rng.choice(GIVEN),
        id_number=first17 + check_digit(first17),
        phone=f"1{rng.choice('3589')}{rng.randint(0, 999_999_999):09d}",
        email=f"demo{n:04d}@example.cn",
        degree=rng.choice(["bachelor", "master", "master", "doctorate"]),
        school=rng.choice(
            ["四川师范大学", "西南大学", "北京师范大学", "华东师范大学", "电子科技大学"]
        ),
        major=(major := rng.choice(list(MAJOR_SUBJECTS))),
        certificates=[Certificate(level="senior", subject=MAJOR_SUBJECTS[major])],
        talent_tier=rng.choice(["C", "D", "E", None]),
        source=rng.choice(["fair", "website", "referral"]),
        external_id=f"demo-{n:04d}",
        consent=True,
        retention_until=today + timedelta(days=3 * 365),
    )
