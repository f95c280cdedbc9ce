"""The demo data: open and blocked postings and a few hundred candidates along the pipeline."""

from __future__ import annotations

from sqlalchemy import func, select

from common.db import Database
from services.talent.models import Application, Candidate, Posting
from services.talent.seed import seed_talent
from services.talent.settings import TalentSettings
from teacherpool.demo import build_city


async def test_seed_makes_open_and_blocked_postings_and_a_pipeline(make_database, identity):
    url = await make_database("talent")
    settings = TalentSettings(database_url=url, common=identity.common())
    report = await seed_talent(url, build_city(), settings=settings, candidates=120)
    assert (report.postings, report.candidates, report.skipped) == (12, 120, False)
    assert (await seed_talent(url, build_city(), settings=settings)).skipped
    db = Database(url)
    try:
        async with db.session(read_only=True) as session:
            statuses = dict(
                (
                    await session.execute(
                        select(Posting.status, func.count()).group_by(Posting.status)
                    )
                ).all()
            )
            assert statuses == {"open": 8, "blocked": 4}
            stages = {s for (s,) in await session.execute(select(Application.status).distinct())}
            assert {"applied", "screened", "rejected"} <= stages and "hired" not in stages
            count = await session.execute(select(func.count()).select_from(Candidate))
            assert count.scalar_one() == 120
    finally:
        await db.dispose()
