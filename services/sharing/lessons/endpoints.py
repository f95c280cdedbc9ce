"""HTTP for lessons: the teacher logs a lesson given, the host school confirms or disputes it."""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter
from sqlmodel import col

from common.clock import local_today
from common.deps import DEFAULT_LIMIT, CurrentPrincipal, Cursor, Limit, SessionDep
from common.pagination import Page, paged
from services.sharing.access import acting_teacher_id
from services.sharing.deps import SchoolDayDep
from services.sharing.lessons import repository, service
from services.sharing.lessons.schemas import (
    CoverCreate,
    LessonConfirm,
    LessonMovePublic,
    LessonPublic,
    LessonsMarked,
    MoveAnswer,
    MoveCreate,
    MoveStatus,
    WeekMark,
)
from services.sharing.models import Lesson, LessonMove

router = APIRouter(prefix="/v1", tags=["lessons"])


@router.get("/lessons", response_model=Page[LessonPublic])
async def list_lessons(
    session: SessionDep,
    principal: CurrentPrincipal,
    assignment_id: uuid.UUID | None = None,
    status: str | None = None,
    since: date | None = None,
    until: date | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[LessonPublic]:
    """Lessons you teach, host or send, by date."""
    stmt = repository.visible(principal, await acting_teacher_id(session, principal))
    if assignment_id is not None:
        stmt = stmt.where(col(Lesson.assignment_id) == assignment_id)
    if status is not None:
        stmt = stmt.where(col(Lesson.status) == status)
    if since is not None:
        stmt = stmt.where(col(Lesson.taught_on) >= since)
    if until is not None:
        stmt = stmt.where(col(Lesson.taught_on) <= until)
    return await paged(
        session,
        stmt,
        order_by=[col(Lesson.taught_on), col(Lesson.period), col(Lesson.id)],
        cursor=cursor,
        limit=limit,
        shape=LessonPublic.model_validate,
    )


@router.post("/lessons/week-given", response_model=LessonsMarked)
async def mark_week_given(
    body: WeekMark, session: SessionDep, principal: CurrentPrincipal
) -> LessonsMarked:
    """The teacher marks a week's lessons given at once (each still recorded on its own)."""
    marked = await service.mark_week_given(session, principal, body.week_of, local_today())
    return LessonsMarked(lesson_ids=[lesson.id for lesson in marked])


@router.post("/lessons/week-confirm", response_model=LessonsMarked)
async def confirm_week(
    body: WeekMark, session: SessionDep, principal: CurrentPrincipal
) -> LessonsMarked:
    """The host school confirms a week's given lessons at once (each recorded on its own)."""
    confirmed = await service.confirm_week(session, principal, body.week_of)
    return LessonsMarked(lesson_ids=[lesson.id for lesson in confirmed])


@router.post("/lessons/{lesson_id}/cover", response_model=LessonPublic)
async def cover_lesson(
    lesson_id: uuid.UUID, body: CoverCreate, session: SessionDep, principal: CurrentPrincipal
) -> LessonPublic:
    """The host school records who covered a missed lesson (代课); the absentee is not paid."""
    return LessonPublic.model_validate(await service.cover(session, principal, lesson_id, body))


@router.post("/lessons/{lesson_id}/given", response_model=LessonPublic)
async def mark_given(
    lesson_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> LessonPublic:
    """The teacher logs that the lesson was given."""
    lesson = await service.mark_given(session, principal, lesson_id, local_today())
    return LessonPublic.model_validate(lesson)


@router.post("/lessons/{lesson_id}/confirm", response_model=LessonPublic)
async def confirm_lesson(
    lesson_id: uuid.UUID, body: LessonConfirm, session: SessionDep, principal: CurrentPrincipal
) -> LessonPublic:
    """The host school confirms the lesson, or disputes it with a reason."""
    return LessonPublic.model_validate(await service.confirm(session, principal, lesson_id, body))


@router.post("/lessons/{lesson_id}/moves", response_model=LessonMovePublic, status_code=201)
async def propose_move(
    lesson_id: uuid.UUID,
    body: MoveCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
    day: SchoolDayDep,
) -> LessonMovePublic:
    """The shared teacher or the host school proposes moving a scheduled lesson to another free
    school day and period (调课); clash and travel checks apply, and again on acceptance."""
    move = await service.propose_move(session, principal, lesson_id, body, day, local_today())
    return LessonMovePublic.model_validate(move)


@router.get("/lesson-moves", response_model=Page[LessonMovePublic])
async def list_moves(
    session: SessionDep,
    principal: CurrentPrincipal,
    status: MoveStatus | None = None,
    lesson_id: uuid.UUID | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[LessonMovePublic]:
    """Proposed and answered lesson moves of lessons you teach, host or send, oldest first."""
    stmt = repository.visible_moves(principal, await acting_teacher_id(session, principal))
    if status is not None:
        stmt = stmt.where(col(LessonMove.status) == status)
    if lesson_id is not None:
        stmt = stmt.where(col(LessonMove.lesson_id) == lesson_id)
    return await paged(
        session,
        stmt,
        order_by=[col(LessonMove.created_at), col(LessonMove.id)],
        cursor=cursor,
        limit=limit,
        shape=LessonMovePublic.model_validate,
    )


@router.post("/lesson-moves/{move_id}/answer", response_model=LessonMovePublic)
async def answer_move(
    move_id: uuid.UUID,
    body: MoveAnswer,
    session: SessionDep,
    principal: CurrentPrincipal,
    day: SchoolDayDep,
) -> LessonMovePublic:
    """The other side accepts (the lesson moves) or declines; the proposer may withdraw
    (`accept: false`)."""
    move = await service.answer_move(session, principal, move_id, body, day, local_today())
    return LessonMovePublic.model_validate(move)
