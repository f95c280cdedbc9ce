"""The inbox: durable pull consumers that apply each event once, dead-lettering what cannot be."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from functools import cache

from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import BadRequestError, NotFoundError
from pydantic import ValidationError
from sqlalchemy import Executable, Table
from sqlalchemy.ext.asyncio import AsyncSession

from common.bus import Bus, dlq_subject, stream_name
from common.db import Database, insert_for, run_in_transaction, utcnow
from common.observability import EVENTS_CONSUMED, child_traceparent, traceparent_var
from contracts.base import Envelope, Event

log = logging.getLogger(__name__)

Handler = Callable[[AsyncSession, Event, Envelope], Awaitable[None]]

#: Seconds to wait before each redelivery after a handler failure.
DEFAULT_BACKOFF = (0.2, 1.0, 5.0, 30.0, 120.0)


class PoisonMessage(Exception):
    """A message that can never be applied: it goes to the dead-letter subject at once."""


class Consumer:
    """A durable pull consumer of one publisher's stream, shared by all replicas of a service."""

    def __init__(
        self,
        *,
        service: str,
        publisher: str,
        db: Database,
        bus: Bus,
        inbox: Table,
        handlers: Mapping[str, Handler],
        batch: int = 64,
        max_attempts: int = 5,
        backoff: Sequence[float] = DEFAULT_BACKOFF,
        ack_wait: float = 30.0,
    ) -> None:
        if not handlers:
            raise ValueError("a consumer needs at least one handler")
        self.service = service
        self.publisher = publisher
        self.stream = stream_name(publisher)
        self.durable = service
        self.db = db
        self.bus = bus
        self.inbox = inbox
        self.handlers = dict(handlers)
        self.batch = batch
        self.max_attempts = max_attempts
        self.backoff = tuple(backoff)
        self.ack_wait = ack_wait
        self._stopping = False

    def config(self) -> ConsumerConfig:
        return ConsumerConfig(
            durable_name=self.durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            filter_subjects=sorted(self.handlers),
            ack_wait=self.ack_wait,
            max_ack_pending=1000,
            max_deliver=-1,
        )

    async def ensure(self) -> None:
        """Create the durable consumer, or bring an existing one to this configuration."""
        try:
            await self.bus.js.add_consumer(self.stream, self.config())
        except BadRequestError as error:
            # An older replica's config that the server cannot change in place: keep it.
            log.warning("consumer %s on %s kept as it is: %s", self.durable, self.stream, error)

    async def run(self) -> None:
        await self.bus.ready.wait()
        while not self._stopping:
            try:
                await self.ensure()
                sub = await self.bus.js.pull_subscribe_bind(
                    durable=self.durable, stream=self.stream
                )
                await self._loop(sub)
            except asyncio.CancelledError:
                raise
            except NotFoundError:
                # The stream's owner creates it (a service may create only its own stream):
                # wait for it to start.
                if self._stopping:
                    return
                log.info("consumer %s waits for the %s stream", self.durable, self.stream)
                await asyncio.sleep(1.0)
            except Exception as error:
                if self._stopping:
                    return
                log.warning("consumer %s on %s restarting: %r", self.durable, self.stream, error)
                await asyncio.sleep(0.5)

    def stop(self) -> None:
        self._stopping = True

    async def _loop(self, sub: JetStreamContext.PullSubscription) -> None:
        # Wait for one message at a time when idle (a batch pull lingers until it is full or
        # expires, which would delay the first event), then drain a known backlog in batches.
        while not self._stopping:
            try:
                msgs = await sub.fetch(1, timeout=5)
            except (TimeoutError, NatsTimeoutError):
                continue
            while msgs:
                await self.process_batch(msgs)
                pending = msgs[-1].metadata.num_pending or 0
                if not pending or self._stopping:
                    break
                try:
                    msgs = await sub.fetch(min(self.batch, pending), timeout=0.25)
                except (TimeoutError, NatsTimeoutError):
                    break

    async def process_batch(self, msgs: Sequence[Msg]) -> None:
        """Apply a backlog in one transaction; if any event in it fails, apply them one by one."""
        decoded: list[tuple[Msg, Envelope, Event]] = []
        for msg in msgs:
            try:
                envelope, event = self.decode(msg)
            except PoisonMessage as poison:
                await self._dead_letter_poison(msg, poison)
                continue
            decoded.append((msg, envelope, event))
        if len(decoded) > 1:
            try:
                outcomes = await self.apply_many([(e, ev) for _, e, ev in decoded])
            except Exception as error:
                log.info("batch of %d fell back to one by one: %r", len(decoded), error)
            else:
                for (msg, envelope, _), applied in zip(decoded, outcomes, strict=True):
                    await msg.ack()
                    self._count(envelope, "applied" if applied else "duplicate")
                return
        for msg, envelope, event in decoded:
            await self._process_decoded(msg, envelope, event)

    async def _dead_letter_poison(self, msg: Msg, poison: PoisonMessage) -> None:
        await self.dead_letter(msg, f"malformed event: {poison}")
        EVENTS_CONSUMED.labels(self.service, msg.subject, "dead_lettered").inc()

    def _count(self, envelope: Envelope, outcome: str) -> None:
        EVENTS_CONSUMED.labels(self.service, envelope.type, outcome).inc()

    async def _process_decoded(self, msg: Msg, envelope: Envelope, event: Event) -> None:
        token = traceparent_var.set(child_traceparent(envelope.traceparent))
        try:
            applied = await self.apply(envelope, event)
        except Exception as error:
            attempts = msg.metadata.num_delivered or 1
            if attempts >= self.max_attempts:
                log.error(
                    "event %s failed %d times, dead-lettered: %r", envelope.id, attempts, error
                )
                await self.dead_letter(msg, f"handler failed {attempts} times: {error!r}")
                self._count(envelope, "dead_lettered")
            else:
                delay = self.backoff[min(attempts - 1, len(self.backoff) - 1)]
                log.warning(
                    "event %s failed (attempt %d), retry in %ss: %r",
                    envelope.id,
                    attempts,
                    delay,
                    error,
                )
                await msg.nak(delay=delay)
                self._count(envelope, "retried")
            return
        finally:
            traceparent_var.reset(token)
        await msg.ack()
        self._count(envelope, "applied" if applied else "duplicate")

    def decode(self, msg: Msg) -> tuple[Envelope, Event]:
        return self.decode_data(msg.subject, msg.data)

    def decode_data(self, subject: str, data: bytes) -> tuple[Envelope, Event]:
        try:
            envelope = Envelope.model_validate_json(data)
        except ValidationError as error:
            raise PoisonMessage(_summary(error)) from error
        if envelope.type != subject:
            raise PoisonMessage(f"type {envelope.type!r} does not match subject {subject!r}")
        if envelope.type not in self.handlers:
            raise PoisonMessage(f"no handler for {envelope.type!r}")
        try:
            event = envelope.parse_data()
        except KeyError as error:
            raise PoisonMessage(f"unknown event type {envelope.type!r}") from error
        except ValidationError as error:
            raise PoisonMessage(_summary(error)) from error
        if envelope.dataschema != event.schema_uri():
            raise PoisonMessage(f"unsupported schema {envelope.dataschema!r}")
        return envelope, event

    async def reapply(self, subject: str, data: bytes) -> bool:
        """Apply a dead-lettered event again, as if delivered now; False if applied before.

        Raises PoisonMessage if it still cannot be read, or the handler's error if it still
        fails: the caller keeps the dead letter then."""
        envelope, event = self.decode_data(subject, data)
        token = traceparent_var.set(child_traceparent(envelope.traceparent))
        try:
            applied = await self.apply(envelope, event)
        finally:
            traceparent_var.reset(token)
        self._count(envelope, "replayed" if applied else "duplicate")
        return applied

    async def apply(self, envelope: Envelope, event: Event) -> bool:
        """Run the handler and record the event id in one transaction; False if seen before."""
        return (await self.apply_many([(envelope, event)]))[0]

    async def apply_many(self, items: Sequence[tuple[Envelope, Event]]) -> list[bool]:
        """Apply events in order in one transaction, each recorded in the inbox; False if seen."""

        async def work(session: AsyncSession) -> list[bool]:
            # Record every id not recorded before, in one statement that skips the known ones
            # (and waits for a replica recording the same id at this moment): those it
            # returns are this transaction's to apply.
            now = utcnow()
            firsts: dict[str, Envelope] = {}
            for envelope, _ in items:
                firsts.setdefault(str(envelope.id), envelope)
            connection = await session.connection()
            recorded = await connection.execute(
                _recording(connection.dialect.name, self.inbox),
                [
                    {
                        "event_id": event_id,
                        "type": envelope.type,
                        "source": envelope.source,
                        "received_at": now,
                    }
                    for event_id, envelope in firsts.items()
                ],
            )
            fresh = set(recorded.scalars())
            outcomes = []
            for envelope, event in items:
                event_id = str(envelope.id)
                outcomes.append(event_id in fresh)
                if event_id not in fresh:
                    continue
                fresh.discard(event_id)  # a second copy in the same batch is a duplicate
                token = traceparent_var.set(child_traceparent(envelope.traceparent))
                try:
                    await self.handlers[envelope.type](session, event, envelope)
                finally:
                    traceparent_var.reset(token)
            return outcomes

        return await run_in_transaction(self.db, work)

    async def dead_letter(self, msg: Msg, reason: str) -> None:
        """Park the message on `dlq.<service>` with the reason, then stop its redelivery."""
        meta = msg.metadata
        seq = meta.sequence.stream if meta and meta.sequence else 0
        headers = {
            "Nats-Msg-Id": f"dlq-{self.service}-{self.stream}-{seq}",
            "Tp-Dlq-Reason": _header_safe(reason),
            "Tp-Original-Subject": msg.subject,
            "Tp-Original-Stream": self.stream,
            "Tp-Original-Sequence": str(seq),
        }
        await self.bus.js.publish(dlq_subject(self.service), msg.data, headers=headers)
        await msg.term()


@cache
def _recording(dialect: str, inbox: Table) -> Executable:
    """Insert inbox rows, skipping ids recorded already; the ids inserted come back."""
    return (
        insert_for(dialect)(inbox)
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(inbox.c.event_id)
    )


def _summary(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in error.errors()
    )[:400]


def _header_safe(text: str) -> str:
    return (
        text.replace("\r", " ")
        .replace("\n", " ")
        .encode("ascii", "backslashreplace")
        .decode()[:1000]
    )
