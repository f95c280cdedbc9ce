"""Rules of a school's life: opening with a staffing plan, merging into another school, closing.

Each act runs in one transaction, writes a ledger row for every post it moves and a `UnitAct`
under its document number, and announces itself; staff who move are announced one by one as
transfers, so their sharing profiles follow.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import CITY_ROLES, Principal
from common.db import utcnow
from common.errors import AlreadyTaken, Forbidden, IllegalTransition, InvalidInput
from contracts.staffing import SchoolClosed, SchoolOpened, SchoolsMerged, StaffTransferred
from contracts.vocabulary import listed_terms
from services.staffing.errors import PoolExhausted, PostsReserved
from services.staffing.ledger.service import Movement, move, move_pool
from services.staffing.lifecycle import repository
from services.staffing.lifecycle.schemas import ClosureCreate, MergerCreate, OpeningCreate
from services.staffing.models import DistrictPool, Enrolment, Pool, Quota, Unit, UnitAct, outbox
from services.staffing.pool import service as pool
from services.staffing.quotas import repository as quotas
from services.staffing.quotas.schemas import AdjustmentCreate
from services.staffing.quotas.service import adjust
from services.staffing.roster import service as roster
from services.staffing.roster.schemas import TransferCreate
from services.staffing.units import repository as units
from services.staffing.units.service import add_unit, check_location, unit_for_action


def _may_act_for(principal: Principal, district_id: uuid.UUID | None, act: str) -> None:
    """City HR and the commission act for any school; district HR for its own district's only;
    a city-direct school (市直属学校) is city HR's."""
    if principal.role in CITY_ROLES:
        return
    if district_id is None:
        raise Forbidden(f"only city HR may {act} a city-direct school")
    if principal.role != "district_hr" or principal.district_id != district_id:
        raise Forbidden(f"only HR of the school's own district or the city may {act} it")


async def _open_school(session: AsyncSession, principal: Principal, unit_id: uuid.UUID) -> Unit:
    unit = await unit_for_action(session, principal, unit_id)
    if unit.kind != "school":
        raise InvalidInput.field("path.unit_id", "only schools are merged or closed")
    if unit.status != "open":
        raise IllegalTransition(
            f"school {unit.code} is already {unit.status}", state=unit.status, state_of="unit"
        )
    return unit


def _act(
    kind: str,
    unit: Unit,
    principal: Principal,
    why: Movement,
    reason: str,
    on: date,
    details: dict[str, object],
    other: uuid.UUID | None = None,
) -> UnitAct:
    return UnitAct(
        kind=kind,
        unit_id=unit.id,
        other_unit_id=other,
        district_id=unit.district_id,
        document_no=why.document_no or "",
        reason=reason,
        effective_on=on,
        details=details,
        actor=principal.sub,
        correlation_id=why.correlation_id,
    )


async def open_school(
    session: AsyncSession, principal: Principal, data: OpeningCreate, today: date
) -> tuple[UnitAct, Unit]:
    """Register a new school and give it the posts of its staffing plan (新开校)."""
    _may_act_for(principal, data.district_id, "open")
    if data.district_id is not None:
        district = await units.get(session, data.district_id)
        if district is None or district.kind != "district":
            raise InvalidInput.field("body.district_id", "no such district")
    if await units.by_code(session, data.code) is not None:
        raise AlreadyTaken("body.code", f"a unit with code {data.code} exists")
    for n, line in enumerate(data.plan):
        if line.source == "district_pool" and data.district_id is None:
            raise InvalidInput.field(
                f"body.plan.{n}.source", "a city-direct school has no district pool"
            )
        if line.source != "district_pool" and principal.role not in CITY_ROLES:
            raise InvalidInput.field(
                f"body.plan.{n}.source", "district HR grants posts from its own district's pool"
            )
    school = Unit(
        kind="school",
        code=data.code,
        name=data.name,
        district_id=data.district_id,
        stages=list(data.stages),
        lat=data.lat,
        lon=data.lon,
    )
    check_location(school)
    await add_unit(session, school)
    why = Movement.of("opening", principal.sub, document_no=data.document_no, reason=data.reason)
    granted: dict[str, int] = {}
    for line in data.plan:
        if line.source == "adjustment":
            await adjust(
                session,
                principal,
                school.id,
                AdjustmentCreate(
                    quota_type=line.quota_type,
                    delta=line.posts,
                    document_no=data.document_no,
                    reason=data.reason,
                ),
            )
        else:
            district_id = data.district_id if line.source == "district_pool" else None
            await quotas.ensure_quotas(session, [(school.id, line.quota_type)])
            quota = await quotas.lock_quota(session, school.id, line.quota_type)
            lender = await pool.locked_pool(session, line.quota_type, district_id)
            assert quota is not None
            if lender.balance < line.posts:
                raise PoolExhausted(line.quota_type, lender.balance, line.posts, field="body.plan")
            grant = Movement(
                "allocation", why.actor, why.document_no, why.reason, why.correlation_id
            )
            move_pool(session, lender, -line.posts, grant)
            move(session, quota, "approved", line.posts, grant)
        granted[line.quota_type] = line.posts
    on = data.opened_on or today
    act = _act(
        "opened",
        school,
        principal,
        why,
        data.reason,
        on,
        {"plan": [line.model_dump() for line in data.plan]},
    )
    session.add(act)
    await session.flush()
    await outbox.add(
        session,
        SchoolOpened(
            unit_id=school.id,
            district_id=school.district_id,
            name=school.name,
            document_no=data.document_no,
            posts=granted,
        ),
        subject=str(school.id),
    )
    return act, school


async def merge(
    session: AsyncSession,
    principal: Principal,
    unit_id: uuid.UUID,
    data: MergerCreate,
    today: date,
) -> tuple[UnitAct, Unit]:
    """Merge a school into a surviving one (合并) in one step: its approved, occupied and borrowed
    posts, its staff, its open loans, pending applications and enrolment move to the survivor."""
    absorbed = await _open_school(session, principal, unit_id)
    survivor = await _open_school(session, principal, data.into_unit_id)
    if survivor.id == absorbed.id:
        raise InvalidInput.field("body.into_unit_id", "a school is not merged into itself")
    _may_act_for(principal, absorbed.district_id, "merge")
    _may_act_for(principal, survivor.district_id, "merge into")
    if absorbed.district_id != survivor.district_id and principal.role not in CITY_ROLES:
        raise Forbidden("only city HR merges schools of different districts")
    types = await repository.quota_types(session, [absorbed.id])
    await quotas.ensure_quotas(session, [(survivor.id, t) for t in types])
    locked = await quotas.lock_quotas(
        session, [(u, t) for u in (absorbed.id, survivor.id) for t in types]
    )
    why = Movement.of("merger", principal.sub, document_no=data.document_no, reason=data.reason)
    moved_posts: dict[str, int] = {}
    for quota_type in types:
        here, there = locked[(absorbed.id, quota_type)], locked[(survivor.id, quota_type)]
        if here.reserved:
            raise PostsReserved(
                f"school {absorbed.code} holds {here.reserved} {quota_type} posts for open "
                "postings: close or move them first",
                quota_type=quota_type,
                reserved=here.reserved,
            )
        moved_posts[quota_type] = here.approved
        _move_all(session, here, there, why)
    staff = await repository.lock_active_staff(session, absorbed.id)
    loans = await repository.lock_open_loans(session, absorbed.id)
    on = data.merged_on or today
    for loan in loans:
        loan.unit_id = survivor.id
    for application in await repository.pending_applications(session, absorbed.id):
        application.unit_id = survivor.id
    await _merge_enrolment(session, absorbed, survivor)
    survivor.stages = sorted(set(survivor.stages) | set(absorbed.stages))
    survivor.updated_at = utcnow()
    absorbed.status = "merged"
    absorbed.merged_into_id = survivor.id
    absorbed.closed_on = on
    absorbed.updated_at = utcnow()
    for person in staff:
        person.unit_id = survivor.id
    moved_posts = {t: p for t, p in moved_posts.items() if p}
    act = _act(
        "merged",
        absorbed,
        principal,
        why,
        data.reason,
        on,
        {
            "posts": moved_posts,
            "staff": [str(p.id) for p in staff],
            "loans": [str(x.id) for x in loans],
        },
        other=survivor.id,
    )
    session.add(act)
    await session.flush()
    for person in staff:
        await outbox.add(
            session,
            StaffTransferred(
                staff_id=person.id,
                unit_id=survivor.id,
                district_id=survivor.district_id,
                quota_type=person.quota_type,
                name=person.name,
                **listed_terms(subject=person.subject, stage=person.stage, title=person.title),
                from_unit_id=absorbed.id,
                transferred_on=on,
            ),
            subject=str(person.id),
        )
    await outbox.add(
        session,
        SchoolsMerged(
            unit_id=absorbed.id,
            into_unit_id=survivor.id,
            district_id=absorbed.district_id,
            document_no=data.document_no,
            staff_moved=len(staff),
            posts_moved=moved_posts,
        ),
        subject=str(absorbed.id),
    )
    return act, absorbed


def _move_all(session: AsyncSession, here: Quota, there: Quota, why: Movement) -> None:
    """Every counter of `here` onto `there`; both rows change in one update each, so neither
    passes through a state with more staff than posts."""
    for account in ("approved", "occupied", "borrowed"):
        amount = getattr(here, account)
        if amount:
            move(session, here, account, -amount, why)
            move(session, there, account, amount, why)


async def _merge_enrolment(session: AsyncSession, absorbed: Unit, survivor: Unit) -> None:
    for row in await units.enrolment(session, absorbed.id):
        found = await units.enrolment_row(session, survivor.id, row.school_year, row.stage)
        if found is None:
            session.add(
                Enrolment(
                    unit_id=survivor.id,
                    school_year=row.school_year,
                    stage=row.stage,
                    pupils=row.pupils,
                    forecast=row.forecast,
                )
            )
        else:
            found.pupils += row.pupils
        await session.delete(row)


async def close(
    session: AsyncSession,
    principal: Principal,
    unit_id: uuid.UUID,
    data: ClosureCreate,
    today: date,
) -> tuple[UnitAct, Unit]:
    """Close a school (撤销): move every active person by the list, repay its open loans from the
    posts they leave, and return the remaining posts to its district's pool (or the city's)."""
    school = await _open_school(session, principal, unit_id)
    _may_act_for(principal, school.district_id, "close")
    on = data.closed_on or today
    listed = {move_.staff_id for move_ in data.transfers}
    if len(listed) != len(data.transfers):
        raise InvalidInput.field("body.transfers", "each person appears once")
    active = set(await repository.active_staff_ids(session, school.id))
    missing = active - listed
    if missing:
        raise InvalidInput.field(
            "body.transfers",
            f"{len(missing)} people of {school.code} are not on the transfer list",
        )
    for n, move_ in enumerate(data.transfers):
        if move_.staff_id not in active:
            raise InvalidInput.field(
                f"body.transfers.{n}.staff_id", f"not on the roster of {school.code}"
            )
        if move_.to_unit_id == school.id:
            raise InvalidInput.field(f"body.transfers.{n}.to_unit_id", "the school is closing")
    for move_ in data.transfers:
        await roster.transfer(
            session,
            principal,
            move_.staff_id,
            TransferCreate(
                to_unit_id=move_.to_unit_id, transferred_on=on, document_no=data.document_no
            ),
            today,
        )
    why = Movement.of("closure", principal.sub, document_no=data.document_no, reason=data.reason)
    types = await repository.quota_types(session, [school.id])
    locked = await quotas.lock_quotas(session, [(school.id, t) for t in types])
    loans = await repository.lock_open_loans(session, school.id)
    returned: dict[str, int] = {}
    to_district = False
    for quota_type in types:
        quota = locked[(school.id, quota_type)]
        if quota.reserved:
            raise PostsReserved(
                f"school {school.code} holds {quota.reserved} {quota_type} posts for open "
                "postings: close them first",
                quota_type=quota_type,
                reserved=quota.reserved,
            )
        for loan in (x for x in loans if x.quota_type == quota_type):
            lender = await pool.locked_pool(session, quota_type, loan.lender_district_id)
            pool.repay(session, quota, lender, loan, loan.outstanding, why)
        if not quota.approved:
            continue
        left = quota.approved
        target: Pool | DistrictPool | None = None
        if school.district_id is not None:
            target = await quotas.lock_district_pool(session, school.district_id, quota_type)
            to_district = to_district or target is not None
        if target is None:
            target = await quotas.lock_pool(session, quota_type)
        if target is not None:
            move(session, quota, "approved", -left, why)
            move_pool(session, target, left, why)
        else:
            # Nobody pools this type: the posts are cut (核减) under the closure's document.
            cut = Movement("adjustment", why.actor, why.document_no, why.reason, why.correlation_id)
            move(session, quota, "approved", -left, cut)
        returned[quota_type] = left
    school.status = "closed"
    school.closed_on = on
    school.updated_at = utcnow()
    act = _act(
        "closed",
        school,
        principal,
        why,
        data.reason,
        on,
        {
            "transfers": [m.model_dump(mode="json") for m in data.transfers],
            "posts_returned": returned,
            "returned_to_district_pool": to_district,
        },
    )
    session.add(act)
    await session.flush()
    await outbox.add(
        session,
        SchoolClosed(
            unit_id=school.id,
            district_id=school.district_id,
            document_no=data.document_no,
            staff_transferred=len(data.transfers),
            posts_returned=returned,
            returned_to_district_pool=to_district,
        ),
        subject=str(school.id),
    )
    return act, school
