"""HTTP for the sharing library (入库): apply, consent, decide, withdraw; membership; honours."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi import status as http
from sqlmodel import col

from common.clock import local_today
from common.deps import DEFAULT_LIMIT, CurrentPrincipal, Cursor, Limit, SessionDep
from common.pagination import Page, paginate
from services.sharing.access import acting_teacher_id
from services.sharing.deps import SchoolDayDep
from services.sharing.library import repository, service
from services.sharing.library.schemas import (
    ApplicationCreate,
    ApplicationPublic,
    AreaPublic,
    HonourCreate,
    MembershipChange,
    Verdict,
)
from services.sharing.models import LibraryApplication
from services.sharing.teachers.endpoints import teacher_public
from services.sharing.teachers.schemas import TeacherPublic

router = APIRouter(prefix="/v1", tags=["library"])


@router.post(
    "/library/applications", status_code=http.HTTP_201_CREATED, response_model=ApplicationPublic
)
async def apply(
    body: ApplicationCreate, session: SessionDep, principal: CurrentPrincipal
) -> ApplicationPublic:
    """A teacher applies to join the sharing library (入库申请)."""
    return ApplicationPublic.model_validate(await service.apply(session, principal, body))


@router.get("/library/applications", response_model=Page[ApplicationPublic])
async def list_applications(
    session: SessionDep,
    principal: CurrentPrincipal,
    status: str | None = None,
    teacher_id: uuid.UUID | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[ApplicationPublic]:
    """Applications in your scope (your own, if you are a teacher), newest first."""
    stmt = repository.visible(principal, await acting_teacher_id(session, principal))
    if status is not None:
        stmt = stmt.where(col(LibraryApplication.status) == status)
    if teacher_id is not None:
        stmt = stmt.where(col(LibraryApplication.teacher_id) == teacher_id)
    rows, next_cursor = await paginate(
        session,
        stmt,
        order_by=[col(LibraryApplication.id)],
        cursor=cursor,
        limit=limit,
    )
    return Page[ApplicationPublic](
        data=[ApplicationPublic.model_validate(a) for a in rows], next_cursor=next_cursor
    )


@router.get("/library/areas", response_model=list[AreaPublic])
async def list_areas(session: SessionDep, principal: CurrentPrincipal) -> list[AreaPublic]:
    """Every district of the city, for the areas of an application: a teacher travels beyond
    the school they alone see, and district names are no secret."""
    return [AreaPublic.model_validate(d) for d in await repository.districts(session)]


@router.get("/library/applications/{application_id}", response_model=ApplicationPublic)
async def get_application(
    application_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> ApplicationPublic:
    application = await service.visible_application(session, principal, application_id)
    return ApplicationPublic.model_validate(application)


@router.post("/library/applications/{application_id}/consent", response_model=ApplicationPublic)
async def consent(
    application_id: uuid.UUID, body: Verdict, session: SessionDep, principal: CurrentPrincipal
) -> ApplicationPublic:
    """The home school consents, or returns the application with a reason."""
    application = await service.consent(session, principal, application_id, body)
    return ApplicationPublic.model_validate(application)


@router.post("/library/applications/{application_id}/decide", response_model=ApplicationPublic)
async def decide(
    application_id: uuid.UUID,
    body: Verdict,
    session: SessionDep,
    principal: CurrentPrincipal,
    day: SchoolDayDep,
) -> ApplicationPublic:
    """District HR approves (the profile is listed) or returns it with a reason."""
    application = await service.decide(session, principal, application_id, body, day, local_today())
    return ApplicationPublic.model_validate(application)


@router.post("/library/applications/{application_id}/withdraw", response_model=ApplicationPublic)
async def withdraw(
    application_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> ApplicationPublic:
    """The teacher takes back an application under review."""
    application = await service.withdraw(session, principal, application_id)
    return ApplicationPublic.model_validate(application)


@router.post("/teachers/{teacher_id}/membership", response_model=TeacherPublic)
async def change_membership(
    teacher_id: uuid.UUID, body: MembershipChange, session: SessionDep, principal: CurrentPrincipal
) -> TeacherPublic:
    """Pause, resume or leave the library; live offers are declined, assignments go on."""
    return teacher_public(await service.change_membership(session, principal, teacher_id, body))


@router.post("/teachers/{teacher_id}/honours", response_model=TeacherPublic)
async def add_honour(
    teacher_id: uuid.UUID, body: HonourCreate, session: SessionDep, principal: CurrentPrincipal
) -> TeacherPublic:
    """HR flags 骨干教师 / 学科带头人 / 名师 with the conferring document."""
    return teacher_public(await service.add_honour(session, principal, teacher_id, body))
