"""Dead letters and what is still in flight on NATS, for `teacherpool reconcile` and city HR.

A consumer parks an event it cannot apply on `dlq.<service>` with the reason
(`common.inbox.Consumer.dead_letter`). Once the cause is fixed, replaying re-publishes the
original event to its own subject: every consumer that applied it already finds its id in its
inbox and changes nothing, the one that could not applies it now.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from common.bus import DLQ_STREAM, PUBLISHERS, stream_name

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
    except NotFoundError as error:
        raise DeadLetterNotFound(f"no dead letter {sequence}") from error
    return _decode(sequence, msg.subject or "", msg.headers or {}, msg.data or b"", msg.time)


async def replay(js: JetStreamContext, sequence: int) -> DeadLetter:
    """Publish a parked event again to its own subject, then take it off the dead-letter list.

    The message id is new (the original id is inside the stream's duplicate window for a
    while, and would be dropped), but replaying the same dead letter twice is still one
    publication; the event's own id, which every inbox checks, is unchanged.
    """
    letter = await dead_letter(js, sequence)
    if not letter.subject:
        raise DeadLetterNotFound(f"dead letter {sequence} does not name its subject")
    await js.publish(
        letter.subject,
        letter.data,
        headers={"Nats-Msg-Id": f"replay-{sequence}-{letter.event_id or uuid.uuid4()}"},
    )
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
