"""Batch matching never breaks a cap or a clash and fills at least what greedy first-come fills."""

from __future__ import annotations

import random
import time
import uuid
from collections import defaultdict
from datetime import date

import pytest

from services.sharing.batches.service import build_problem
from services.sharing.batches.solver import solve
from services.sharing.matching.index import Need, TeacherIndex
from services.sharing.timetable import Place, SchoolDay, mask_of, slots_of
from tests.sharing.support import clash_free

SUBJECTS = ("音乐", "美术", "科学")
TERM = (date(2027, 3, 1), date(2027, 7, 10))


def generated(seed: int) -> tuple[TeacherIndex, list[Need]]:
    """A scarce market: 40 teachers, 90 requests, schools within about 25 km."""
    rng = random.Random(seed)
    schools = [
        Place(uuid.uuid4(), 30.6 + rng.uniform(-0.12, 0.12), 104.06 + rng.uniform(-0.12, 0.12))
        for _ in range(15)
    ]
    index = TeacherIndex(SchoolDay())
    for _ in range(40):
        home = rng.choice(schools)
        subject = rng.choice(SUBJECTS)
        index.put_teacher(
            uuid.uuid4(),
            name="t",
            unit_id=home.unit_id,
            lat=home.lat,
            lon=home.lon,
            home=mask_of({(rng.randint(1, 5), rng.randint(1, 8)) for _ in range(10)}),
            cap=rng.randint(1, 6),
            rating=rng.uniform(2, 5),
            modes=["in_person", "online"],
            live=True,
            certificates=[(subject, "primary")],
            teaching=[(subject, "primary")],
        )
    needs = []
    for _ in range(90):
        slots = {(rng.randint(1, 5), rng.randint(1, 8)) for _ in range(rng.randint(1, 3))}
        needs.append(
            Need(
                subject=rng.choice(SUBJECTS),
                stage="primary",
                mode=rng.choice(["in_person", "in_person", "online"]),
                mask=mask_of(slots),
                periods=len(slots),
                host=rng.choice(schools),
                starts_on=TERM[0],
                ends_on=TERM[1],
            )
        )
    return index, needs


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_batch_keeps_every_constraint_and_fills_at_least_greedy(seed):
    index, needs = generated(seed)
    problem = build_problem(index, list(range(len(needs))), needs, keep=6)
    started = time.perf_counter()
    result, greedy = solve(problem, time_limit=4)

    assert time.perf_counter() - started <= 4  # the limit covers the whole call
    assert result.filled_periods >= greedy.filled_periods
    held: dict[object, list[tuple[int, object]]] = defaultdict(list)
    for j, option in enumerate(result.chosen):
        if option is None:
            continue
        assert option.job == j
        assert option.teacher in {o.teacher for o in problem.options[j]}  # eligible on its own
        held[option.teacher].append((j, option.place))
    for teacher, jobs in held.items():
        row = index.row_of[teacher]
        assert sum(needs[j].periods for j, _ in jobs) <= index.cap[row]
        home = (float(index.lat[row]), float(index.lon[row]))
        bookings = [(set(slots_of(int(index.home[row]))), home)] + [
            (set(slots_of(needs[j].mask)), (place.lat, place.lon)) for j, place in jobs
        ]
        assert clash_free(bookings), teacher


def test_batch_reports_how_far_each_stage_may_be_from_optimal():
    index, needs = generated(1)
    problem = build_problem(index, list(range(len(needs))), needs, keep=6)
    result, greedy = solve(problem, time_limit=4)

    fill = result.gaps["fill"]
    assert fill["objective"] == result.filled_periods
    assert fill["bound"] >= fill["objective"]  # periods are maximised: the bound is above
    assert fill["gap"] == pytest.approx(
        (fill["bound"] - fill["objective"]) / fill["objective"], abs=1e-6
    )
    travel = result.gaps["travel"]
    assert travel["bound"] <= travel["objective"]  # travel is minimised: the bound is below
    assert 0 <= travel["gap"] <= 1
    assert greedy.gaps == {}
