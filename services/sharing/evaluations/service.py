"""Rules of evaluations (考核评价): the host school evaluates at the end of an assignment and at
the end of each term of a long one; the home school and the teacher read it; the teacher may
answer. A teacher's rating in matching is derived from these, never typed.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterable
from datetime import date

from openpyxl import Workbook
from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.db import utcnow
from common.errors import Conflict, Forbidden, InvalidInput, NotFound
from common.spreadsheets import safe_row
from contracts.sharing import TeacherEvaluated
from services.sharing.access import acting_teacher_id, is_school_of, require_hr
from services.sharing.assignments.service import visible_assignment
from services.sharing.evaluations import repository
from services.sharing.evaluations.schemas import EvaluationCreate, FormCreate, ResponseCreate
from services.sharing.models import (
    Evaluation,
    EvaluationForm,
    SchoolTerm,
    Teacher,
    Unit,
)
from services.sharing.models import (
    outbox as events,
)

#: A rating with no evaluation behind it: the middle of the 1-5 scale.
NEUTRAL_RATING = 3.0
#: An evaluation counts half as much as one made this many days later. A default chosen for the
#: demo, to be replaced by the city's own rule; it is not policy.
HALF_LIFE_DAYS = 365.0


def derived_rating(evaluations: Iterable[Evaluation]) -> tuple[float, int]:
    """The weighted mean of the evaluations' means, recent ones weighing more; and how many."""
    found = list(evaluations)
    if not found:
        return NEUTRAL_RATING, 0
    latest = max(e.created_at for e in found)
    weights = [0.5 ** ((latest - e.created_at).days / HALF_LIFE_DAYS) for e in found]
    rating = sum(w * e.mean for w, e in zip(weights, found, strict=True)) / sum(weights)
    return round(rating, 2), len(found)


async def current_form(session: AsyncSession) -> EvaluationForm:
    form = await repository.active_form(session)
    if form is None:
        raise NotFound("no evaluation form is in use; city HR sets one")
    return form


async def replace_form(
    session: AsyncSession, principal: Principal, data: FormCreate
) -> EvaluationForm:
    """City HR puts a new version of the form in use; past evaluations keep theirs."""
    if principal.role != "city_hr":
        raise Forbidden("only city HR sets the evaluation form")
    keys = [item.key for item in data.items]
    if len(set(keys)) != len(keys):
        raise InvalidInput.field("body.items", "each item needs its own key")
    await repository.deactivate_forms(session)
    form = EvaluationForm(
        items=[item.model_dump() for item in data.items],
        source=data.source,
        created_by=principal.sub,
    )
    session.add(form)
    await session.flush()
    return form


async def check_period(session: AsyncSession, period: str, assignment, today: date) -> None:
    """ "final" once the assignment is over; a term's id once that term ended within it."""
    if period == "final":
        if assignment.status != "ended" and assignment.ends_on > today:
            raise InvalidInput.field(
                "body.period", f"the assignment runs until {assignment.ends_on}; evaluate it then"
            )
        return
    try:
        term = await session.get(SchoolTerm, uuid.UUID(period))
    except ValueError:
        term = None
    if term is None:
        raise InvalidInput.field("body.period", 'use "final" or the id of a school term')
    if term.ends_on > today:
        raise InvalidInput.field("body.period", f"the term ends on {term.ends_on}")
    if term.starts_on > assignment.ends_on or term.ends_on < assignment.starts_on:
        raise InvalidInput.field("body.period", "the assignment did not run in that term")


async def evaluate(
    session: AsyncSession,
    principal: Principal,
    assignment_id: uuid.UUID,
    data: EvaluationCreate,
    today: date,
) -> Evaluation:
    """The host school fills in the form; the teacher's rating is derived anew."""
    assignment = await visible_assignment(session, principal, assignment_id)
    if not is_school_of(principal, assignment.host_unit_id):
        raise Forbidden("only the host school evaluates a shared teacher")
    await check_period(session, data.period, assignment, today)
    form = await current_form(session)
    keys = [item["key"] for item in form.items]
    for key in keys:
        if key not in data.scores:
            raise InvalidInput.field(f"body.scores.{key}", "score every item of the form (1-5)")
    for key in [*data.scores, *data.comments]:
        if key not in keys:
            raise InvalidInput.field(f"body.scores.{key}", "not an item of the form in use")
    exists = await repository.for_period(session, assignment.id, data.period)
    if exists is not None:
        raise Conflict("this assignment was already evaluated for that period")
    evaluation = Evaluation(
        assignment_id=assignment.id,
        form_id=form.id,
        teacher_id=assignment.teacher_id,
        home_unit_id=assignment.home_unit_id,
        host_unit_id=assignment.host_unit_id,
        period=data.period,
        scores={k: data.scores[k] for k in keys},
        comments={k: v for k, v in data.comments.items() if v},
        mean=round(sum(data.scores[k] for k in keys) / len(keys), 2),
        created_by=principal.sub,
    )
    session.add(evaluation)
    await session.flush()
    teacher = await session.get(Teacher, assignment.teacher_id, with_for_update=True)
    assert teacher is not None
    teacher.rating, teacher.evaluations = derived_rating(
        await repository.of_teacher(session, teacher.id)
    )
    teacher.updated_at = utcnow()
    await events.add(
        session,
        TeacherEvaluated(
            evaluation_id=evaluation.id,
            assignment_id=assignment.id,
            teacher_id=teacher.id,
            home_unit_id=assignment.home_unit_id,
            host_unit_id=assignment.host_unit_id,
            mean=evaluation.mean,
        ),
        subject=str(evaluation.id),
    )
    return evaluation


async def visible_evaluation(
    session: AsyncSession, principal: Principal, evaluation_id: uuid.UUID
) -> Evaluation:
    evaluation = await session.get(Evaluation, evaluation_id)
    if evaluation is None:
        raise NotFound("no such evaluation in your scope")
    if principal.role == "teacher":
        seen = await acting_teacher_id(session, principal) == evaluation.teacher_id
    elif principal.role == "school_admin":
        seen = principal.unit_id in (evaluation.host_unit_id, evaluation.home_unit_id)
    else:
        teacher = await session.get(Teacher, evaluation.teacher_id)
        seen = (
            principal.is_city_wide
            or principal.role == "city_hr"
            or (
                teacher is not None and principal.can_see_unit(teacher.unit_id, teacher.district_id)
            )
        )
    if not seen:
        raise NotFound("no such evaluation in your scope")
    return evaluation


async def respond(
    session: AsyncSession, principal: Principal, evaluation_id: uuid.UUID, data: ResponseCreate
) -> Evaluation:
    """The teacher adds their answer to an evaluation, once."""
    evaluation = await visible_evaluation(session, principal, evaluation_id)
    if await acting_teacher_id(session, principal) != evaluation.teacher_id:
        raise Forbidden("only the evaluated teacher responds")
    if evaluation.response is not None:
        raise Conflict("you have already responded to this evaluation")
    evaluation.response = data.response
    evaluation.responded_at = utcnow()
    return evaluation


def report_workbook(
    rows: list[tuple[Teacher, int, list[uuid.UUID], list[Evaluation]]],
    units: dict[uuid.UUID, Unit],
    form_items: list[dict[str, str]],
    since: date,
    until: date,
) -> bytes:
    """Per teacher for 年度考核: periods taught, schools served, evaluations, in Chinese."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(f"{since:%Y%m%d}-{until:%Y%m%d}")
    items = [(item["key"], item["zh"]) for item in form_items]
    sheet.append(
        [
            "姓名",
            "派出学校",
            "职称",
            "共享授课节数（已确认）",
            "服务学校",
            "评价次数",
            "评价均分",
            *[f"{zh}（平均）" for _, zh in items],
            "评价意见",
            "教师回复",
        ]
    )

    def name(unit_id: uuid.UUID) -> str:
        unit = units.get(unit_id)
        return unit.name if unit else str(unit_id)

    for teacher, periods, hosts, evaluations in rows:
        averages = []
        for key, _ in items:
            scored = [e.scores[key] for e in evaluations if key in e.scores]
            averages.append(round(sum(scored) / len(scored), 2) if scored else "")
        mean = round(sum(e.mean for e in evaluations) / len(evaluations), 2) if evaluations else ""
        served = [e.host_unit_id for e in evaluations]
        sheet.append(
            safe_row(
                sheet,
                [
                    teacher.name,
                    name(teacher.unit_id),
                    teacher.title or "",
                    periods,
                    "、".join(sorted({name(h) for h in [*hosts, *served]})),
                    len(evaluations),
                    mean,
                    *averages,
                    "；".join(c for e in evaluations for c in e.comments.values()),
                    "；".join(e.response for e in evaluations if e.response),
                ],
            )
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def require_report_access(principal: Principal) -> None:
    require_hr(principal, "export the evaluation report")
