"""Candidate ranking at 1,000,000 teachers (a province) with the index's memory, and batch
matching on a scarce term (demand well above supply) beside greedy, with the solver's gap."""

from __future__ import annotations

import asyncio
import gc
import random
import statistics
import time
import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any, TypedDict

from bench.support import percentile
from services.sharing.batches.service import build_problem
from services.sharing.batches.solver import Problem, solve
from services.sharing.matching.index import Need, TeacherIndex
from services.sharing.timetable import Place, SchoolDay, mask_of
from teacherpool.demo import build_city

TEACHERS = 1_000_000
RANKINGS = 1_000
ROUNDS = 3
BATCH_TIME_LIMIT = 30.0
SCARCE_TEACHERS = 400
"""Teachers of the scarce subjects in one district, for the scarce-term batch."""
SCARCE_REQUESTS = 1_200
"""Requests of that district's schools for those subjects: demand well above supply."""
CORE = ("语文", "数学", "英语", "物理", "化学", "生物学", "历史", "地理", "道德与法治", "劳动")
SCARCE = ("音乐", "美术", "体育与健康", "科学", "心理健康", "信息科技")
TERM = (date(2027, 3, 1), date(2027, 7, 10))


Schools = Sequence[tuple[Place, tuple[str, ...]]]


class TermSizes(TypedDict):
    """The scarce term's size: its requests, the periods they ask for, the periods on offer."""

    requests: int
    requested_periods: int
    supply_periods: int


class BatchRound(TermSizes):
    """One scarce term solved greedily and by CP-SAT."""

    greedy_filled_periods: int
    cpsat_filled_periods: int
    extra_filled_share_of_requested: float
    greedy_travel_km: float
    cpsat_travel_km: float
    travel_ratio: float | None
    greedy_km_per_period: float
    cpsat_km_per_period: float
    greedy_teachers: int
    cpsat_teachers: int
    greedy_s: float
    cpsat_s: float
    cpsat_status: str
    cpsat_gaps: dict[str, dict[str, float]]


def rss_bytes() -> int:
    """This process's resident memory now (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def build_index(
    rng: random.Random, schools: Schools, teachers: int, scarce_share: float = 0.15
) -> TeacherIndex:
    """`teachers` spread over `schools`, scarce subjects held by `scarce_share` of them."""
    index = TeacherIndex(SchoolDay(), capacity=teachers)
    for _ in range(teachers):
        home, stages = rng.choice(schools)
        subject = rng.choice(SCARCE) if rng.random() < scarce_share else rng.choice(CORE)
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
    return index


def random_need(rng: random.Random, schools: Schools) -> Need:
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


def province_schools() -> Schools:
    """A province's schools: the demo city's 4,000 laid out five times over, a degree apart."""
    city = build_city("city")
    return [
        (Place(uuid.uuid4(), s.lat + shift, s.lon + shift), s.stages)
        for shift in (0.0, 1.0, 2.0, -1.0, -2.0)
        for s in city.schools
    ]


def ranking() -> dict[str, object]:
    """Build the 1,000,000-teacher index once, then rank in three rounds."""
    rng = random.Random(2026)
    schools = province_schools()
    gc.collect()
    before = rss_bytes()
    started = time.perf_counter()
    index = build_index(rng, schools, TEACHERS)
    built = time.perf_counter() - started
    # Warm every bucket's cache, as a running service has them: a bucket is copied out on
    # first use after a change, which is not what a ranking costs.
    stages = sorted({stage for _, held in schools for stage in held})
    for subject in SCARCE:
        for stage in stages:
            index.rank(replace(random_need(rng, schools), subject=subject, stage=stage), 20)
    gc.collect()
    held = rss_bytes() - before
    rounds = []
    found: list[int] = []
    for _ in range(ROUNDS):
        samples = []
        for _ in range(RANKINGS):
            need = random_need(rng, schools)
            t0 = time.perf_counter()
            ranked = index.rank(need, 20)
            samples.append(time.perf_counter() - t0)
            found.append(len(ranked))
        rounds.append({f"p{q}_ms": round(percentile(samples, q) * 1000, 2) for q in (50, 95, 99)})
    p95 = [r["p95_ms"] for r in rounds]
    return {
        "teachers": TEACHERS,
        "schools": len(schools),
        "index_build_s": round(built, 1),
        "index_rss_mib": round(held / 2**20),
        "index_rss_target_mib": 2048,
        "ranking_rounds": rounds,
        "ranking_p95_ms_median": statistics.median(p95),
        "ranking_p95_ms_spread": [min(p95), max(p95)],
        "ranking_p95_target_ms": 5,
        "ranking_mean_candidates": round(sum(found) / len(found), 1),
    }


def scarce_term(seed: int) -> tuple[Problem, TermSizes]:
    """One district's term: few teachers of the scarce subjects, many requests for them."""
    rng = random.Random(seed)
    city = build_city("city")
    district = city.schools[0].district_code
    schools = [
        (Place(s.id, s.lat, s.lon), s.stages) for s in city.schools if s.district_code == district
    ]
    index = build_index(rng, schools, SCARCE_TEACHERS, scarce_share=1.0)
    needs = [random_need(rng, schools) for _ in range(SCARCE_REQUESTS)]
    problem = build_problem(index, list(range(len(needs))), needs, keep=8)
    supply = sum(problem.remaining_cap.values())
    return problem, {
        "requests": len(needs),
        "requested_periods": sum(n.periods for n in needs),
        "supply_periods": supply,
    }


def batch(seed: int) -> BatchRound:
    problem, sizes = scarce_term(seed)
    result, greedy = solve(problem, BATCH_TIME_LIMIT)
    requested = sizes["requested_periods"]
    return {
        **sizes,
        "greedy_filled_periods": greedy.filled_periods,
        "cpsat_filled_periods": result.filled_periods,
        "extra_filled_share_of_requested": round(
            (result.filled_periods - greedy.filled_periods) / requested, 4
        ),
        "greedy_travel_km": greedy.travel_km,
        "cpsat_travel_km": result.travel_km,
        "travel_ratio": round(result.travel_km / greedy.travel_km, 3) if greedy.travel_km else None,
        "greedy_km_per_period": round(greedy.travel_km / max(1, greedy.filled_periods), 3),
        "cpsat_km_per_period": round(result.travel_km / max(1, result.filled_periods), 3),
        "greedy_teachers": greedy.teachers,
        "cpsat_teachers": result.teachers,
        "greedy_s": greedy.seconds,
        "cpsat_s": result.seconds,
        "cpsat_status": result.status,
        "cpsat_gaps": result.gaps,
    }


def measure() -> dict[str, object]:
    rounds = [batch(seed) for seed in range(2026, 2026 + ROUNDS)]
    shares = [r["extra_filled_share_of_requested"] for r in rounds]
    ratios = [r["travel_ratio"] for r in rounds if r["travel_ratio"] is not None]
    seconds = [r["cpsat_s"] for r in rounds]
    figures: dict[str, object] = {
        "batch_rounds": rounds,
        "batch_extra_filled_share_median": statistics.median(shares),
        "batch_extra_filled_share_spread": [min(shares), max(shares)],
        "batch_extra_filled_target": 0.05,
        "batch_travel_ratio_median": statistics.median(ratios) if ratios else None,
        "batch_travel_ratio_spread": [min(ratios), max(ratios)] if ratios else None,
        "batch_travel_ratio_target": 0.8,
        "batch_cpsat_s_max": max(seconds),
        "batch_time_limit_s": BATCH_TIME_LIMIT,
    }
    figures.update(ranking())
    return figures


async def run() -> dict[str, object]:
    return await asyncio.to_thread(measure)


def rows(figures: dict[str, object]) -> list[tuple[str, str, str]]:
    """The README's lines: ranking over the three rounds, and each seed of the scarce term."""
    f: dict[str, Any] = dict(figures)
    p95 = [r["p95_ms"] for r in f["ranking_rounds"]]
    p50 = [r["p50_ms"] for r in f["ranking_rounds"]]
    batch: list[dict[str, Any]] = f["batch_rounds"]

    def each(key: str, digits: int = 0, scale: float = 1.0) -> str:
        return " / ".join(f"{b[key] * scale:,.{digits}f}" for b in batch)

    def fill_gap(b: dict[str, Any]) -> str:
        fill = b["cpsat_gaps"].get("fill", {})
        return f"{fill.get('bound', float('nan')):,.0f} ({100 * fill.get('gap', 0):.1f} %)"

    def travel_gap(b: dict[str, Any]) -> str:
        travel = b["cpsat_gaps"].get("travel")
        return f"{100 * travel['gap']:.0f} %" if travel else "no answer"

    over_greedy = " / ".join(
        f"+{100 * (b['cpsat_filled_periods'] / b['greedy_filled_periods'] - 1):.1f} %"
        for b in batch
    )
    return [
        (
            f"candidate ranking at {f['teachers']:,} teachers ({f['schools']:,} schools), "
            f"every bucket warm, {len(p95)} rounds of {RANKINGS:,}",
            "p50 / p95; the index's memory (goal p95 ≤ 5 ms, ≤ 2 GiB)",
            f"p50 {statistics.median(p50)} ms, p95 {f['ranking_p95_ms_median']} ms "
            f"({min(p95)}–{max(p95)}); {f['index_rss_mib']:,} MiB (resident growth); "
            f"built in {f['index_build_s']} s",
        ),
        (
            f"batch matching on a scarce term, {len(batch)} seeds: one district, "
            f"{SCARCE_TEACHERS} teachers of the scarce subjects, {batch[0]['requests']:,} "
            f"requests asking {each('requested_periods')} periods of the "
            f"{each('supply_periods')} the teachers can give; CP-SAT beside greedy, "
            f"{BATCH_TIME_LIMIT:g} s",
            "periods filled; travel; the solver's gaps (goal: + 5 % of periods, travel ≤ 0.8×, "
            "≤ 30 s)",
            f"greedy {each('greedy_filled_periods')}, CP-SAT {each('cpsat_filled_periods')}: "
            f"{over_greedy} of greedy's, + {each('extra_filled_share_of_requested', 1, 100)} % "
            f"of the periods asked; travel {each('travel_ratio', 2)} × greedy's in total "
            f"({each('greedy_km_per_period', 2)} → {each('cpsat_km_per_period', 2)} km a "
            f"period); {f['batch_cpsat_s_max']} s at most; the fill's proved bound "
            f"{' / '.join(fill_gap(b) for b in batch)}, the travel stage's gap "
            f"{' / '.join(travel_gap(b) for b in batch)}",
        ),
    ]
