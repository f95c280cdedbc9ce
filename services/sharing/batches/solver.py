"""Semester batch matching (学期批量匹配): greedy first-come, and CP-SAT beside it.

Objective, in order: the most periods filled, then the least total travel, then the load
spread over the most teachers. Hard limits: one teacher per request, each teacher's remaining
weekly cap, and no two requests given to one teacher that clash (travel included). The greedy
answer is always a feasible hint, so the solver never returns fewer filled periods than greedy.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from ortools.sat.python import cp_model

from services.sharing.timetable import Booking, Place, SchoolDay

FILL_SHARE = 0.5
"""The share of the time left after building the model that the fill stage gets; travel has
the rest. A default, chosen on the scarce-term benchmark (`bench/sharing_matching.py`, three
seeds at 30 s, four runs of each): half filled as many periods as two thirds did (within 3
of 1,038 / 985 / 1,052) with less travel (0.65–0.95 of greedy's, 0.74 on average, against
0.70–0.88, 0.78 on average). CP-SAT's answer within a time limit varies from run to run."""


STOPPING_SECONDS = 0.25
"""Kept back from the time limit: CP-SAT runs a little past its own limit before it stops
(about 10 ms seen at 30 s), and reading the answer and its figures follows."""


@dataclass(frozen=True, slots=True)
class Job:
    """One open request: its slots, dates, periods, and whether the teacher travels to it."""

    key: object
    mask: int
    periods: int
    starts_on: date
    ends_on: date


@dataclass(frozen=True, slots=True)
class Option:
    """A teacher who could take a job on their own: where they would teach, how far they go."""

    job: int
    teacher: object
    place: Place
    km: float
    score: float


@dataclass(slots=True)
class Problem:
    jobs: list[Job]
    options: list[list[Option]]
    remaining_cap: dict[object, int]
    day: SchoolDay
    keep_per_job: int = 8

    def clash(self, a: Option, b: Option) -> bool:
        """Two jobs given to the same teacher would overlap or leave too little travel time."""
        ja, jb = self.jobs[a.job], self.jobs[b.job]
        if ja.starts_on > jb.ends_on or jb.starts_on > ja.ends_on:
            return False
        return self.day.clash([Booking("", ja.mask, a.place)], jb.mask, b.place) is not None


@dataclass(slots=True)
class Result:
    """Chosen option per job (None when unfilled) and the figures behind it."""

    chosen: list[Option | None]
    filled_periods: int
    filled_jobs: int
    travel_km: float
    teachers: int
    seconds: float
    status: str
    gaps: dict[str, dict[str, float]] = field(default_factory=dict)
    """Per solver stage (`fill`, `travel`): its objective, the best bound CP-SAT proved, and
    the relative gap between them (0 when the stage was proved optimal)."""


def _gap(solver: cp_model.CpSolver) -> dict[str, float]:
    objective, bound = solver.objective_value, solver.best_objective_bound
    gap = abs(bound - objective) / max(1.0, abs(objective))
    return {"objective": objective, "bound": bound, "gap": round(gap, 6)}


def _travel(option: Option) -> float:
    return option.km if math.isfinite(option.km) else 0.0


def summarise(problem: Problem, chosen: list[Option | None], seconds: float, status: str) -> Result:
    picked = [o for o in chosen if o is not None]
    return Result(
        chosen=chosen,
        filled_periods=sum(problem.jobs[o.job].periods for o in picked),
        filled_jobs=len(picked),
        travel_km=round(sum(_travel(o) for o in picked), 2),
        teachers=len({o.teacher for o in picked}),
        seconds=round(seconds, 3),
        status=status,
    )


def greedy(problem: Problem) -> Result:
    """First come, first served: each job in order takes its best teacher still free."""
    started = time.perf_counter()
    taken: dict[object, list[Option]] = defaultdict(list)
    used: dict[object, int] = defaultdict(int)
    chosen: list[Option | None] = []
    for j, options in enumerate(problem.options):
        periods = problem.jobs[j].periods
        pick = None
        for option in options:
            if used[option.teacher] + periods > problem.remaining_cap.get(option.teacher, 0):
                continue
            if any(problem.clash(other, option) for other in taken[option.teacher]):
                continue
            pick = option
            break
        if pick is not None:
            taken[pick.teacher].append(pick)
            used[pick.teacher] += periods
        chosen.append(pick)
    return summarise(problem, chosen, time.perf_counter() - started, "greedy")


def solve(problem: Problem, time_limit: float, *, workers: int = 2) -> tuple[Result, Result]:
    """The CP-SAT answer and the greedy one it started from."""
    started = time.perf_counter()
    first = greedy(problem)
    shortlist: list[list[Option]] = []
    for j, options in enumerate(problem.options):
        kept = list(options[: problem.keep_per_job])
        pick = first.chosen[j]
        if pick is not None and pick not in kept:
            kept.append(pick)
        shortlist.append(kept)

    model = cp_model.CpModel()
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    by_teacher: dict[object, list[tuple[Option, cp_model.IntVar]]] = defaultdict(list)
    for j, options in enumerate(shortlist):
        for k, option in enumerate(options):
            var = model.new_bool_var(f"x{j}_{k}")
            x[j, k] = var
            by_teacher[option.teacher].append((option, var))
        if options:
            model.add_at_most_one(x[j, k] for k in range(len(options)))
    spread: list[cp_model.IntVar] = []
    for teacher, held in by_teacher.items():
        model.add(
            sum(problem.jobs[o.job].periods * v for o, v in held)
            <= problem.remaining_cap.get(teacher, 0)
        )
        for i in range(len(held)):
            for k in range(i + 1, len(held)):
                a, b = held[i][0], held[k][0]
                if a.job == b.job or problem.clash(a, b):
                    model.add_bool_or([held[i][1].Not(), held[k][1].Not()])
        if len(held) > 1:
            extra = model.new_int_var(0, len(held), f"extra_{len(spread)}")
            model.add(extra >= sum(v for _, v in held) - 1)
            spread.append(extra)
    for j, options in enumerate(shortlist):
        for k, option in enumerate(options):
            model.add_hint(x[j, k], option is first.chosen[j])

    filled = sum(
        problem.jobs[j].periods * x[j, k]
        for j, opts in enumerate(shortlist)
        for k in range(len(opts))
    )
    travel = sum(
        round(_travel(option) * 10) * x[j, k]
        for j, opts in enumerate(shortlist)
        for k, option in enumerate(opts)
    )
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    # The time limit covers the whole call: building the model counts, filling gets
    # FILL_SHARE of what is left and travel the rest, less what CP-SAT takes to stop and the
    # answer to be read.
    deadline = started + time_limit - min(STOPPING_SECONDS, time_limit / 10)
    solver.parameters.max_time_in_seconds = max(0.1, (deadline - time.perf_counter()) * FILL_SHARE)
    model.maximize(filled)
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return first, first
    best = round(solver.objective_value)
    stage_one = _read(shortlist, x, solver)
    gaps = {"fill": _gap(solver)}

    # Keep the periods found, then travel less, then spread (at most one unit per teacher).
    model.clear_hints()
    for var in x.values():
        model.add_hint(var, solver.value(var))
    model.add(filled >= best)
    model.minimize(travel * (len(problem.jobs) + 1) + sum(spread))
    solver.parameters.max_time_in_seconds = max(0.1, deadline - time.perf_counter())
    status = solver.solve(model)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        chosen = _read(shortlist, x, solver)
        gaps["travel"] = _gap(solver)
    else:
        chosen = stage_one
    label = "optimal" if status == cp_model.OPTIMAL else "feasible"
    result = summarise(problem, chosen, time.perf_counter() - started, label)
    result.gaps = gaps
    if result.filled_periods < first.filled_periods:
        return first, first
    return result, first


def _read(
    shortlist: Sequence[Sequence[Option]],
    x: dict[tuple[int, int], cp_model.IntVar],
    solver: cp_model.CpSolver,
) -> list[Option | None]:
    chosen: list[Option | None] = []
    for j, options in enumerate(shortlist):
        pick = next((o for k, o in enumerate(options) if solver.value(x[j, k])), None)
        chosen.append(pick)
    return chosen
