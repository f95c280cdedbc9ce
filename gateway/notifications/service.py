"""The rules at work: notifications made from events, read and preferences, live fan-out."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from common.bus import Bus
from common.db import after_commit, utcnow
from common.errors import InvalidInput, NotFound
from common.projections import apply_unit_facts
from contracts.base import Envelope, Event
from contracts.staffing import UnitFacts
from gateway.models import MailDelivery, Notification, NotificationPreference, Unit
from gateway.notifications import repository
from gateway.notifications.rules import rules_for
from gateway.notifications.schemas import PreferencesUpdate

log = logging.getLogger(__name__)

#: Core NATS (not JetStream: a missed wake-up costs nothing, the table is the truth).
WAKE_SUBJECT = "tp.notify"


class Hub:
    """Wakes the open streams of a user on every replica when their notifications change.

    The durable consumer gives each event to one replica, while the user's stream may be open on
    another; so a replica announces on core NATS `tp.notify.<user id>` after its commit, and every
    replica listens and wakes its local streams. Without NATS it wakes local streams directly.
    """

    def __init__(self) -> None:
        self._waiters: dict[uuid.UUID, set[asyncio.Event]] = {}
        self._bus: Bus | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self, bus: Bus | None) -> None:
        self._loop = asyncio.get_running_loop()
        if bus is None:
            return
        await bus.ready.wait()
        assert bus.nc is not None
        await bus.nc.subscribe(f"{WAKE_SUBJECT}.*", cb=self._on_message)
        self._bus = bus

    async def _on_message(self, msg) -> None:
        with contextlib.suppress(ValueError):
            self._wake(uuid.UUID(msg.subject.rsplit(".", 1)[1]))

    @contextlib.contextmanager
    def listen(self, user_id: uuid.UUID) -> Iterator[asyncio.Event]:
        waiter = asyncio.Event()
        self._waiters.setdefault(user_id, set()).add(waiter)
        try:
            yield waiter
        finally:
            waiters = self._waiters.get(user_id, set())
            waiters.discard(waiter)
            if not waiters:
                self._waiters.pop(user_id, None)

    def announce(self, user_ids: set[uuid.UUID]) -> None:
        """Tell every replica that these users' notifications changed (call after commit)."""
        bus = self._bus
        if bus is None or not bus.is_connected or self._loop is None:
            for user_id in user_ids:
                self._wake(user_id)
            return
        for user_id in user_ids:
            self._loop.create_task(self._publish(bus, user_id))

    async def _publish(self, bus: Bus, user_id: uuid.UUID) -> None:
        try:
            assert bus.nc is not None
            await bus.nc.publish(f"{WAKE_SUBJECT}.{user_id}", b"")
        except Exception as error:
            log.warning("could not announce notifications of %s: %r", user_id, error)
            self._wake(user_id)

    def _wake(self, user_id: uuid.UUID) -> None:
        for waiter in self._waiters.get(user_id, ()):
            waiter.set()


class Notifier:
    """The consumer's part: makes an event's notifications in the consumer's transaction."""

    def __init__(self, hub: Hub, *, digest_seconds: float) -> None:
        self.hub = hub
        self.digest = timedelta(seconds=digest_seconds)

    async def on_event(self, session: AsyncSession, event: Event, envelope: Envelope) -> None:
        if isinstance(event, UnitFacts):
            await apply_unit_facts(session, Unit, event, envelope)
            return
        made = await notify(session, event, envelope, digest=self.digest)
        if made:
            users = {n.recipient_id for n in made}
            after_commit(session, lambda: self.hub.announce(users))


async def notify(
    session: AsyncSession, event: Event, envelope: Envelope, *, digest: timedelta
) -> list[Notification]:
    """Make one notification per rule and recipient; mail those who asked for it, as a digest."""
    now = utcnow()
    made: list[Notification] = []
    for rule in rules_for(event):
        users = await repository.recipients(session, rule.audiences(event))
        if not users:
            continue
        message = rule.message(event)
        prefs = await repository.preferences(session, [u.id for u in users])
        for user in users:
            notification = Notification(
                recipient_id=user.id,
                event_id=str(envelope.id),
                kind=rule.kind,
                title_zh=message.title_zh,
                title_en=message.title_en,
                body_zh=message.body_zh,
                body_en=message.body_en,
                link=message.link,
                created_at=now,
            )
            pref = prefs.get(user.id)
            if pref is not None and pref.email_enabled and pref.email:
                notification.mail_delivery_id = await _digest_for(session, pref, now, digest)
            session.add(notification)
            made.append(notification)
    await session.flush()
    return made


async def _digest_for(
    session: AsyncSession, pref: NotificationPreference, now: datetime, digest: timedelta
) -> uuid.UUID:
    """The open digest of the user, or a new one due when the digest window closes."""
    assert pref.email is not None  # only users with an address get a digest
    delivery = await repository.collecting_delivery(session, pref.user_id, now)
    if delivery is None:
        delivery = MailDelivery(
            recipient_id=pref.user_id,
            to_address=pref.email,
            language=pref.language,
            created_at=now,
            next_attempt_at=now + digest,
        )
        session.add(delivery)
        await session.flush()
    return delivery.id


async def mark_read(
    session: AsyncSession, hub: Hub, user_id: uuid.UUID, notification_id: uuid.UUID
) -> Notification:
    row = await repository.get_mine(session, user_id, notification_id)
    if row is None:
        raise NotFound("no such notification of yours")
    if row.read_at is None:
        row.read_at = utcnow()
        await session.flush()
        after_commit(session, lambda: hub.announce({user_id}))
    return row


async def mark_all_read(session: AsyncSession, hub: Hub, user_id: uuid.UUID) -> int:
    marked = await repository.mark_all_read(session, user_id, utcnow())
    if marked:
        after_commit(session, lambda: hub.announce({user_id}))
    return marked


async def update_preferences(
    session: AsyncSession, user_id: uuid.UUID, data: PreferencesUpdate
) -> NotificationPreference:
    pref = await repository.preference(session, user_id)
    if pref is None:
        pref = NotificationPreference(user_id=user_id)
        session.add(pref)
    given = data.model_fields_set
    if "email" in given:
        pref.email = data.email
    if data.email_enabled is not None:
        pref.email_enabled = data.email_enabled
    if data.language is not None:
        pref.language = data.language
    if pref.email_enabled and not pref.email:
        raise InvalidInput.field("body.email", "give an address before turning mail on")
    pref.updated_at = utcnow()
    await session.flush()
    return pref
