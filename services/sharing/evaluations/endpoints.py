"""HTTP for evaluations (考核评价): the form, evaluating, responding, and HR's term report."""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter, Response
from fastapi import status as http
from sqlmodel import col

from common.clock import local_today
from common.deps import DEFAULT_LIMIT, CurrentPrincipal, Cursor, Limit, SessionDep
from common.errors import InvalidInput
from common.pagination import paginate
from services.sharing.access import acting_teacher_id
from services.sharing.evaluations import repository, service
from services.sharing.evaluations.schemas import (
    EvaluationCreate,
    EvaluationPublic,
    EvaluationsPage,
    FormCreate,
    FormPublic,
    ResponseCreate,
)
from services.sharing.models import Evaluation, Unit
from services.sharing.offers.repository import unit_names

router = APIRouter(prefix="/v1", tags=["evaluations"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/evaluation-form", response_model=FormPublic)
async def get_form(session: SessionDep, principal: CurrentPrincipal) -> FormPublic:
    """The form in use: its items, each scored 1-5 with a comment."""
    return FormPublic.model_validate(await service.current_form(session))


@router.post("/evaluation-form", status_code=http.HTTP_201_CREATED, response_model=FormPublic)
async def replace_form(
    body: FormCreate, session: SessionDep, principal: CurrentPrincipal
) -> FormPublic:
    """City HR puts a new version of the form in use."""
    return FormPublic.model_validate(await service.replace_form(session, principal, body))


@router.post(
    "/assignments/{assignment_id}/evaluations",
    status_code=http.HTTP_201_CREATED,
    response_model=EvaluationPublic,
)
async def evaluate(
    assignment_id: uuid.UUID,
    body: EvaluationCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> EvaluationPublic:
    """The host school evaluates its shared teacher for a finished term or the assignment."""
    evaluation = await service.evaluate(session, principal, assignment_id, body, local_today())
    return EvaluationPublic.model_validate(evaluation)


@router.get("/evaluations", response_model=EvaluationsPage)
async def list_evaluations(
    session: SessionDep,
    principal: CurrentPrincipal,
    teacher_id: uuid.UUID | None = None,
    assignment_id: uuid.UUID | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> EvaluationsPage:
    """Evaluations you made, of your teachers, of yourself, or in your HR scope."""
    stmt = repository.visible(principal, await acting_teacher_id(session, principal))
    if teacher_id is not None:
        stmt = stmt.where(col(Evaluation.teacher_id) == teacher_id)
    if assignment_id is not None:
        stmt = stmt.where(col(Evaluation.assignment_id) == assignment_id)
    rows, next_cursor = await paginate(
        session,
        stmt,
        order_by=[col(Evaluation.id)],
        cursor=cursor,
        limit=limit,
    )
    names = await unit_names(session, {e.host_unit_id for e in rows})
    return EvaluationsPage(
        data=[
            EvaluationPublic.model_validate(e).model_copy(
                update={"host_unit_name": names.get(e.host_unit_id)}
            )
            for e in rows
        ],
        next_cursor=next_cursor,
    )


@router.post("/evaluations/{evaluation_id}/response", response_model=EvaluationPublic)
async def respond(
    evaluation_id: uuid.UUID, body: ResponseCreate, session: SessionDep, principal: CurrentPrincipal
) -> EvaluationPublic:
    """The teacher answers an evaluation of them."""
    evaluation = await service.respond(session, principal, evaluation_id, body)
    return EvaluationPublic.model_validate(evaluation)


@router.get("/evaluations/report", response_class=Response)
async def term_report(
    since: date, until: date, session: SessionDep, principal: CurrentPrincipal
) -> Response:
    """Per teacher in your scope over a term: periods taught, schools served, evaluations (xlsx,
    Chinese headers, for 年度考核)."""
    service.require_report_access(principal)
    if until < since:
        raise InvalidInput.field("query.until", "the span ends before it starts")
    rows = await repository.report_rows(session, principal, since, until)
    unit_ids = (
        {t.unit_id for t, *_ in rows}
        | {h for _, _, hosts, _ in rows for h in hosts}
        | {e.host_unit_id for *_, evaluations in rows for e in evaluations}
    )
    units = {u.id: u for u in [await session.get(Unit, i) for i in unit_ids] if u is not None}
    form = await service.current_form(session)
    content = service.report_workbook(rows, units, form.items, since, until)
    return Response(
        content,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="evaluations-{since}-{until}.xlsx"'},
    )
