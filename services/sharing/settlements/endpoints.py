"""HTTP for monthly settlements, their xlsx export, and the rate table."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi import status as http
from sqlmodel import col

from common.clock import local_today
from common.deps import DEFAULT_LIMIT, CurrentPrincipal, Cursor, Limit, SessionDep
from common.pagination import Page, paged
from services.sharing.access import acting_teacher_id, require_hr
from services.sharing.models import Settlement, Teacher, Unit
from services.sharing.settlements import repository, service
from services.sharing.settlements.schemas import (
    AllowanceCreate,
    AllowancePublic,
    Month,
    RateCreate,
    RatePublic,
    SettlementCreate,
    SettlementPublic,
    SettlementRun,
    Unpriced,
)

router = APIRouter(prefix="/v1", tags=["settlements"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.post("/settlements", status_code=http.HTTP_201_CREATED, response_model=SettlementRun)
async def issue_settlements(
    body: SettlementCreate, session: SessionDep, principal: CurrentPrincipal
) -> SettlementRun:
    """Issue a finished month's settlements for the teachers in your scope; periods whose
    title has no rate are listed in `unpriced` and stay unpaid until a rate exists."""
    issued, unpriced = await service.issue(session, principal, body, local_today())
    return SettlementRun(
        data=[SettlementPublic.model_validate(s) for s in issued], unpriced=unpriced
    )


@router.get("/settlements/unpriced", response_model=Page[Unpriced])
async def unpriced_periods(
    month: Month, session: SessionDep, principal: CurrentPrincipal
) -> Page[Unpriced]:
    """Confirmed periods of a finished month that no rate prices, by teacher and title."""
    return Page[Unpriced](data=await service.unpriced(session, principal, month, local_today()))


@router.get("/settlements", response_model=Page[SettlementPublic])
async def list_settlements(
    session: SessionDep,
    principal: CurrentPrincipal,
    month: Month | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[SettlementPublic]:
    """Settlements in your scope (a teacher's own)."""
    stmt = repository.visible(principal, await acting_teacher_id(session, principal))
    if month is not None:
        stmt = stmt.where(col(Settlement.month) == month)
    return await paged(
        session,
        stmt,
        order_by=[col(Settlement.id)],
        cursor=cursor,
        limit=limit,
        shape=SettlementPublic.model_validate,
    )


@router.get("/settlements/export", response_class=Response)
async def export_settlements(
    month: Month, session: SessionDep, principal: CurrentPrincipal
) -> Response:
    """The month's settlements in your scope as an xlsx sheet for payroll."""
    require_hr(principal, "export settlements")
    stmt = (
        repository.visible(principal, None)
        .add_columns(Teacher, Unit)
        .outerjoin(Teacher, col(Teacher.id) == col(Settlement.teacher_id))
        .outerjoin(Unit, col(Unit.id) == col(Settlement.home_unit_id))
        .where(col(Settlement.month) == month)
        .order_by(col(Settlement.home_unit_id), col(Settlement.teacher_id))
    )
    rows = [(s, t, u) for s, t, u in (await session.execute(stmt)).all()]
    return Response(
        service.workbook(rows, month, await repository.district_names(session)),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="settlements-{month}.xlsx"'},
    )


@router.get("/period-rates", response_model=list[RatePublic])
async def list_rates(session: SessionDep, principal: CurrentPrincipal) -> list[RatePublic]:
    """The dated pay per period by title."""
    return [RatePublic.model_validate(r) for r in await repository.rates(session)]


@router.post("/period-rates", status_code=http.HTTP_201_CREATED, response_model=RatePublic)
async def add_rate(
    body: RateCreate, session: SessionDep, principal: CurrentPrincipal
) -> RatePublic:
    """Add a rate in force from a date."""
    return RatePublic.model_validate(await service.add_rate(session, principal, body))


@router.get("/travel-allowances", response_model=list[AllowancePublic])
async def list_allowances(
    session: SessionDep, principal: CurrentPrincipal
) -> list[AllowancePublic]:
    """The dated travel allowance per lesson taught in person, by distance band."""
    return [AllowancePublic.model_validate(r) for r in await repository.allowances(session)]


@router.post(
    "/travel-allowances", status_code=http.HTTP_201_CREATED, response_model=AllowancePublic
)
async def add_allowance(
    body: AllowanceCreate, session: SessionDep, principal: CurrentPrincipal
) -> AllowancePublic:
    """Add a travel allowance band in force from a date (city HR)."""
    return AllowancePublic.model_validate(await service.add_allowance(session, principal, body))
