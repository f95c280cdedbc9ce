"""Rules of the turnover pool (编制周转池): deposits, applications, decisions, loans, repayments."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import CITY_ROLES, Principal
from common.db import utcnow
from common.errors import Forbidden, IllegalTransition, InvalidInput, NotFound
from contracts.staffing import (
    ApplicationDecided,
    ApplicationReferred,
    ApplicationSubmitted,
    LoanDueApproached,
    LoanGranted,
    LoanOverdue,
    LoanRepaid,
    PoolDeposited,
)
from services.staffing.errors import OverRepayment, PoolExhausted, PoolNotOpen
from services.staffing.ledger.service import Movement, move, move_pool
from services.staffing.models import (
    DistrictPool,
    Loan,
    Pool,
    PoolApplication,
    Quota,
    Staff,
    Unit,
    outbox,
)
from services.staffing.pool import repository
from services.staffing.pool.schemas import (
    ApplicationCreate,
    DecisionCreate,
    DepositCreate,
    ReferralCreate,
    RepaymentCreate,
)
from services.staffing.quotas import repository as quotas
from services.staffing.quotas.service import no_vacancy
from services.staffing.retirement import service as retirement
from services.staffing.units.repository import get as get_unit
from services.staffing.units.service import (
    ensure_visible,
    require_manager,
    unit_for_action,
)

AnyPool = Pool | DistrictPool


def add_years(day: date, years: int) -> date:
    """The same calendar day `years` later (28 February for a 29 February that does not exist)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


async def locked_pool(
    session: AsyncSession, quota_type: str, district_id: uuid.UUID | None = None
) -> AnyPool:
    """The city's pool of a quota type, or a district's with `district_id`, locked."""
    if district_id is not None:
        found = await quotas.lock_district_pool(session, district_id, quota_type)
        if found is None:
            raise NotFound(f"the district does not pool {quota_type} posts")
        return found
    pool = await quotas.lock_pool(session, quota_type)
    if pool is None:
        raise NotFound(f"the city does not pool {quota_type} posts")
    return pool


def require_pool_manager(principal: Principal, district_id: uuid.UUID | None, action: str) -> None:
    """City HR and the commission run every pool; a district's HR runs its own district's."""
    if principal.role in CITY_ROLES:
        return
    if district_id is not None and principal.role == "district_hr":
        if principal.district_id == district_id:
            return
        raise Forbidden(f"district HR may {action} of its own district's pool only")
    raise Forbidden(f"only city HR or the staffing commission may {action} of the city's pool")


async def district_of(session: AsyncSession, principal: Principal, district_id: uuid.UUID) -> Unit:
    """A district in the caller's scope, or 404."""
    district = ensure_visible(principal, await get_unit(session, district_id))
    if district.kind != "district":
        raise NotFound("no such district in your scope")
    return district


async def open_district_pool(
    session: AsyncSession, principal: Principal, district_id: uuid.UUID, quota_type: str
) -> DistrictPool:
    """Start a district's own pool of a quota type; opening an open pool changes nothing."""
    district = await district_of(session, principal, district_id)
    require_pool_manager(principal, district.id, "open the pools")
    pool = await quotas.district_pool(session, district.id, quota_type)
    if pool is None:
        pool = DistrictPool(district_id=district.id, quota_type=quota_type, balance=0)
        session.add(pool)
        await session.flush()
    return pool


async def open_pool(session: AsyncSession, principal: Principal, quota_type: str) -> Pool:
    """Start pooling a quota type; opening an open pool changes nothing."""
    require_manager(principal, "open a pool")
    pool = await quotas.pool(session, quota_type)
    if pool is None:
        pool = Pool(quota_type=quota_type, balance=0)
        session.add(pool)
        await session.flush()
    return pool


async def deposit(
    session: AsyncSession,
    principal: Principal,
    quota_type: str,
    data: DepositCreate,
    district_id: uuid.UUID | None = None,
) -> tuple[Quota, AnyPool]:
    """Move idle posts from a unit into the city's pool, or from a school into its own
    district's pool (收储)."""
    if district_id is not None:
        district_id = (await district_of(session, principal, district_id)).id
    require_pool_manager(principal, district_id, "deposit posts")
    unit = await unit_for_action(session, principal, data.unit_id)
    if district_id is not None and unit.district_id != district_id:
        raise InvalidInput.field(
            "body.unit_id", "a district's pool takes posts from its own schools only"
        )
    quota = await quotas.lock_quota(session, unit.id, quota_type)
    pool = await locked_pool(session, quota_type, district_id)
    if quota is None or quota.vacant < data.count:
        raise no_vacancy(quota, unit.code, quota_type, data.count)
    why = Movement.of("deposit", principal.sub, document_no=data.document_no, reason=data.reason)
    move(session, quota, "approved", -data.count, why)
    move_pool(session, pool, data.count, why)
    await session.flush()
    await outbox.add(
        session,
        PoolDeposited(
            unit_id=unit.id,
            quota_type=quota_type,
            count=data.count,
            pool_balance=pool.balance,
            document_no=data.document_no,
            pool_district_id=district_id,
        ),
        subject=str(unit.id),
    )
    return quota, pool


async def forecast_attrition(
    session: AsyncSession, unit_id: uuid.UUID, quota_type: str, years: int, today: date
) -> int:
    """Staff of the unit who reach retirement age within `years` (自然减员), by the dated rules."""
    return await retirement.forecast_attrition(
        session, unit_id, quota_type, add_years(today, years)
    )


async def submit_application(
    session: AsyncSession, principal: Principal, data: ApplicationCreate, today: date
) -> PoolApplication:
    """A unit applies for posts from the pool, with the forecast attrition over the term."""
    unit = await unit_for_action(session, principal, data.unit_id)
    lender = await _lender(session, unit, data.quota_type, data.pool)
    application = PoolApplication(
        unit_id=unit.id,
        quota_type=data.quota_type,
        lender_district_id=lender,
        requested=data.requested,
        reason_kind=data.reason_kind,
        reason=data.reason,
        term_years=data.term_years,
        forecast_attrition=await forecast_attrition(
            session, unit.id, data.quota_type, data.term_years, today
        ),
        status="pending",
        submitted_by=principal.sub,
    )
    session.add(application)
    await session.flush()
    await outbox.add(
        session,
        ApplicationSubmitted(
            application_id=application.id,
            unit_id=unit.id,
            quota_type=application.quota_type,
            requested=application.requested,
            reason_kind=application.reason_kind,
            term_years=application.term_years,
            forecast_attrition=application.forecast_attrition,
            pool_district_id=lender,
        ),
        subject=str(application.id),
    )
    return application


async def _lender(
    session: AsyncSession, unit: Unit, quota_type: str, asked: str | None
) -> uuid.UUID | None:
    """Which pool an application goes to: the unit's district's when it pools the type (a district
    lends within its schools first), else the city's; or the one asked for."""
    district_pools = (
        unit.district_id is not None
        and await quotas.district_pool(session, unit.district_id, quota_type) is not None
    )
    city_pools = await quotas.pool(session, quota_type) is not None
    if asked == "district" or (asked is None and district_pools):
        if not district_pools:
            raise InvalidInput.field("body.pool", f"the unit's district does not pool {quota_type}")
        return unit.district_id
    if not city_pools:
        raise InvalidInput.field("body.quota_type", f"the city does not pool {quota_type}")
    return None


async def refer(
    session: AsyncSession, principal: Principal, application_id: uuid.UUID, data: ReferralCreate
) -> PoolApplication:
    """A district short of posts passes a pending application on to the city's pool."""
    found = await visible_application(session, principal, application_id)
    require_pool_manager(principal, found.lender_district_id, "refer applications")
    application = await repository.lock_application(session, application_id)
    assert application is not None
    if application.status != "pending":
        raise IllegalTransition(
            f"the application was already decided: {application.status}",
            state=application.status,
            state_of="pool_application",
        )
    if application.lender_district_id is None:
        raise IllegalTransition("the application is already before the city's pool")
    if await quotas.pool(session, application.quota_type) is None:
        raise PoolNotOpen(application.quota_type)
    district_id = application.lender_district_id
    application.lender_district_id = None
    application.referred_by = principal.sub
    await session.flush()
    await outbox.add(
        session,
        ApplicationReferred(
            application_id=application.id,
            unit_id=application.unit_id,
            quota_type=application.quota_type,
            requested=application.requested,
            from_district_id=district_id,
            reason=data.reason,
        ),
        subject=str(application.id),
    )
    return application


async def visible_application(
    session: AsyncSession, principal: Principal, application_id: uuid.UUID
) -> PoolApplication:
    application = await repository.get_application(session, application_id)
    unit = await get_unit(session, application.unit_id) if application else None
    ensure_visible(principal, unit)
    assert application is not None
    return application


async def decide(
    session: AsyncSession,
    principal: Principal,
    application_id: uuid.UUID,
    data: DecisionCreate,
    today: date,
) -> tuple[PoolApplication, Loan | None]:
    """Approve in full or in part, lending posts from the pool asked, or reject; with a reason."""
    found = await visible_application(session, principal, application_id)
    require_pool_manager(principal, found.lender_district_id, "decide applications")
    application = await repository.lock_application(session, application_id)
    assert application is not None
    if application.status != "pending":
        raise IllegalTransition(
            f"the application was already decided: {application.status}",
            state=application.status,
            state_of="pool_application",
        )
    granted = 0 if data.outcome == "reject" else data.granted or application.requested
    if granted > application.requested:
        raise InvalidInput.field(
            "body.granted", f"grants at most the {application.requested} posts requested"
        )
    loan = None
    if granted:
        due = data.due_date or add_years(today, application.term_years)
        if due <= today:
            raise InvalidInput.field("body.due_date", "the due date must lie in the future")
        await quotas.ensure_quotas(session, [(application.unit_id, application.quota_type)])
        quota = await quotas.lock_quota(session, application.unit_id, application.quota_type)
        pool = await locked_pool(session, application.quota_type, application.lender_district_id)
        assert quota is not None
        if pool.balance < granted:
            raise PoolExhausted(pool.quota_type, pool.balance, granted)
        loan = Loan(
            application_id=application.id,
            unit_id=application.unit_id,
            quota_type=application.quota_type,
            lender_district_id=application.lender_district_id,
            granted=granted,
            outstanding=granted,
            due_date=due,
            document_no=data.document_no,
        )
        why = Movement.of("loan", principal.sub, document_no=data.document_no, reason=data.reason)
        move_pool(session, pool, -granted, why)
        move(session, quota, "approved", granted, why)
        move(session, quota, "borrowed", granted, why)
        session.add(loan)
    application.status = (
        "rejected"
        if not granted
        else "approved"
        if granted == application.requested
        else "partially_approved"
    )
    application.granted = granted
    application.decision_reason = data.reason
    application.decided_by = principal.sub
    application.decided_at = utcnow()
    await session.flush()
    await outbox.add(
        session,
        ApplicationDecided(
            application_id=application.id,
            unit_id=application.unit_id,
            quota_type=application.quota_type,
            outcome=application.status,
            requested=application.requested,
            granted=granted,
            reason=data.reason,
        ),
        subject=str(application.id),
    )
    if loan is not None:
        await outbox.add(
            session,
            LoanGranted(
                loan_id=loan.id,
                application_id=application.id,
                unit_id=loan.unit_id,
                quota_type=loan.quota_type,
                count=granted,
                due_date=loan.due_date,
                pool_district_id=loan.lender_district_id,
            ),
            subject=str(loan.id),
        )
    return application, loan


async def visible_loan(session: AsyncSession, principal: Principal, loan_id: uuid.UUID) -> Loan:
    loan = await repository.get_loan(session, loan_id)
    unit = await get_unit(session, loan.unit_id) if loan else None
    ensure_visible(principal, unit)
    assert loan is not None
    return loan


async def repay_early(
    session: AsyncSession, principal: Principal, loan_id: uuid.UUID, data: RepaymentCreate
) -> Loan:
    """Give borrowed posts back before they fall due, from the unit's vacant posts."""
    found = await visible_loan(session, principal, loan_id)
    unit = await unit_for_action(session, principal, found.unit_id)
    quota = await quotas.lock_quota(session, found.unit_id, found.quota_type)
    loan = await repository.lock_loan(session, loan_id)
    pool = await locked_pool(session, found.quota_type, found.lender_district_id)
    assert loan is not None and quota is not None
    if data.count > loan.outstanding:
        raise OverRepayment(loan.outstanding, data.count)
    if quota.vacant < data.count:
        raise no_vacancy(quota, unit.code, loan.quota_type, data.count)
    why = Movement.of("repayment", principal.sub, document_no=data.document_no, reason=data.reason)
    repay(session, quota, pool, loan, data.count, why)
    await session.flush()
    await outbox.add(
        session,
        LoanRepaid(
            loan_id=loan.id,
            unit_id=loan.unit_id,
            quota_type=loan.quota_type,
            count=data.count,
            outstanding=loan.outstanding,
            how="early",
            pool_district_id=loan.lender_district_id,
        ),
        subject=str(loan.id),
    )
    return loan


async def repay_from_departure(
    session: AsyncSession, quota: Quota, staff: Staff, why: Movement
) -> Loan | None:
    """The post a leaver frees goes back to the pool first while the unit owes it (有借有还).

    The caller holds the lock on `quota` and has already taken the leaver off it.
    """
    if quota.borrowed <= 0:
        return None
    loan = await repository.lock_earliest_open_loan(session, quota.unit_id, quota.quota_type)
    if loan is None:
        return None
    pool = await locked_pool(session, quota.quota_type, loan.lender_district_id)
    repay(session, quota, pool, loan, 1, why)
    await outbox.add(
        session,
        LoanRepaid(
            loan_id=loan.id,
            unit_id=loan.unit_id,
            quota_type=loan.quota_type,
            count=1,
            outstanding=loan.outstanding,
            how="departure",
            pool_district_id=loan.lender_district_id,
            staff_id=staff.id,
        ),
        subject=str(loan.id),
    )
    return loan


def repay(
    session: AsyncSession, quota: Quota, pool: AnyPool, loan: Loan, count: int, why: Movement
) -> None:
    """Give `count` posts of a loan back to the pool that lent them (all three rows locked)."""
    repayment = Movement("repayment", why.actor, why.document_no, why.reason, why.correlation_id)
    move(session, quota, "approved", -count, repayment)
    move(session, quota, "borrowed", -count, repayment)
    move_pool(session, pool, count, repayment)
    loan.outstanding -= count
    if loan.outstanding == 0:
        loan.repaid_at = utcnow()


async def announce_overdue(session: AsyncSession, today: date) -> int:
    """Flag loans past their due date with posts outstanding, once each, and announce them."""
    loans = await repository.lock_unannounced_overdue(session, today)
    for loan in loans:
        loan.overdue_announced_at = utcnow()
        await outbox.add(
            session,
            LoanOverdue(
                loan_id=loan.id,
                unit_id=loan.unit_id,
                quota_type=loan.quota_type,
                outstanding=loan.outstanding,
                due_date=loan.due_date,
            ),
            subject=str(loan.id),
        )
    await session.flush()
    return len(loans)


async def announce_falling_due(session: AsyncSession, today: date, within_days: int) -> int:
    """Announce loans with posts outstanding due within `within_days`, once each (将到期)."""
    rows = await repository.lock_unannounced_falling_due(
        session, today, today + timedelta(days=within_days)
    )
    for loan, district_id in rows:
        loan.falling_due_announced_at = utcnow()
        await outbox.add(
            session,
            LoanDueApproached(
                loan_id=loan.id,
                unit_id=loan.unit_id,
                district_id=district_id,
                quota_type=loan.quota_type,
                outstanding=loan.outstanding,
                due_date=loan.due_date,
            ),
            subject=str(loan.id),
        )
    await session.flush()
    return len(rows)
