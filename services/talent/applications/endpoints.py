"""HTTP for applications and their pipeline."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, status
from fastapi.responses import Response
from sqlmodel import col

from common.clock import local_today
from common.deps import DEFAULT_LIMIT, CurrentPrincipal, Cursor, Limit, SessionDep
from common.pagination import Page, paged
from contracts.talent import ApplicationStatus
from services.talent.applications import repository, service
from services.talent.applications.schemas import (
    ApplicationCreate,
    ApplicationDetail,
    ApplicationPublic,
    TransitionCreate,
    TransitionPublic,
)
from services.talent.deps import CipherDep
from services.talent.idempotency import IdempotencyDep, Outcome
from services.talent.models import Application

router = APIRouter(prefix="/v1/applications", tags=["applications"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ApplicationPublic,
    responses={409: {"description": "applied already; `existing_id` names the application"}},
)
async def apply(
    body: ApplicationCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
    idempotency: IdempotencyDep,
) -> Response:
    """A candidate applies for a posting."""

    async def create() -> Outcome:
        application = await service.apply(session, principal, body, local_today())
        return Outcome(201, ApplicationPublic.model_validate(application), application.id)

    return await idempotency.run(session, principal, create)


@router.get("", response_model=Page[ApplicationPublic])
async def list_applications(
    session: SessionDep,
    principal: CurrentPrincipal,
    posting_id: uuid.UUID | None = None,
    candidate_id: uuid.UUID | None = None,
    status: ApplicationStatus | None = None,
    updated_after: datetime | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[ApplicationPublic]:
    """Applications you may see, oldest change first."""
    if principal.kind == "partner":
        principal.require_scope("applications:read")
    stmt = repository.visible(principal)
    if posting_id:
        stmt = stmt.where(col(Application.posting_id) == posting_id)
    if candidate_id:
        stmt = stmt.where(col(Application.candidate_id) == candidate_id)
    if status:
        stmt = stmt.where(col(Application.status) == status)
    if updated_after:
        stmt = stmt.where(col(Application.updated_at) > updated_after)
    return await paged(
        session,
        stmt,
        order_by=[col(Application.updated_at), col(Application.id)],
        cursor=cursor,
        limit=limit,
        shape=ApplicationPublic.model_validate,
    )


@router.get("/{application_id}", response_model=ApplicationDetail)
async def get_application(
    application_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> ApplicationDetail:
    """One application and every move it made."""
    application = await service.visible_application(session, principal, application_id)
    moves = await repository.transitions(session, application.id)
    return ApplicationDetail(
        **ApplicationPublic.model_validate(application).model_dump(exclude={"onboarded"}),
        transitions=[TransitionPublic.model_validate(t) for t in moves],
    )


@router.post("/{application_id}/transitions", response_model=ApplicationPublic)
async def move_application(
    application_id: uuid.UUID,
    body: TransitionCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
    cipher: CipherDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Move an application one legal step (422 otherwise); `hired` needs the posting's posts."""

    async def transition() -> Outcome:
        application = await service.move(
            session, principal, cipher, application_id, body, local_today()
        )
        return Outcome(200, ApplicationPublic.model_validate(application), application.id)

    return await idempotency.run(session, principal, transition)
