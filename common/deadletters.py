"""Dead letters and what is still in flight on NATS, for `teacherpool reconcile` and city HR.

A consumer parks an event it cannot apply on `dlq.<service>` with the reason
(`common.inbox.Consumer.dead_letter`). Once the cause is fixed, the service that parked it
applies it again with the same consumer (its inbox still guards against a double effect) and
takes it off the list; the other consumers, which applied it long ago, see nothing.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from nats.js import JetStreamContext
from nats.js.errors import BadRequestError, NotFoundError

from common.bus import DLQ_STREAM, PUBLISHERS, stream_name
from common.inbox import Consumer, PoisonMessage

#: At most this many dead letters are listed at once (the oldest first).
LIST_LIMIT = 500


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One parked event: which consumer gave up on it, why, and the event itself."""

    sequence: int
    service: str
    reason: str
    subject: str
    original_stream: str
    original_sequence: int
    parked_at: datetime | None
    event_id: str | None
    event_type: str | None
    entity: str | None
    data: bytes


@dataclass(frozen=True, slots=True)
class ConsumerBacklog:
    """Events a durable consumer has not finished: not yet delivered, or delivered and unacked."""

    stream: str
    consumer: str
    pending: int
    unacked: int

    @property
    def in_flight(self) -> int:
        return self.pending + self.unacked


class DeadLetterNotFound(LookupError):
    """No dead letter with that sequence (replayed or expired meanwhile)."""


def _decode(seq: int, subject: str, headers: dict[str, str], data: bytes, at: datetime | None):
    try:
        envelope = json.loads(data)
    except ValueError:
        envelope = {}
    if not isinstance(envelope, dict):
        envelope = {}
    return DeadLetter(
        sequence=seq,
        service=subject.removeprefix("dlq."),
        reason=headers.get("Tp-Dlq-Reason", ""),
        subject=headers.get("Tp-Original-Subject", ""),
        original_stream=headers.get("Tp-Original-Stream", ""),
        original_sequence=int(headers.get("Tp-Original-Sequence", "0") or 0),
        parked_at=at,
        event_id=_text(envelope.get("id")),
        event_type=_text(envelope.get("type")),
        entity=_text(envelope.get("subject")),
        data=data,
    )


def _text(value: object) -> str | None:
    return str(value) if value is not None else None


async def dead_letters(
    js: JetStreamContext, *, service: str | None = None, limit: int = LIST_LIMIT
) -> list[DeadLetter]:
    """The parked events, oldest first, of every service or of one."""
    found: list[DeadLetter] = []
    subject = f"dlq.{service}" if service else None
    seq = 1
    while len(found) < limit:
        try:
            msg = await js.get_msg(DLQ_STREAM, seq=seq, subject=subject, next=True)
        except NotFoundError:
            break
        assert msg.seq is not None
        found.append(
            _decode(msg.seq, msg.subject or "", msg.headers or {}, msg.data or b"", msg.time)
        )
        seq = msg.seq + 1
    return found


async def dead_letter(js: JetStreamContext, sequence: int) -> DeadLetter:
    try:
        msg = await js.get_msg(DLQ_STREAM, seq=sequence)
    except (NotFoundError, BadRequestError) as error:  # gone, or no sequence NATS knows
        raise DeadLetterNotFound(f"no dead letter {sequence}") from error
    return _decode(sequence, msg.subject or "", msg.headers or {}, msg.data or b"", msg.time)


class DeadLetterStillFails(Exception):
    """Applying the dead letter again failed (its cause is not fixed): it stays parked."""


async def replay(js: JetStreamContext, sequence: int, consumers: Sequence[Consumer]) -> DeadLetter:
    """Apply a parked event again in the consumer that gave up on it, then take it off the list.

    Only the service that parked a letter replays it, with its own consumer: nothing is
    published again, so no service needs to publish another's subject (`common.natsauth`).
    The consumer's inbox makes a second replay of an event already applied change nothing.
    `consumers` are the calling service's; a letter of another service is not found here.
    """
    letter = await dead_letter(js, sequence)
    consumer = next(
        (
            c
            for c in consumers
            if c.service == letter.service and c.stream == letter.original_stream
        ),
        None,
    )
    if consumer is None or not letter.subject:
        raise DeadLetterNotFound(f"dead letter {sequence} is not one of this service's")
    try:
        await consumer.reapply(letter.subject, letter.data)
    except PoisonMessage as error:
        raise DeadLetterStillFails(f"malformed event: {error}") from error
    except Exception as error:
        raise DeadLetterStillFails(f"handler failed: {error!r}") from error
    with contextlib.suppress(NotFoundError):  # a replica replayed it at the same moment
        await js.delete_msg(DLQ_STREAM, sequence)
    return letter


async def consumer_backlogs(js: JetStreamContext) -> list[ConsumerBacklog]:
    """Every durable consumer of every publishing stream, with what it has not finished."""
    backlogs = []
    for publisher in PUBLISHERS:
        try:
            infos = await js.consumers_info(stream_name(publisher))
        except NotFoundError:
            continue
        for info in infos:
            backlogs.append(
                ConsumerBacklog(
                    stream=info.stream_name,
                    consumer=info.name,
                    pending=info.num_pending or 0,
                    unacked=info.num_ack_pending or 0,
                )
            )
    return backlogs
