"""The demo data: postings opened through staffing and a few hundred candidates along the
pipeline."""

from __future__ import annotations

from sqlalchemy import func, select

from common.db import Database
from contracts.base import Envelope
from contracts.talent import PostingOpened
from services.talent.models import Application, Candidate, Posting, messaging
from services.talent.seed import seed_talent
from services.talent.settings import TalentSettings
from teacherpool.demo import build_city


async def test_seed_opens_every_posting_through_staffing_and_makes_a_pipeline(
    make_database, identity
):
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
            # Every posting, control numbers included, waits for staffing to hold its posts.
            assert statuses == {"pending_quota": 12}
            kinds = dict(
                (
                    await session.execute(
                        select(Posting.quota_type, func.count()).group_by(Posting.quota_type)
                    )
                ).all()
            )
            assert kinds == {"control": 8, "bianzhi": 4}
            outbox = messaging.outbox
            asked = [
                Envelope.model_validate_json(e).parse_data()
                for e in (
                    await session.execute(
                        select(outbox.c.envelope).where(outbox.c.type == PostingOpened.event_type)
                    )
                ).scalars()
            ]
            assert sorted(e.quota_type for e in asked) == ["bianzhi"] * 4 + ["control"] * 8
            stages = {s for (s,) in await session.execute(select(Application.status).distinct())}
            assert {"applied", "screened", "rejected"} <= stages and "hired" not in stages
            count = await session.execute(select(func.count()).select_from(Candidate))
            assert count.scalar_one() == 120
    finally:
        await db.dispose()
