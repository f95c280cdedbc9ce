"""HTTP for requests: open, read, approve, cancel, rank candidates, offer; district settings."""

from __future__ import annotations

import uuid
from datetime import timedelta

from fastapi import APIRouter, Query
from fastapi import status as http
from sqlmodel import col

from common.clock import local_today
from common.db import utcnow
from common.deps import DEFAULT_LIMIT, CurrentPrincipal, Cursor, Limit, SessionDep
from common.errors import NotFound
from common.pagination import Page, paged
from services.sharing.deps import IndexDep, SchoolDayDep, SettingsDep
from services.sharing.matching import service as matching
from services.sharing.matching.schemas import CandidatePublic, CandidatesPublic
from services.sharing.models import DistrictSetting, Offer, ShareRequest, Unit
from services.sharing.offers import service as offers
from services.sharing.offers.schemas import OfferCreate, OfferPublic
from services.sharing.requests import repository, service
from services.sharing.requests.schemas import (
    DistrictSettingPublic,
    DistrictSettingUpdate,
    RequestCancel,
    RequestCreate,
    RequestPublic,
)
from services.sharing.requests.service import SCHOOL_CANDIDATES, school_lists

router = APIRouter(prefix="/v1", tags=["requests"])


@router.post("/requests", status_code=http.HTTP_201_CREATED, response_model=RequestPublic)
async def open_request(
    body: RequestCreate, session: SessionDep, principal: CurrentPrincipal
) -> RequestPublic:
    """Ask for a shared teacher for your school."""
    return RequestPublic.of(await service.open_request(session, principal, body))


@router.get("/requests", response_model=Page[RequestPublic])
async def list_requests(
    session: SessionDep,
    principal: CurrentPrincipal,
    status: str | None = None,
    unit_id: uuid.UUID | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[RequestPublic]:
    """Requests of the schools in your scope."""
    stmt = repository.visible(principal)
    if status is not None:
        stmt = stmt.where(col(ShareRequest.status) == status)
    if unit_id is not None:
        stmt = stmt.where(col(ShareRequest.unit_id) == unit_id)
    return await paged(
        session,
        stmt,
        order_by=[col(ShareRequest.id)],
        cursor=cursor,
        limit=limit,
        shape=RequestPublic.of,
    )


@router.get("/requests/{request_id}", response_model=RequestPublic)
async def get_request(
    request_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> RequestPublic:
    return RequestPublic.of(await service.visible_request(session, principal, request_id))


@router.post("/requests/{request_id}/approve", response_model=RequestPublic)
async def approve_request(
    request_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> RequestPublic:
    """The district approves a request so that it opens for matching."""
    return RequestPublic.of(await service.approve(session, principal, request_id))


@router.post("/requests/{request_id}/cancel", response_model=RequestPublic)
async def cancel_request(
    request_id: uuid.UUID, body: RequestCancel, session: SessionDep, principal: CurrentPrincipal
) -> RequestPublic:
    """Withdraw a request not yet filled."""
    return RequestPublic.of(await service.cancel(session, principal, request_id, body))


@router.get("/requests/{request_id}/candidates", response_model=CandidatesPublic)
async def rank_candidates(
    request_id: uuid.UUID,
    session: SessionDep,
    principal: CurrentPrincipal,
    index: IndexDep,
    settings: SettingsDep,
    limit: int = Query(default=20, ge=1, le=200),
) -> CandidatesPublic:
    """Eligible teachers for the request, best first, each with the reasons for its score.
    A school gets at most 20, without names or home schools, a few times a minute."""
    request = await service.visible_request(session, principal, request_id)
    school = principal.role == "school_admin"
    if school:
        school_lists.take(principal.sub, settings.school_candidates_per_minute)
        limit = min(limit, SCHOOL_CANDIDATES)
    found = await matching.candidates(session, index, request, local_today(), limit)
    data = [CandidatePublic.model_validate(c, from_attributes=True) for c in found]
    if school:
        data = [c.model_copy(update={"name": None, "home_unit_id": None}) for c in data]
    return CandidatesPublic(request_id=request.id, data=data)


@router.post(
    "/requests/{request_id}/offers", status_code=http.HTTP_201_CREATED, response_model=OfferPublic
)
async def offer_request(
    request_id: uuid.UUID,
    body: OfferCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
    day: SchoolDayDep,
    settings: SettingsDep,
) -> OfferPublic:
    """HR offers the request to a teacher; the home school consents next."""
    offer = await offers.send(
        session,
        principal,
        request_id,
        body,
        day,
        utcnow(),
        timedelta(hours=settings.offer_ttl_hours),
    )
    made = OfferPublic.model_validate(offer)
    await offers.name_hosts(session, [made])
    return made


@router.get("/requests/{request_id}/offers", response_model=Page[OfferPublic])
async def list_request_offers(
    request_id: uuid.UUID,
    session: SessionDep,
    principal: CurrentPrincipal,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[OfferPublic]:
    """Offers made for one of your requests."""
    request = await service.visible_request(session, principal, request_id)
    stmt = offers.of_request(principal, request.id)
    found = await paged(
        session,
        stmt,
        order_by=[col(Offer.id)],
        cursor=cursor,
        limit=limit,
        shape=OfferPublic.model_validate,
    )
    await offers.name_hosts(session, found.data)
    return found


@router.get("/district-settings/{district_id}", response_model=DistrictSettingPublic)
async def get_district_setting(
    district_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> DistrictSettingPublic:
    """Whether the district approves its schools' requests first."""
    district = await session.get(Unit, district_id)
    if district is None or not principal.can_see_unit(district.id, district.district_id):
        raise NotFound("no such district in your scope")
    setting = await session.get(DistrictSetting, district_id)
    return DistrictSettingPublic(
        district_id=district_id, requires_approval=bool(setting and setting.requires_approval)
    )


@router.put("/district-settings/{district_id}", response_model=DistrictSettingPublic)
async def put_district_setting(
    district_id: uuid.UUID,
    body: DistrictSettingUpdate,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> DistrictSettingPublic:
    """Require (or stop requiring) district approval of requests."""
    setting = await service.set_district_setting(session, principal, district_id, body)
    return DistrictSettingPublic(
        district_id=setting.district_id, requires_approval=setting.requires_approval
    )
