"""HTTP for the pool, its applications and its loans."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from fastapi import APIRouter
from fastapi import status as http

from common.deps import DEFAULT_LIMIT, CurrentPrincipal, Cursor, Limit, SessionDep
from common.errors import NotFound
from common.pagination import paginate
from services.staffing.calendar import local_today
from services.staffing.ledger import repository as ledger
from services.staffing.models import LedgerEntry, Loan, PoolApplication
from services.staffing.pool import repository, service
from services.staffing.pool.schemas import (
    ApplicationCreate,
    ApplicationPublic,
    ApplicationsPage,
    DecisionCreate,
    DecisionPublic,
    DepositCreate,
    DepositPublic,
    LoanPublic,
    LoansPage,
    PoolPublic,
    RepaymentCreate,
)
from services.staffing.quotas import repository as quotas
from services.staffing.quotas.schemas import LedgerEntryPublic, LedgerPage, QuotaType

router = APIRouter(prefix="/v1", tags=["pool"])


def loan_public(loan: Loan, today: date) -> LoanPublic:
    return LoanPublic.model_validate(
        {
            **{name: getattr(loan, name) for name in LoanPublic.model_fields if name != "overdue"},
            "overdue": loan.outstanding > 0 and loan.due_date < today,
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


@router.get("/pools/{quota_type}/deposits", response_model=LedgerPage)
async def list_deposits(
    quota_type: QuotaType,
    session: SessionDep,
    principal: CurrentPrincipal,
    unit_id: uuid.UUID | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> LedgerPage:
    """Deposits into the pool from units in your scope, oldest first."""
    stmt = ledger.visible(principal, unit_id=unit_id, kind="deposit", quota_type=quota_type)
    stmt = stmt.where(LedgerEntry.account == "approved")
    rows, next_cursor = await paginate(
        session,
        stmt,
        order_by=[LedgerEntry.id],
        cursor=cursor,
        limit=limit,  # type: ignore[list-item]
    )
    return LedgerPage(
        data=[LedgerEntryPublic.model_validate(r) for r in rows], next_cursor=next_cursor
    )


@router.post(
    "/pool-applications", status_code=http.HTTP_201_CREATED, response_model=ApplicationPublic
)
async def submit_application(
    body: ApplicationCreate, session: SessionDep, principal: CurrentPrincipal
) -> PoolApplication:
    """Apply for posts from the pool for a unit in your scope."""
    return await service.submit_application(session, principal, body, local_today())


@router.get("/pool-applications", response_model=ApplicationsPage)
async def list_applications(
    session: SessionDep,
    principal: CurrentPrincipal,
    status: Literal["pending", "approved", "partially_approved", "rejected"] | None = None,
    unit_id: uuid.UUID | None = None,
    quota_type: str | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> ApplicationsPage:
    """Applications in your scope, oldest first."""
    stmt = repository.visible_applications(principal)
    if status:
        stmt = stmt.where(PoolApplication.status == status)
    if unit_id:
        stmt = stmt.where(PoolApplication.unit_id == unit_id)
    if quota_type:
        stmt = stmt.where(PoolApplication.quota_type == quota_type)
    rows, next_cursor = await paginate(
        session,
        stmt,
        order_by=[PoolApplication.created_at, PoolApplication.id],  # type: ignore[list-item]
        cursor=cursor,
        limit=limit,
    )
    return ApplicationsPage(
        data=[ApplicationPublic.model_validate(r) for r in rows], next_cursor=next_cursor
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


@router.get("/loans", response_model=LoansPage)
async def list_loans(
    session: SessionDep,
    principal: CurrentPrincipal,
    unit_id: uuid.UUID | None = None,
    quota_type: str | None = None,
    state: Literal["open", "overdue", "repaid"] | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> LoansPage:
    """Loans in your scope, oldest first; `state=overdue` for those past due."""
    today = local_today()
    stmt = repository.visible_loans(principal)
    if unit_id:
        stmt = stmt.where(Loan.unit_id == unit_id)
    if quota_type:
        stmt = stmt.where(Loan.quota_type == quota_type)
    if state == "open":
        stmt = stmt.where(Loan.outstanding > 0)
    elif state == "overdue":
        stmt = stmt.where(Loan.outstanding > 0, Loan.due_date < today)
    elif state == "repaid":
        stmt = stmt.where(Loan.outstanding == 0)
    rows, next_cursor = await paginate(
        session,
        stmt,
        order_by=[Loan.created_at, Loan.id],  # type: ignore[list-item]
        cursor=cursor,
        limit=limit,
    )
    return LoansPage(data=[loan_public(r, today) for r in rows], next_cursor=next_cursor)


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
