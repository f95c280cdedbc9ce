"""Rules of the real-name roster (实名制): a hire takes a post, a departure frees or repays one."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from common.auth import Principal
from common.db import column_values, prefixed
from common.errors import InvalidInput
from contracts.staffing import DatedTitle, StaffHired, StaffLeft, StaffTransferred, StaffUpdated
from contracts.vocabulary import check_subject_in_stage, listed_terms
from services.staffing.errors import NotOnRoster
from services.staffing.ledger.service import Movement, entry_fields, move, record
from services.staffing.models import Quota, Staff, StaffColumns, StaffTitle, Unit, outbox
from services.staffing.pool.service import repay_from_departure
from services.staffing.quotas import repository as quotas
from services.staffing.quotas.service import no_vacancy
from services.staffing.roster import repository
from services.staffing.roster.schemas import (
    DepartureCreate,
    StaffCreate,
    StaffUpdate,
    TitleCreate,
    TransferCreate,
)
from services.staffing.units.repository import UnitIdentity
from services.staffing.units.repository import get as get_unit
from services.staffing.units.service import ensure_visible, identity_for_action, unit_for_action


async def hire(
    session: AsyncSession, principal: Principal, data: StaffCreate, today: date
) -> StaffColumns:
    """Put a person into a vacant post; never beyond the unit's approved posts (不得超编进人)."""
    unit = await identity_for_action(session, principal, data.unit_id)
    person = StaffColumns(
        unit_id=unit.id,
        quota_type=data.quota_type,
        name=data.name,
        sex=data.sex,
        birth_date=data.birth_date,
        hire_date=data.hire_date or today,
        subject=data.subject,
        stage=data.stage,
        title=data.title,
        post_category=data.post_category,
        status="active",
    )
    return await hire_into_vacancy(session, unit, person, Movement.of("hire", principal.sub))


async def hire_into_vacancy(
    session: AsyncSession, unit: Unit | UnitIdentity, person: StaffColumns, why: Movement
) -> StaffColumns:
    """Put a person into one of the unit's vacant posts, or refuse with the unit's figures.

    On PostgreSQL the person is written as given, by one statement; elsewhere the ORM writes
    the table model (`person` itself when it is one)."""
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        return await _hire_in_one_statement(session, connection, unit, person, why)
    staff = person if isinstance(person, Staff) else Staff(**person.model_dump())
    # The person and the event are written before the balance row is taken, so the row stays
    # locked only for the statement that moves it, its ledger row and the commit; a refusal
    # rolls all of it back.
    await _announce_hire(session, unit, staff, why.actor)
    quota = await quotas.take_vacant(session, unit.id, staff.quota_type, "occupied", 1)
    if quota is None:
        quota = await quotas.get(session, unit.id, staff.quota_type)
        raise no_vacancy(quota, unit.code, staff.quota_type, 1)
    record(session, quota, "occupied", 1, why)
    return staff


async def hire_reserved(
    session: AsyncSession, quota: Quota, unit: Unit, staff: Staff, why: Movement
) -> Staff:
    """Turn one post held for a posting into the person hired for it (the caller locked both)."""
    move(session, quota, "reserved", -1, why)
    move(session, quota, "occupied", 1, why)
    return await _announce_hire(session, unit, staff, why.actor)


async def _hire_in_one_statement(
    session: AsyncSession,
    connection: AsyncConnection,
    unit: Unit | UnitIdentity,
    staff: StaffColumns,
    why: Movement,
) -> StaffColumns:
    """PostgreSQL: the same writes as below as one statement (`repository.hiring`), which
    takes the balance row last; the person is not added to the session.

    The statement runs on the session's `connection` rather than through the session: it
    loads no ORM entity, and the ORM's execution and result handling around it cost more
    than its compiled form's execution."""
    title = _first_title(staff, why.actor)
    _, event = outbox.row(_hired(staff, unit, title), subject=str(staff.id))
    entry = entry_fields(why)
    params: dict[str, object] = {
        "of_unit": unit.id,
        "of_type": staff.quota_type,
        "posts": 1,
        **prefixed("staff", column_values(staff, of=Staff)),
        **prefixed("outbox", event),
        **prefixed("entry", entry),
    }
    if title is not None:
        params |= prefixed("title", column_values(title))
    stmt = repository.hiring(title is not None, tuple(entry))
    occupied: int | None = (await connection.execute(stmt, params)).scalar_one_or_none()
    if occupied is None:
        quota = await quotas.get(session, unit.id, staff.quota_type)
        raise no_vacancy(quota, unit.code, staff.quota_type, 1)
    quotas.occupied_now(session, unit.id, staff.quota_type, occupied)
    outbox.written(session, event)
    return staff


async def _announce_hire(
    session: AsyncSession, unit: Unit | UnitIdentity, staff: Staff, actor: str
) -> Staff:
    session.add(staff)
    title = _first_title(staff, actor)
    if title is not None:
        session.add(title)
    # The outbox insert flushes the person and the title ahead of it.
    await outbox.add(session, _hired(staff, unit, title), subject=str(staff.id))
    return staff


def _first_title(staff: StaffColumns, actor: str) -> StaffTitle | None:
    """A new person's title, recorded from the day they are hired."""
    if not staff.title:
        return None
    return StaffTitle(
        staff_id=staff.id, effective_from=staff.hire_date, title=staff.title, recorded_by=actor
    )


def _hired(staff: StaffColumns, unit: Unit | UnitIdentity, title: StaffTitle | None) -> StaffHired:
    # A new person's only title is the one just recorded, so there is no history to read.
    history = [DatedTitle(title=title.title, effective_from=title.effective_from)] if title else []
    return StaffHired(
        **_facts(staff, unit, history),
        hire_date=staff.hire_date,
        posting_id=staff.posting_id,
        application_id=staff.talent_application_id,
    )


async def facts(session: AsyncSession, staff: Staff, unit: Unit) -> dict[str, object]:
    """What every roster event says of a person, their dated titles included."""
    history = await repository.titles(session, staff.id)
    return _facts(
        staff,
        unit,
        [DatedTitle(title=row.title, effective_from=row.effective_from) for row in history],
    )


def _facts(
    staff: StaffColumns, unit: Unit | UnitIdentity, history: list[DatedTitle]
) -> dict[str, object]:
    return {
        "staff_id": staff.id,
        "unit_id": unit.id,
        "district_id": unit.district_id,
        "quota_type": staff.quota_type,
        "name": staff.name,
        # A value the vocabulary does not list (kept by its migration) goes as unknown.
        **listed_terms(subject=staff.subject, stage=staff.stage, title=staff.title),
        "title_history": history,
    }


def title_on(history: list[StaffTitle], day: date) -> str | None:
    """The title in force on `day`: the latest one that took effect by then."""
    held = [row for row in history if row.effective_from <= day]
    return max(held, key=lambda row: row.effective_from).title if held else None


async def record_title(
    session: AsyncSession,
    principal: Principal,
    staff_id: uuid.UUID,
    data: TitleCreate,
    today: date,
) -> Staff:
    """Record a title conferred from a date (职称评聘); the roster's title is the one in force."""
    found = await visible_staff(session, principal, staff_id)
    unit = await unit_for_action(session, principal, found.unit_id)
    staff = await _active(session, staff_id)
    if data.effective_from < staff.hire_date:
        raise InvalidInput.field(
            "body.effective_from", f"the person was hired on {staff.hire_date.isoformat()}"
        )
    row = await session.get(StaffTitle, (staff.id, data.effective_from))
    if row is None:
        row = StaffTitle(
            staff_id=staff.id,
            effective_from=data.effective_from,
            title=data.title,
            recorded_by=principal.sub,
        )
        session.add(row)
    row.title = data.title
    row.document_no = data.document_no
    row.recorded_by = principal.sub
    await session.flush()
    history = await repository.titles(session, staff.id)
    staff.title = title_on(history, today) or history[0].title
    await session.flush()
    await _announce_update(
        session,
        staff,
        unit,
        ["title"],
        data.effective_from,
        previous_subject=staff.subject,
        previous_stage=staff.stage,
    )
    return staff


async def update_staff(
    session: AsyncSession,
    principal: Principal,
    staff_id: uuid.UUID,
    data: StaffUpdate,
    today: date,
) -> Staff:
    """Change what a person teaches (subject, stage); announced so sharing follows."""
    found = await visible_staff(session, principal, staff_id)
    unit = await unit_for_action(session, principal, found.unit_id)
    staff = await _active(session, staff_id)
    changes = data.model_dump(exclude_unset=True)
    changed: list[str] = [name for name in ("subject", "stage") if name in changes]
    if not changed:
        raise InvalidInput.field("body", "nothing to change: send subject or stage")
    previous = {"previous_subject": staff.subject, "previous_stage": staff.stage}
    for name in changed:
        setattr(staff, name, changes[name])
    try:
        check_subject_in_stage(staff.subject, staff.stage)
    except ValueError as error:
        raise InvalidInput.field("body.subject", str(error)) from error
    await session.flush()
    await _announce_update(session, staff, unit, changed, today, **previous)
    return staff


async def _announce_update(
    session: AsyncSession,
    staff: Staff,
    unit: Unit,
    changed: list[str],
    effective_on: date,
    **previous: str | None,
) -> None:
    await outbox.add(
        session,
        StaffUpdated(
            **await facts(session, staff, unit),
            changed=changed,
            effective_on=effective_on,
            **previous,
        ),
        subject=str(staff.id),
    )


async def visible_staff(session: AsyncSession, principal: Principal, staff_id: uuid.UUID) -> Staff:
    staff = await repository.get(session, staff_id)
    ensure_visible(principal, await get_unit(session, staff.unit_id) if staff else None)
    assert staff is not None
    return staff


async def _active(session: AsyncSession, staff_id: uuid.UUID) -> Staff:
    staff = await repository.lock(session, staff_id)
    assert staff is not None
    if staff.status != "active":
        raise NotOnRoster(staff.name, staff.status)
    return staff


async def depart(
    session: AsyncSession,
    principal: Principal,
    staff_id: uuid.UUID,
    data: DepartureCreate,
    today: date,
) -> Staff:
    """A person leaves; the freed post repays the unit's earliest loan first, else falls vacant."""
    found = await visible_staff(session, principal, staff_id)
    unit = await unit_for_action(session, principal, found.unit_id)
    quota = await quotas.lock_quota(session, found.unit_id, found.quota_type)
    staff = await _active(session, staff_id)
    assert quota is not None
    why = Movement.of("departure", principal.sub, document_no=data.document_no, reason=data.reason)
    move(session, quota, "occupied", -1, why)
    loan = await repay_from_departure(session, quota, staff, why)
    staff.status = data.reason
    staff.left_on = data.left_on or today
    await session.flush()
    await outbox.add(
        session,
        StaffLeft(
            **await facts(session, staff, unit),
            reason=data.reason,
            left_on=staff.left_on,
            repaid_loan_id=loan.id if loan else None,
        ),
        subject=str(staff.id),
    )
    return staff


async def transfer(
    session: AsyncSession,
    principal: Principal,
    staff_id: uuid.UUID,
    data: TransferCreate,
    today: date,
) -> Staff:
    """Move a person to another unit in one step: out of one post and into a vacant one."""
    found = await visible_staff(session, principal, staff_id)
    source = await unit_for_action(session, principal, found.unit_id)
    target = await unit_for_action(session, principal, data.to_unit_id)
    if target.id == source.id:
        raise InvalidInput.field("body.to_unit_id", "the person already works at this unit")
    locked = await quotas.lock_quotas(
        session, [(source.id, found.quota_type), (target.id, found.quota_type)]
    )
    staff = await _active(session, staff_id)
    here, there = (
        locked.get((source.id, staff.quota_type)),
        locked.get((target.id, staff.quota_type)),
    )
    assert here is not None
    if there is None or there.vacant < 1:
        raise no_vacancy(there, target.code, staff.quota_type, 1)
    why = Movement.of("transfer", principal.sub, document_no=data.document_no)
    move(session, here, "occupied", -1, why)
    loan = await repay_from_departure(session, here, staff, why)
    move(session, there, "occupied", 1, why)
    staff.unit_id = target.id
    await session.flush()
    await outbox.add(
        session,
        StaffTransferred(
            **await facts(session, staff, target),
            from_unit_id=source.id,
            transferred_on=data.transferred_on or today,
            repaid_loan_id=loan.id if loan else None,
        ),
        subject=str(staff.id),
    )
    return staff
