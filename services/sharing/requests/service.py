"""Rules of requests: a school asks, its district may approve first, the school may cancel."""

from __future__ import annotations

import time
import uuid
from collections import deque
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from common.auth import Principal
from common.db import utcnow
from common.errors import Forbidden, IllegalTransition, InvalidInput, NotFound, RateLimited
from contracts.sharing import RequestApproved, RequestCancelled, RequestOpened
from services.sharing.access import is_hr_for, is_school_of
from services.sharing.models import DistrictSetting, Offer, ShareRequest, Unit, outbox
from services.sharing.requests import repository
from services.sharing.requests.schemas import (
    DistrictSettingUpdate,
    RequestCancel,
    RequestCreate,
)
from services.sharing.timetable import mask_of, slots_of

MAX_TERM_DAYS = 366


def request_facts(r: ShareRequest) -> dict[str, object]:
    return {
        "request_id": r.id,
        "unit_id": r.unit_id,
        "district_id": r.district_id,
        "subject": r.subject,
        "stage": r.stage,
        "slots": slots_of(r.slot_mask),
        "term_start": r.term_start,
        "term_end": r.term_end,
        "mode": r.mode,
    }


def can_see(principal: Principal, request: ShareRequest) -> bool:
    return principal.role != "teacher" and principal.can_see_unit(
        request.unit_id, request.district_id
    )


async def visible_request(
    session: AsyncSession, principal: Principal, request_id: uuid.UUID, *, lock: bool = False
) -> ShareRequest:
    """The request, or 404 when it does not exist or is not the caller's to see."""
    request = await (repository.lock if lock else repository.get)(session, request_id)
    if request is None or not (
        can_see(principal, request) or await offered_to_caller(session, principal, request_id)
    ):
        raise NotFound("no such request in your scope")
    return request


async def offered_to_caller(
    session: AsyncSession, principal: Principal, request_id: uuid.UUID
) -> bool:
    """A teacher sees a request they were offered, to know what they would accept."""
    if principal.role != "teacher" or principal.teacher_id is None:
        return False
    stmt = select(col(Offer.id)).where(
        col(Offer.request_id) == request_id, col(Offer.teacher_id) == principal.teacher_id
    )
    return (await session.execute(stmt.limit(1))).first() is not None


async def open_request(
    session: AsyncSession, principal: Principal, data: RequestCreate
) -> ShareRequest:
    """A school asks for a shared teacher; it waits for approval where its district wants that."""
    unit_id = data.unit_id or principal.unit_id
    if unit_id is None:
        raise InvalidInput.field("body.unit_id", "name the school that needs the teacher")
    unit = await session.get(Unit, unit_id)
    if unit is None or unit.kind != "school":
        raise InvalidInput.field("body.unit_id", "no such school")
    if not (is_school_of(principal, unit.id) or is_hr_for(principal, unit.id, unit.district_id)):
        raise Forbidden("a school requests shared teachers for itself only")
    if data.term_end < data.term_start:
        raise InvalidInput.field("body.term_end", "the term ends before it starts")
    if data.term_end - data.term_start > timedelta(days=MAX_TERM_DAYS):
        raise InvalidInput.field("body.term_end", f"a term lasts at most {MAX_TERM_DAYS} days")
    if unit.stages and data.stage not in unit.stages:
        raise InvalidInput.coded(
            "body.stage",
            f"{unit.code} does not teach {data.stage}",
            "stage_not_taught",
            unit_code=unit.code,
            stage=data.stage,
        )
    needs_approval = await repository.requires_approval(session, unit.district_id)
    request = ShareRequest(
        unit_id=unit.id,
        district_id=unit.district_id,
        subject=data.subject,
        stage=data.stage,
        slots=[list(s) for s in data.slots],
        slot_mask=mask_of(data.slots),
        periods=len(data.slots),
        term_start=data.term_start,
        term_end=data.term_end,
        mode=data.mode,
        reason=data.reason,
        class_name=data.class_name,
        status="pending_approval" if needs_approval else "open",
        created_by=principal.sub,
    )
    session.add(request)
    await session.flush()
    await outbox.add(
        session,
        RequestOpened(**request_facts(request), needs_approval=needs_approval),
        subject=str(request.id),
    )
    return request


async def approve(
    session: AsyncSession, principal: Principal, request_id: uuid.UUID
) -> ShareRequest:
    """The district approves a request that waits for it; it opens for matching."""
    request = await visible_request(session, principal, request_id, lock=True)
    if not is_hr_for(principal, request.unit_id, request.district_id):
        raise Forbidden("only the district's HR approves requests")
    if request.status != "pending_approval":
        raise IllegalTransition(
            f"the request is {request.status}, not waiting for approval",
            state=request.status,
            state_of="request",
        )
    request.status = "open"
    request.decided_by = principal.sub
    request.updated_at = utcnow()
    await outbox.add(session, RequestApproved(**request_facts(request)), subject=str(request.id))
    return request


async def cancel(
    session: AsyncSession, principal: Principal, request_id: uuid.UUID, data: RequestCancel
) -> ShareRequest:
    """The school or HR withdraws a request not yet filled; its pending offers are withdrawn."""
    request = await visible_request(session, principal, request_id, lock=True)
    if not (
        is_school_of(principal, request.unit_id)
        or is_hr_for(principal, request.unit_id, request.district_id)
    ):
        raise Forbidden("only the school or HR cancels a request")
    if request.status not in ("pending_approval", "open"):
        raise IllegalTransition(
            f"the request is {request.status}; end its assignment instead",
            state=request.status,
            state_of="request",
        )
    request.status = "cancelled"
    request.updated_at = utcnow()
    await repository.withdraw_offers(session, request.id)
    await outbox.add(
        session,
        RequestCancelled(**request_facts(request), reason=data.reason),
        subject=str(request.id),
    )
    return request


async def set_district_setting(
    session: AsyncSession,
    principal: Principal,
    district_id: uuid.UUID,
    data: DistrictSettingUpdate,
) -> DistrictSetting:
    """A district decides whether its schools' requests need its approval."""
    district = await session.get(Unit, district_id)
    if (
        district is None
        or district.kind != "district"
        or not principal.can_see_unit(district.id, None)
    ):
        raise NotFound("no such district in your scope")
    if not is_hr_for(principal, district.id, None):
        raise Forbidden("only the district's HR or city HR sets this")
    setting = await session.get(DistrictSetting, district_id)
    if setting is None:
        setting = DistrictSetting(district_id=district_id, updated_by=principal.sub)
        session.add(setting)
    setting.requires_approval = data.requires_approval
    setting.updated_by = principal.sub
    setting.updated_at = utcnow()
    await session.flush()
    return setting


#: A school's candidate list shows at most this many teachers.
SCHOOL_CANDIDATES = 20


class ListLimiter:
    """Candidate lists per school account per minute, in this process (each replica counts its
    own; the gateway's per-user limit bounds the total)."""

    def __init__(self, most_keys: int = 10_000) -> None:
        self._calls: dict[str, deque[float]] = {}
        self._most = most_keys

    def take(self, who: str, per_minute: int) -> None:
        now = time.monotonic()
        calls = self._calls.setdefault(who, deque())
        while calls and now - calls[0] >= 60:
            calls.popleft()
        if len(calls) >= per_minute:
            seconds = max(1, int(60 - (now - calls[0]) + 0.999))
            raise RateLimited(
                f"too many candidate lists; retry after {seconds} s",
                headers={"Retry-After": str(seconds)},
            )
        calls.append(now)
        if len(self._calls) > self._most:
            self._calls.clear()


school_lists = ListLimiter()
