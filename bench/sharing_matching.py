"""Candidate ranking at 200,000 teachers, and batch matching of 2,000 requests beside greedy."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from datetime import date

from bench.support import percentile
from services.sharing.batches.service import build_problem
from services.sharing.batches.solver import solve
from services.sharing.matching.index import Need, TeacherIndex
from services.sharing.timetable import Place, SchoolDay, mask_of
from teacherpool.demo import build_city

TEACHERS = 200_000
RANKINGS = 1_000
BATCH_REQUESTS = 2_000
BATCH_TIME_LIMIT = 30.0
CORE = ("语文", "数学", "英语", "物理", "化学", "生物学", "历史", "地理", "道德与法治", "劳动")
SCARCE = ("音乐", "美术", "体育与健康", "科学", "心理健康", "信息科技")
TERM = (date(2027, 3, 1), date(2027, 7, 10))


def build_index(rng: random.Random) -> tuple[TeacherIndex, list[tuple[Place, tuple[str, ...]]]]:
    """The city at full scale: 4,000 schools, 200,000 teachers, scarce subjects rare."""
    city = build_city("city")
    schools = [(Place(s.id, s.lat, s.lon), s.stages) for s in city.schools]
    index = TeacherIndex(SchoolDay(), capacity=TEACHERS)
    for _ in range(TEACHERS):
        home, stages = rng.choice(schools)
        subject = rng.choice(SCARCE) if rng.random() < 0.15 else rng.choice(CORE)
        stage = rng.choice(stages)
        certificates = [(subject, stage)]
        if rng.random() < 0.3:
            certificates.append((rng.choice(SCARCE), stage))
        busy = {(rng.randint(1, 5), rng.randint(1, 8)) for _ in range(rng.randint(10, 18))}
        index.put_teacher(
            uuid.uuid4(),
            name="教师",
            unit_id=home.unit_id,
            lat=home.lat,
            lon=home.lon,
            home=mask_of(busy),
            cap=rng.randint(2, 6),
            rating=round(rng.uniform(2.5, 5.0), 1),
            modes=rng.choice([["in_person"], ["in_person", "online"], ["online"]]),
            live=rng.random() < 0.7,
            certificates=certificates,
            teaching=[(subject, stage)],
        )
    return index, schools


def random_need(rng: random.Random, schools: list[tuple[Place, tuple[str, ...]]]) -> Need:
    host, stages = rng.choice(schools)
    slots = {(rng.randint(1, 5), rng.randint(1, 8)) for _ in range(rng.randint(1, 4))}
    return Need(
        subject=rng.choice(SCARCE),
        stage=rng.choice(stages),
        mode=rng.choice(["in_person", "in_person", "online"]),
        mask=mask_of(slots),
        periods=len(slots),
        host=host,
        starts_on=TERM[0],
        ends_on=TERM[1],
    )


def measure() -> dict[str, object]:
    rng = random.Random(2026)
    started = time.perf_counter()
    index, schools = build_index(rng)
    built = time.perf_counter() - started
    for _ in range(20):  # warm the bucket caches as a running service would have them
        index.rank(random_need(rng, schools), 20)
    samples, found = [], []
    for _ in range(RANKINGS):
        need = random_need(rng, schools)
        t0 = time.perf_counter()
        ranked = index.rank(need, 20)
        samples.append(time.perf_counter() - t0)
        found.append(len(ranked))
    needs = [random_need(rng, schools) for _ in range(BATCH_REQUESTS)]
    t0 = time.perf_counter()
    problem = build_problem(index, list(range(len(needs))), needs, keep=8)
    prepared = time.perf_counter() - t0
    result, greedy = solve(problem, BATCH_TIME_LIMIT)
    return {
        "teachers": TEACHERS,
        "index_build_s": round(built, 1),
        "ranking_p50_ms": round(percentile(samples, 50) * 1000, 2),
        "ranking_p95_ms": round(percentile(samples, 95) * 1000, 2),
        "ranking_p99_ms": round(percentile(samples, 99) * 1000, 2),
        "ranking_mean_candidates": round(sum(found) / len(found), 1),
        "batch_requests": BATCH_REQUESTS,
        "batch_requested_periods": sum(n.periods for n in needs),
        "batch_prepare_s": round(prepared, 2),
        "greedy_filled_periods": greedy.filled_periods,
        "greedy_filled_requests": greedy.filled_jobs,
        "greedy_travel_km": greedy.travel_km,
        "greedy_teachers": greedy.teachers,
        "greedy_s": greedy.seconds,
        "cpsat_filled_periods": result.filled_periods,
        "cpsat_filled_requests": result.filled_jobs,
        "cpsat_travel_km": result.travel_km,
        "cpsat_teachers": result.teachers,
        "cpsat_s": result.seconds,
        "cpsat_status": result.status,
        "cpsat_time_limit_s": BATCH_TIME_LIMIT,
    }


async def run() -> dict[str, object]:
    return await asyncio.to_thread(measure)
