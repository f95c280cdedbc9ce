"""HTTP for offers: the home school's consent, the teacher's answer."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from sqlmodel import col

from common.clock import local_today
from common.db import utcnow
from common.deps import DEFAULT_LIMIT, CurrentPrincipal, Cursor, Limit, SessionDep
from common.pagination import Page, paged
from services.sharing.access import acting_teacher_id
from services.sharing.deps import SchoolDayDep
from services.sharing.models import Offer
from services.sharing.offers import repository, service
from services.sharing.offers.schemas import (
    AcceptedPublic,
    ConsentCreate,
    DeclineCreate,
    OfferPublic,
)

router = APIRouter(prefix="/v1", tags=["offers"])


@router.get("/offers", response_model=Page[OfferPublic])
async def list_offers(
    session: SessionDep,
    principal: CurrentPrincipal,
    status: str | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[OfferPublic]:
    """Offers for your school's requests or your school's teachers; a teacher's own."""
    stmt = repository.visible(principal, await acting_teacher_id(session, principal))
    if status is not None:
        stmt = stmt.where(col(Offer.status) == status)
    found = await paged(
        session,
        stmt,
        order_by=[col(Offer.id)],
        cursor=cursor,
        limit=limit,
        shape=OfferPublic.model_validate,
    )
    await service.name_hosts(session, found.data)
    return found


@router.get("/offers/{offer_id}", response_model=OfferPublic)
async def get_offer(
    offer_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> OfferPublic:
    offer = OfferPublic.model_validate(await service.visible_offer(session, principal, offer_id))
    await service.name_hosts(session, [offer])
    return offer


@router.post("/offers/{offer_id}/consent", response_model=OfferPublic)
async def consent_offer(
    offer_id: uuid.UUID, body: ConsentCreate, session: SessionDep, principal: CurrentPrincipal
) -> OfferPublic:
    """The home school consents (派出学校同意) or refuses."""
    offer = await service.consent(session, principal, offer_id, body, utcnow())
    return OfferPublic.model_validate(offer)


@router.post("/offers/{offer_id}/accept", response_model=AcceptedPublic)
async def accept_offer(
    offer_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal, day: SchoolDayDep
) -> AcceptedPublic:
    """The teacher accepts; 409 naming the clash when the periods are no longer free."""
    offer, assignment = await service.accept(
        session, principal, offer_id, day, utcnow(), local_today()
    )
    return AcceptedPublic(offer=OfferPublic.model_validate(offer), assignment_id=assignment.id)


@router.post("/offers/{offer_id}/decline", response_model=OfferPublic)
async def decline_offer(
    offer_id: uuid.UUID, body: DeclineCreate, session: SessionDep, principal: CurrentPrincipal
) -> OfferPublic:
    """The teacher declines."""
    offer = await service.decline(session, principal, offer_id, body, utcnow())
    return OfferPublic.model_validate(offer)
