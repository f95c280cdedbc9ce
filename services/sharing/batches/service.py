"""Rules of batch matching: build the problem from the index, solve it, make the offers."""

from __future__ import annotations

import asyncio
import math
import uuid
from dataclasses import asdict
from datetime import date, datetime, timedelta

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.errors import (
    DomainError,
    Forbidden,
    IllegalTransition,
    InvalidInput,
    NotFound,
)
from services.sharing.access import require_hr
from services.sharing.batches.schemas import BatchCreate
from services.sharing.batches.solver import Job, Option, Problem, Result, solve
from services.sharing.matching.index import Need, TeacherIndex
from services.sharing.matching.service import need_of
from services.sharing.models import BatchMatch
from services.sharing.offers import service as offers
from services.sharing.offers.schemas import OfferCreate
from services.sharing.requests import repository as requests
from services.sharing.timetable import TRAVELLING_MODES, Place, SchoolDay

#: Teachers considered per request, best first: greedy rarely looks past the first few, and
#: the solver keeps fewer still.
MAX_OPTIONS = 200


def build_problem(index: TeacherIndex, keys: list[object], needs: list[Need], keep: int) -> Problem:
    """Jobs and each job's eligible teachers (best first) as the index sees them now."""
    jobs, options = [], []
    remaining: dict[object, int] = {}
    for j, (key, need) in enumerate(zip(keys, needs, strict=True)):
        jobs.append(Job(key, need.mask, need.periods, need.starts_on, need.ends_on))
        found = index.eligible(need)
        order = np.lexsort((found.rows, -found.score))[:MAX_OPTIONS]
        row_options = []
        for i in order:
            row = int(found.rows[i])
            teacher = index.ids[row]
            travelling = need.mode in TRAVELLING_MODES
            home = Place(index.units[row], _num(index.lat[row]), _num(index.lon[row]))
            km = float(found.km[i]) if travelling else 0.0
            row_options.append(
                Option(j, teacher, need.host if travelling else home, km, float(found.score[i]))
            )
            left = int(index.cap[row]) - int(found.load[i])
            remaining[teacher] = min(remaining.get(teacher, left), left)
        options.append(row_options)
    return Problem(jobs, options, remaining, index.day, keep_per_job=keep)


def _num(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def figures(result: Result) -> dict[str, object]:
    return {k: v for k, v in asdict(result).items() if k != "chosen"}


async def propose(
    session: AsyncSession,
    principal: Principal,
    index: TeacherIndex,
    data: BatchCreate,
    today: date,
    *,
    time_limit: float,
    keep: int,
) -> BatchMatch:
    """Match a term's open requests in the caller's scope and keep the proposal for review."""
    require_hr(principal, "run batch matching")
    if data.term_end < data.term_start:
        raise InvalidInput.field("body.term_end", "the term ends before it starts")
    district_id = data.district_id
    if principal.role == "district_hr":
        if district_id not in (None, principal.district_id):
            raise Forbidden("district HR matches its own district only")
        district_id = principal.district_id
    await index.refresh(session)
    open_requests = await requests.open_in_term(
        session, data.term_start, data.term_end, district_id
    )
    needs = [await need_of(session, r, today) for r in open_requests]
    problem = build_problem(index, [r.id for r in open_requests], needs, keep)
    result, first = await asyncio.to_thread(solve, problem, data.time_limit_seconds or time_limit)
    proposals = [
        {
            "request_id": str(problem.jobs[o.job].key),
            "teacher_id": str(o.teacher),
            "periods": problem.jobs[o.job].periods,
            "distance_km": round(o.km, 2) if math.isfinite(o.km) else None,
        }
        for o in result.chosen
        if o is not None
    ]
    batch = BatchMatch(
        district_id=district_id,
        term_start=data.term_start,
        term_end=data.term_end,
        status="proposed",
        proposals=proposals,
        figures={
            "requests": len(open_requests),
            "solver": figures(result),
            "greedy": figures(first),
        },
        created_by=principal.sub,
    )
    session.add(batch)
    await session.flush()
    return batch


async def visible_batch(
    session: AsyncSession, principal: Principal, batch_id: uuid.UUID
) -> BatchMatch:
    batch = await session.get(BatchMatch, batch_id)
    visible = batch is not None and (
        principal.role == "city_hr"
        or (principal.role == "district_hr" and batch.district_id == principal.district_id)
    )
    if not visible:
        raise NotFound("no such batch match in your scope")
    assert batch is not None
    return batch


async def make_offers(
    session: AsyncSession,
    principal: Principal,
    batch_id: uuid.UUID,
    day: SchoolDay,
    now: datetime,
    ttl: timedelta,
) -> tuple[BatchMatch, list[uuid.UUID], list[dict[str, object]]]:
    """Turn the whole proposal into offers in one step; proposals that no longer hold are listed."""
    batch = await visible_batch(session, principal, batch_id)
    if batch.status != "proposed":
        raise IllegalTransition(
            f"the batch match is {batch.status}", state=batch.status, state_of="batch_match"
        )
    made, skipped = [], []
    for proposal in batch.proposals:
        request_id = uuid.UUID(proposal["request_id"])
        try:
            # send() checks everything before it writes, so a refusal leaves nothing behind.
            offer = await offers.send(
                session,
                principal,
                request_id,
                OfferCreate(teacher_id=uuid.UUID(proposal["teacher_id"])),
                day,
                now,
                ttl,
                batch_id=batch.id,
            )
        except DomainError as error:
            skipped.append({**proposal, "reason": error.detail})
            continue
        made.append(offer.id)
    batch.status = "offered"
    return batch, made, skipped
