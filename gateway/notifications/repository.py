"""Every query of notifications, preferences and mail deliveries."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import CursorResult, Select, and_, false, func, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from common.errors import InvalidInput
from gateway.models import MailDelivery, Notification, NotificationPreference, Unit, User
from gateway.notifications.rules import Audience


async def recipients(session: AsyncSession, audiences: Sequence[Audience]) -> list[User]:
    """The active users each audience names, each within the scope the audience holds."""
    conditions = []
    for audience in audiences:
        if audience.role == "user":
            username = (audience.sub or "").removeprefix("user:")
            conditions.append(col(User.username) == username)
        elif audience.role == "teacher":
            conditions.append(
                and_(col(User.role) == "teacher", col(User.teacher_id) == audience.teacher_id)
            )
        elif audience.role == "school_admin":
            conditions.append(
                and_(col(User.role) == "school_admin", col(User.unit_id) == audience.unit_id)
            )
        elif audience.role == "district_hr":
            districts = {audience.unit_id} | await _districts_of(session, audience.unit_id)
            conditions.append(
                and_(col(User.role) == "district_hr", col(User.district_id).in_(districts))
            )
        else:
            conditions.append(col(User.role) == audience.role)
    if not conditions:
        return []
    stmt = select(User).where(or_(false(), *conditions), col(User.disabled).is_(False))
    return list((await session.execute(stmt.order_by(col(User.username)))).scalars())


async def _districts_of(session: AsyncSession, unit_id: uuid.UUID | None) -> set[uuid.UUID]:
    """The district of a school: from the units copy, else from the scopes of its own users."""
    unit = await session.get(Unit, unit_id)
    if unit is not None:
        return {unit.district_id} if unit.district_id else set()
    found = await session.execute(
        select(col(User.district_id))
        .where(col(User.unit_id) == unit_id, col(User.district_id).is_not(None))
        .distinct()
    )
    return {district_id for district_id in found.scalars() if district_id is not None}


async def user_by_username(session: AsyncSession, username: str) -> User | None:
    found = await session.execute(select(User).where(col(User.username) == username))
    return found.scalars().first()


async def preference(session: AsyncSession, user_id: uuid.UUID) -> NotificationPreference | None:
    return await session.get(NotificationPreference, user_id)


async def preferences(
    session: AsyncSession, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, NotificationPreference]:
    if not user_ids:
        return {}
    rows = await session.execute(
        select(NotificationPreference).where(col(NotificationPreference.user_id).in_(user_ids))
    )
    return {p.user_id: p for p in rows.scalars()}


async def collecting_delivery(
    session: AsyncSession, user_id: uuid.UUID, now: datetime
) -> MailDelivery | None:
    """The user's digest still open for more notifications (not yet due, never tried)."""
    stmt = (
        select(MailDelivery)
        .where(
            col(MailDelivery.recipient_id) == user_id,
            col(MailDelivery.status) == "pending",
            col(MailDelivery.attempts) == 0,
            col(MailDelivery.next_attempt_at) > now,
        )
        .order_by(col(MailDelivery.next_attempt_at))
        .limit(1)
        .with_for_update()
    )
    return (await session.execute(stmt)).scalars().first()


def _mine(user_id: uuid.UUID, unread: bool) -> Select[Notification]:
    stmt = select(Notification).where(col(Notification.recipient_id) == user_id)
    if unread:
        stmt = stmt.where(col(Notification.read_at).is_(None))
    return stmt


def _encode(row: Notification) -> str:
    raw = json.dumps([row.created_at.isoformat(), str(row.id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        created, ident = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return datetime.fromisoformat(created), uuid.UUID(ident)
    except (ValueError, TypeError) as error:
        raise InvalidInput.field("query.cursor", "the cursor is not valid") from error


async def page(
    session: AsyncSession, user_id: uuid.UUID, *, unread: bool, cursor: str | None, limit: int
) -> tuple[list[Notification], str | None]:
    """The user's notifications, newest first, after `cursor` (keyset on created, id)."""
    stmt = _mine(user_id, unread)
    if cursor:
        stmt = stmt.where(
            tuple_(col(Notification.created_at), col(Notification.id)) < tuple_(*_decode(cursor))
        )
    stmt = stmt.order_by(col(Notification.created_at).desc(), col(Notification.id).desc())
    rows = list((await session.execute(stmt.limit(limit + 1))).scalars())
    if len(rows) <= limit:
        return rows, None
    return rows[:limit], _encode(rows[limit - 1])


async def since(
    session: AsyncSession, user_id: uuid.UUID, after: datetime, limit: int = 100
) -> list[Notification]:
    """The user's notifications created at or after `after`, oldest first."""
    stmt = (
        _mine(user_id, unread=False)
        .where(col(Notification.created_at) >= after)
        .order_by(col(Notification.created_at), col(Notification.id))
        .limit(limit)
    )
    return list((await session.execute(stmt)).scalars())


async def unread_count(session: AsyncSession, user_id: uuid.UUID) -> int:
    stmt = select(func.count()).select_from(_mine(user_id, unread=True).subquery())
    return int((await session.execute(stmt)).scalar_one())


async def get_mine(
    session: AsyncSession, user_id: uuid.UUID, notification_id: uuid.UUID
) -> Notification | None:
    row = await session.get(Notification, notification_id)
    return row if row is not None and row.recipient_id == user_id else None


async def mark_all_read(session: AsyncSession, user_id: uuid.UUID, at: datetime) -> int:
    result = await session.execute(
        update(Notification)
        .where(col(Notification.recipient_id) == user_id, col(Notification.read_at).is_(None))
        .values(read_at=at)
    )
    assert isinstance(result, CursorResult)  # an UPDATE's result counts its rows
    return int(result.rowcount or 0)


async def claim_due_deliveries(
    session: AsyncSession, now: datetime, *, lease: timedelta, limit: int
) -> list[MailDelivery]:
    """Take due mails (and mails a crashed worker left behind) for this worker, for `lease`."""
    stmt = (
        select(MailDelivery)
        .where(
            or_(
                and_(
                    col(MailDelivery.status) == "pending",
                    col(MailDelivery.next_attempt_at) <= now,
                ),
                and_(
                    col(MailDelivery.status) == "sending",
                    col(MailDelivery.lease_until) < now,
                ),
            )
        )
        .order_by(col(MailDelivery.next_attempt_at))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = list((await session.execute(stmt)).scalars())
    for row in rows:
        row.status = "sending"
        row.lease_until = now + lease
    return rows


async def delivery_notifications(
    session: AsyncSession, delivery_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Notification]]:
    rows = await session.execute(
        select(Notification)
        .where(col(Notification.mail_delivery_id).in_(delivery_ids))
        .order_by(col(Notification.created_at), col(Notification.id))
    )
    grouped: dict[uuid.UUID, list[Notification]] = {i: [] for i in delivery_ids}
    for row in rows.scalars():
        assert row.mail_delivery_id is not None  # selected by delivery
        grouped[row.mail_delivery_id].append(row)
    return grouped
