"""HTTP for the pool, its applications and its loans."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from fastapi import APIRouter
from fastapi import status as http
from sqlmodel import col

from common.clock import local_today
from common.deps import DEFAULT_LIMIT, CurrentPrincipal, Cursor, Limit, SessionDep
from common.errors import NotFound
from common.pagination import Page, paged
from services.staffing.ledger import repository as ledger
from services.staffing.models import DistrictPool, LedgerEntry, Loan, PoolApplication, Unit
from services.staffing.pool import repository, service
from services.staffing.pool.schemas import (
    ApplicationCreate,
    ApplicationPublic,
    DecisionCreate,
    DecisionPublic,
    DepositCreate,
    DepositPublic,
    DistrictPoolPublic,
    DistrictPoolsPublic,
    LoanPublic,
    PoolPublic,
    ReferralCreate,
    RepaymentCreate,
)
from services.staffing.quotas import repository as quotas
from services.staffing.quotas.schemas import LedgerEntryPublic, QuotaType

router = APIRouter(prefix="/v1", tags=["pool"])


def loan_public(loan: Loan, today: date) -> LoanPublic:
    return LoanPublic.model_validate(
        {
            **{name: getattr(loan, name) for name in LoanPublic.model_fields if name != "overdue"},
            "overdue": loan.is_overdue(today),
        }
    )


@router.get("/pools/{quota_type}", response_model=PoolPublic)
async def get_pool(
    quota_type: QuotaType, session: SessionDep, principal: CurrentPrincipal
) -> PoolPublic:
    """The pool's balance, what it has lent, overdue loans and pending applications."""
    pool = await quotas.pool(session, quota_type)
    if pool is None:
        raise NotFound(f"the city does not pool {quota_type} posts")
    lent, overdue, pending = await repository.pool_figures(session, quota_type, local_today())
    return PoolPublic(
        quota_type=quota_type,
        balance=pool.balance,
        lent_outstanding=lent,
        overdue_loans=overdue,
        pending_applications=pending,
    )


@router.put("/pools/{quota_type}", response_model=PoolPublic)
async def open_pool(
    quota_type: QuotaType, session: SessionDep, principal: CurrentPrincipal
) -> PoolPublic:
    """Start pooling a quota type."""
    pool = await service.open_pool(session, principal, quota_type)
    return PoolPublic(
        quota_type=quota_type,
        balance=pool.balance,
        lent_outstanding=0,
        overdue_loans=0,
        pending_applications=0,
    )


@router.post(
    "/pools/{quota_type}/deposits",
    status_code=http.HTTP_201_CREATED,
    response_model=DepositPublic,
)
async def deposit(
    quota_type: QuotaType, body: DepositCreate, session: SessionDep, principal: CurrentPrincipal
) -> DepositPublic:
    """Move a unit's vacant posts into the pool (收储)."""
    quota, pool = await service.deposit(session, principal, quota_type, body)
    return DepositPublic(
        unit_id=quota.unit_id,
        quota_type=quota_type,
        count=body.count,
        pool_balance=pool.balance,
        unit_approved=quota.approved,
    )


@router.get("/pools/{quota_type}/deposits", response_model=Page[LedgerEntryPublic])
async def list_deposits(
    quota_type: QuotaType,
    session: SessionDep,
    principal: CurrentPrincipal,
    unit_id: uuid.UUID | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[LedgerEntryPublic]:
    """Deposits into the pool from units in your scope, oldest first."""
    stmt = ledger.visible(principal, unit_id=unit_id, kind="deposit", quota_type=quota_type)
    stmt = stmt.where(col(LedgerEntry.account) == "approved")
    return await paged(
        session,
        stmt,
        order_by=[col(LedgerEntry.id)],
        cursor=cursor,
        limit=limit,
        shape=LedgerEntryPublic.model_validate,
    )


async def district_pool_public(
    session: SessionDep, pool: DistrictPool, district: Unit
) -> DistrictPoolPublic:
    lent, overdue, pending = await repository.pool_figures(
        session, pool.quota_type, local_today(), pool.district_id
    )
    return DistrictPoolPublic(
        district_id=pool.district_id,
        district_name=district.name,
        quota_type=pool.quota_type,
        balance=pool.balance,
        lent_outstanding=lent,
        overdue_loans=overdue,
        pending_applications=pending,
    )


@router.get("/district-pools", response_model=DistrictPoolsPublic)
async def list_district_pools(
    session: SessionDep,
    principal: CurrentPrincipal,
    district_id: uuid.UUID | None = None,
    quota_type: str | None = None,
) -> DistrictPoolsPublic:
    """The districts' own pools in your scope (city HR sees all; district HR its own)."""
    rows = await repository.visible_district_pools(session, principal, district_id, quota_type)
    return DistrictPoolsPublic(
        data=[await district_pool_public(session, pool, district) for pool, district in rows]
    )


@router.get("/districts/{district_id}/pools/{quota_type}", response_model=DistrictPoolPublic)
async def get_district_pool(
    district_id: uuid.UUID, quota_type: QuotaType, session: SessionDep, principal: CurrentPrincipal
) -> DistrictPoolPublic:
    """A district's own pool: balance, posts lent to its schools, overdue loans, pending asks."""
    district = await service.district_of(session, principal, district_id)
    pool = await quotas.district_pool(session, district.id, quota_type)
    if pool is None:
        raise NotFound(f"the district does not pool {quota_type} posts")
    return await district_pool_public(session, pool, district)


@router.put("/districts/{district_id}/pools/{quota_type}", response_model=DistrictPoolPublic)
async def open_district_pool(
    district_id: uuid.UUID, quota_type: QuotaType, session: SessionDep, principal: CurrentPrincipal
) -> DistrictPoolPublic:
    """Start a district's own pool of a quota type (district HR of that district, or the city)."""
    pool = await service.open_district_pool(session, principal, district_id, quota_type)
    district = await service.district_of(session, principal, district_id)
    return await district_pool_public(session, pool, district)


@router.post(
    "/districts/{district_id}/pools/{quota_type}/deposits",
    status_code=http.HTTP_201_CREATED,
    response_model=DepositPublic,
)
async def deposit_to_district(
    district_id: uuid.UUID,
    quota_type: QuotaType,
    body: DepositCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> DepositPublic:
    """Move a school's vacant posts into its own district's pool (区级收储)."""
    quota, pool = await service.deposit(session, principal, quota_type, body, district_id)
    return DepositPublic(
        unit_id=quota.unit_id,
        quota_type=quota_type,
        count=body.count,
        pool_balance=pool.balance,
        unit_approved=quota.approved,
    )


@router.post(
    "/pool-applications", status_code=http.HTTP_201_CREATED, response_model=ApplicationPublic
)
async def submit_application(
    body: ApplicationCreate, session: SessionDep, principal: CurrentPrincipal
) -> PoolApplication:
    """Apply for posts from the pool for a unit in your scope."""
    return await service.submit_application(session, principal, body, local_today())


@router.get("/pool-applications", response_model=Page[ApplicationPublic])
async def list_applications(
    session: SessionDep,
    principal: CurrentPrincipal,
    status: Literal["pending", "approved", "partially_approved", "rejected"] | None = None,
    unit_id: uuid.UUID | None = None,
    quota_type: str | None = None,
    pool: Literal["city", "district"] | None = None,
    lender_district_id: uuid.UUID | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[ApplicationPublic]:
    """Applications in your scope, oldest first; `pool` or `lender_district_id` for one pool's."""
    stmt = repository.visible_applications(principal)
    if pool == "city":
        stmt = stmt.where(col(PoolApplication.lender_district_id).is_(None))
    elif pool == "district":
        stmt = stmt.where(col(PoolApplication.lender_district_id).is_not(None))
    if lender_district_id:
        stmt = stmt.where(col(PoolApplication.lender_district_id) == lender_district_id)
    if status:
        stmt = stmt.where(col(PoolApplication.status) == status)
    if unit_id:
        stmt = stmt.where(col(PoolApplication.unit_id) == unit_id)
    if quota_type:
        stmt = stmt.where(col(PoolApplication.quota_type) == quota_type)
    return await paged(
        session,
        stmt,
        order_by=[col(PoolApplication.created_at), col(PoolApplication.id)],
        cursor=cursor,
        limit=limit,
        shape=ApplicationPublic.model_validate,
    )


@router.get("/pool-applications/{application_id}", response_model=ApplicationPublic)
async def get_application(
    application_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> PoolApplication:
    """One application, with the unit's forecast attrition over its term."""
    return await service.visible_application(session, principal, application_id)


@router.post(
    "/pool-applications/{application_id}/decision",
    status_code=http.HTTP_201_CREATED,
    response_model=DecisionPublic,
)
async def decide(
    application_id: uuid.UUID,
    body: DecisionCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> DecisionPublic:
    """Approve in full or in part, or reject, with a reason."""
    today = local_today()
    application, loan = await service.decide(session, principal, application_id, body, today)
    return DecisionPublic(
        application=ApplicationPublic.model_validate(application),
        loan=loan_public(loan, today) if loan else None,
    )


@router.post(
    "/pool-applications/{application_id}/referral",
    status_code=http.HTTP_201_CREATED,
    response_model=ApplicationPublic,
)
async def refer(
    application_id: uuid.UUID,
    body: ReferralCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> PoolApplication:
    """Pass a pending application on from the district's pool to the city's."""
    return await service.refer(session, principal, application_id, body)


@router.get("/loans", response_model=Page[LoanPublic])
async def list_loans(
    session: SessionDep,
    principal: CurrentPrincipal,
    unit_id: uuid.UUID | None = None,
    quota_type: str | None = None,
    state: repository.LoanState | None = None,
    pool: Literal["city", "district"] | None = None,
    lender_district_id: uuid.UUID | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[LoanPublic]:
    """Loans in your scope, oldest first; `state=overdue` for those past due, `pool` or
    `lender_district_id` for one pool's."""
    today = local_today()
    stmt = repository.loans(
        principal,
        today,
        unit_id=unit_id,
        quota_type=quota_type,
        state=state,
        pool=pool,
        lender_district_id=lender_district_id,
    )
    return await paged(
        session,
        stmt,
        order_by=[col(Loan.created_at), col(Loan.id)],
        cursor=cursor,
        limit=limit,
        shape=lambda r: loan_public(r, today),
    )


@router.get("/loans/{loan_id}", response_model=LoanPublic)
async def get_loan(
    loan_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> LoanPublic:
    """One loan."""
    return loan_public(await service.visible_loan(session, principal, loan_id), local_today())


@router.post(
    "/loans/{loan_id}/repayments", status_code=http.HTTP_201_CREATED, response_model=LoanPublic
)
async def repay(
    loan_id: uuid.UUID, body: RepaymentCreate, session: SessionDep, principal: CurrentPrincipal
) -> LoanPublic:
    """Repay posts of a loan early from the unit's vacant posts (提前归还)."""
    loan = await service.repay_early(session, principal, loan_id, body)
    return loan_public(loan, local_today())
