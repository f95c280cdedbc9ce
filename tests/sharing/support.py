"""Sharing test data: a small city with coordinates, teachers, and requests written directly."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from common.db import Database, utcnow
from common.geo import haversine_km
from services.sharing.models import ShareRequest, Teacher, Unit
from services.sharing.timetable import mask_of

DISTRICT = uuid.UUID("00000000-0000-4000-8000-00000000d001")
OTHER_DISTRICT = uuid.UUID("00000000-0000-4000-8000-00000000d002")


def school_id(n: int) -> uuid.UUID:
    return uuid.UUID(f"00000000-0000-4000-8000-{n:012d}")


#: Schools 1..6 in DISTRICT about 1.1 km apart along a line; school 9 in the other district.
SCHOOLS = {n: (30.60 + 0.01 * n, 104.06) for n in range(1, 7)} | {9: (30.90, 103.60)}


@dataclass(frozen=True)
class City:
    district: uuid.UUID
    schools: dict[int, uuid.UUID]


async def seed_city(db: Database) -> City:
    now = utcnow()
    async with db.session() as session:
        for district, code in ((DISTRICT, "D1"), (OTHER_DISTRICT, "D2")):
            session.add(
                Unit(id=district, kind="district", code=code, name=code, stages=[], as_of=now)
            )
        for n, (lat, lon) in SCHOOLS.items():
            session.add(
                Unit(
                    id=school_id(n),
                    kind="school",
                    code=f"S{n}",
                    name=f"学校{n}",
                    district_id=OTHER_DISTRICT if n == 9 else DISTRICT,
                    stages=["primary", "junior"],
                    lat=lat,
                    lon=lon,
                    as_of=now,
                )
            )
    return City(DISTRICT, {n: school_id(n) for n in SCHOOLS})


async def add_teacher(
    db: Database,
    school: int,
    *,
    subject: str = "音乐",
    stage: str = "primary",
    cap: int = 6,
    home: list[tuple[int, int]] | None = None,
    rating: float = 4.0,
    modes: tuple[str, ...] = ("in_person", "online"),
    title: str | None = "一级教师",
) -> uuid.UUID:
    teacher_id = uuid.uuid4()
    async with db.session() as session:
        session.add(
            Teacher(
                id=teacher_id,
                unit_id=school_id(school),
                district_id=OTHER_DISTRICT if school == 9 else DISTRICT,
                name=f"教师{teacher_id.hex[:4]}",
                title=title,
                subjects=[subject],
                stages=[stage],
                certificates=[{"level": stage, "subject": subject}],
                modes=list(modes),
                home_timetable=mask_of(home or []),
                weekly_cap=cap,
                library_status="listed",
                offered=[[subject, stage]],
                areas=[str(DISTRICT), str(OTHER_DISTRICT)],
                rating=rating,
                as_of=utcnow(),
            )
        )
    return teacher_id


async def add_roster_teacher(
    db: Database,
    school: int,
    *,
    certificates: list[tuple[str, str]] = [("junior", "音乐")],  # noqa: B006 (read only)
    title: str = "一级教师",
) -> uuid.UUID:
    """A teacher as the roster brought them: certificates and a post, not in the library."""
    teacher_id = uuid.uuid4()
    async with db.session() as session:
        session.add(
            Teacher(
                id=teacher_id,
                unit_id=school_id(school),
                district_id=OTHER_DISTRICT if school == 9 else DISTRICT,
                name=f"教师{teacher_id.hex[:4]}",
                title=title,
                subjects=[certificates[0][1]],
                stages=[certificates[0][0]],
                certificates=[{"level": g, "subject": s} for g, s in certificates],
                modes=["in_person", "online"],
                as_of=utcnow(),
            )
        )
    return teacher_id


async def add_request(
    db: Database,
    school: int,
    slots: list[tuple[int, int]],
    *,
    subject: str = "音乐",
    stage: str = "primary",
    mode: str = "in_person",
    term_start: date | None = None,
    weeks: int = 4,
) -> uuid.UUID:
    start = term_start or date.today() + timedelta(days=7)
    request = ShareRequest(
        unit_id=school_id(school),
        district_id=OTHER_DISTRICT if school == 9 else DISTRICT,
        subject=subject,
        stage=stage,
        slots=[list(s) for s in slots],
        slot_mask=mask_of(slots),
        periods=len(slots),
        term_start=start,
        term_end=start + timedelta(weeks=weeks) - timedelta(days=1),
        mode=mode,
        reason="缺音乐教师",
        status="open",
        created_by="test",
    )
    async with db.session() as session:
        session.add(request)
    return request.id


#: The default bell schedule written out by hand: 40-minute periods, 10-minute breaks, and a
#: 120-minute lunch after period 4 (so period 5 starts 110 minutes later than a plain break).
def period_start(period: int) -> int:
    return (period - 1) * 50 + (110 if period >= 5 else 0)


def travel_needed(a: tuple[float, float] | None, b: tuple[float, float] | None) -> float:
    """Minutes to get between two places at 30 km/h plus 10 minutes; 0 at the same place."""
    if a == b:
        return 0.0
    if a is None or b is None:
        return float("inf")
    return haversine_km(*a, *b) / 30 * 60 + 10


def clash_free(bookings: list[tuple[set[tuple[int, int]], tuple[float, float] | None]]) -> bool:
    """No two lessons at one time, and time to travel between any two on the same day."""
    lessons = [(w, p, place) for slots, place in bookings for w, p in slots]
    for i, (w1, p1, at1) in enumerate(lessons):
        for w2, p2, at2 in lessons[i + 1 :]:
            if w1 != w2:
                continue
            if p1 == p2:
                return False
            first, last = min(p1, p2), max(p1, p2)
            gap = period_start(last) - (period_start(first) + 40)
            if gap < travel_needed(at1, at2):
                return False
    return True
