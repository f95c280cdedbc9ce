"""The comparison: each service's side of every hand-over, and what disagrees.

Pure: given the three services' answers and what NATS says is in flight, list every
discrepancy with the ids on both sides. A discrepancy is *pending* rather than an error while
events are still in flight somewhere (an outbox not yet published, a consumer not yet done)
and the rows involved changed less than the grace period ago: the event that resolves it may
be on its way. Dead letters are never pending: they wait for a person.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from common.deadletters import ConsumerBacklog, DeadLetter
from contracts.reconciliation import SharingSide, StaffingSide, StaffRow, TalentSide

#: How long a disagreement may wait for events in flight before it counts as an error.
#: A default chosen for this platform (seconds of relay and consumer lag, with margin for a
#: restart), to be replaced by what operations measure.
DEFAULT_GRACE = timedelta(seconds=120)

#: The checks, in the order the report shows them.
CHECKS = ("hires", "reservations", "roster", "departures", "outbox", "dead_letters")


@dataclass(frozen=True, slots=True)
class Discrepancy:
    """One disagreement: which check, what is wrong, the ids on each side."""

    check: str
    code: str
    left: str
    right: str
    detail: str = ""
    at: datetime | None = None
    pending: bool = False

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.check, self.code, self.left, self.right)

    def line(self) -> str:
        state = "PENDING" if self.pending else "ERROR"
        tail = f" ({self.detail})" if self.detail else ""
        return f"{state} {self.check}/{self.code}: {self.left} <> {self.right}{tail}"


@dataclass(frozen=True, slots=True)
class Report:
    as_of: datetime
    discrepancies: list[Discrepancy]
    in_flight: dict[str, int] = field(default_factory=dict)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> list[Discrepancy]:
        return [d for d in self.discrepancies if not d.pending]

    @property
    def pending(self) -> list[Discrepancy]:
        return [d for d in self.discrepancies if d.pending]

    @property
    def clean(self) -> bool:
        return not self.discrepancies

    def by_check(self) -> dict[str, list[Discrepancy]]:
        grouped: dict[str, list[Discrepancy]] = {check: [] for check in CHECKS}
        for d in self.discrepancies:
            grouped.setdefault(d.check, []).append(d)
        return grouped

    def exit_code(self) -> int:
        """0 when all agree, 1 on any error, 2 when all that disagrees is still in flight."""
        if self.errors:
            return 1
        return 2 if self.pending else 0


def compare(
    staffing: StaffingSide,
    sharing: SharingSide,
    talent: TalentSide,
    *,
    backlogs: Sequence[ConsumerBacklog] = (),
    dead_letters: Sequence[DeadLetter] = (),
    now: datetime,
    grace: timedelta = DEFAULT_GRACE,
) -> Report:
    """Every discrepancy between the three sides, each marked pending or not."""
    found = [
        *hires(staffing, talent),
        *reservations(staffing, talent),
        *roster(staffing, sharing),
        *departures(staffing, sharing),
        *outboxes((staffing, sharing, talent)),
    ]
    in_flight = {
        f"{side.service} outbox": side.outbox.unpublished
        for side in (staffing, sharing, talent)
        if side.outbox.unpublished
    }
    for backlog in backlogs:
        if backlog.in_flight:
            in_flight[f"{backlog.consumer} ← {backlog.stream}"] = backlog.in_flight
    moving = bool(in_flight)
    marked = [replace(d, pending=moving and (d.at is None or now - d.at < grace)) for d in found]
    marked += [
        Discrepancy(
            "dead_letters",
            "dead_letter",
            f"dlq.{letter.service} #{letter.sequence}",
            f"{letter.event_type or '?'} {letter.event_id or '?'} on {letter.subject or '?'}",
            letter.reason,
            letter.parked_at,
        )
        for letter in dead_letters
    ]
    counts = {
        "staff": len(staffing.staff),
        "reservations": len(staffing.reservations),
        "profiles": len(sharing.teachers),
        "running assignments": len(sharing.assignments),
        "postings": len(talent.postings),
        "hires": len(talent.applications),
    }
    return Report(now, marked, in_flight, list(dead_letters), counts)


def _staff(s: StaffRow) -> str:
    return f"staffing staff {s.id}"


def hires(staffing: StaffingSide, talent: TalentSide) -> Iterable[Discrepancy]:
    """Talent's hires ↔ staffing's staff records made from them."""
    by_application = {s.application_id: s for s in staffing.staff if s.application_id}
    applications = {a.id: a for a in talent.applications}
    for a in talent.applications:
        app = f"talent application {a.id}"
        staff = by_application.get(a.id)
        if a.status == "hired" and staff is None:
            yield Discrepancy("hires", "hired_without_staff_record", app, "staffing: none", at=a.at)
        elif a.status == "hiring" and staff is None:
            yield Discrepancy("hires", "hire_unanswered", app, "staffing: none", at=a.at)
        elif staff is None:
            continue
        elif a.status != "hired":
            yield Discrepancy(
                "hires", "staff_record_for_unhired", app, _staff(staff), f"talent: {a.status}", a.at
            )
        elif a.staff_id is None:
            yield Discrepancy(
                "hires", "staff_record_not_confirmed", app, _staff(staff), at=max(a.at, staff.at)
            )
        elif a.staff_id != staff.id:
            yield Discrepancy(
                "hires", "staff_record_differs", app, _staff(staff), f"talent: {a.staff_id}", a.at
            )
    for s in staffing.staff:
        if s.application_id and s.application_id not in applications:
            yield Discrepancy(
                "hires",
                "staff_record_without_hire",
                f"talent application {s.application_id}",
                _staff(s),
                "talent: no hire",
                s.at,
            )


def reservations(staffing: StaffingSide, talent: TalentSide) -> Iterable[Discrepancy]:
    """Talent's postings ↔ the posts staffing holds for them, and the hires from each."""
    held = {r.posting_id: r for r in staffing.reservations}
    hired_from: Counter[uuid.UUID] = Counter(
        s.posting_id for s in staffing.staff if s.posting_id and s.application_id
    )
    postings = {p.id: p for p in talent.postings}
    for p in talent.postings:
        post = f"talent posting {p.id}"
        r = held.get(p.id)
        side = f"staffing reservation {p.id}" if r else "staffing: none"
        at = max(p.at, r.at) if r else p.at
        state = f"talent: {p.status}/{p.reservation}, staffing: {r.status if r else 'none'}"
        if p.hired != hired_from[p.id]:
            yield Discrepancy(
                "reservations",
                "hired_count_differs",
                post,
                side,
                f"talent: {p.hired} hired, staffing: {hired_from[p.id]} staff records",
                at,
            )
        if p.reservation == "not_needed" and r is None:
            # Opened without asking staffing for posts (control numbers, before every quota type
            # reserved): open, its hires have no post to take; closed, nothing is held.
            if p.status == "open":
                yield Discrepancy("reservations", "open_without_reservation", post, side, state, at)
            continue
        if p.status == "pending_quota" or p.reservation == "pending":
            code = "reservation_unanswered" if r is None else "reservation_answer_not_applied"
            yield Discrepancy("reservations", code, post, side, state, at)
            continue
        if r is None:
            if p.status != "closed":
                yield Discrepancy("reservations", "no_reservation", post, side, state, at)
            continue
        expected = {
            "open": ("confirmed", "filled"),
            "blocked": ("rejected",),
            "closed": ("released", "filled", "rejected", "confirmed"),
        }.get(p.status, ())
        if r.status not in expected:
            yield Discrepancy("reservations", "reservation_state_differs", post, side, state, at)
        if p.status in ("closed", "blocked") and r.held:
            code = "posts_held_for_closed_posting" if p.status == "closed" else "posts_held"
            yield Discrepancy(
                "reservations", code, post, side, f"{state}; staffing holds {r.held}", at
            )
        if r.requested != p.count or r.held + r.filled > r.requested:
            yield Discrepancy(
                "reservations",
                "count_differs",
                post,
                side,
                f"talent: {p.count}; staffing: requested {r.requested}, held {r.held},"
                f" filled {r.filled}",
                at,
            )
    for r in staffing.reservations:
        if r.posting_id not in postings:
            yield Discrepancy(
                "reservations",
                "reservation_without_posting",
                f"talent posting {r.posting_id}",
                f"staffing reservation {r.posting_id}",
                f"talent: none; staffing: {r.status}, holds {r.held}",
                r.at,
            )


def roster(staffing: StaffingSide, sharing: SharingSide) -> Iterable[Discrepancy]:
    """The active roster ↔ the sharing profiles projected from it."""
    staff = {s.id: s for s in staffing.staff}
    teachers = {t.id: t for t in sharing.teachers}
    for s in staffing.staff:
        if s.status != "active":
            continue
        t = teachers.get(s.id)
        if t is None:
            yield Discrepancy("roster", "profile_missing", _staff(s), "sharing: none", at=s.at)
            continue
        profile = f"sharing teacher {t.id}"
        # The roster's rows carry no change time: whether a move is in flight, NATS says.
        if not t.active:
            yield Discrepancy("roster", "profile_inactive", _staff(s), profile)
        if t.unit_id != s.unit_id:
            yield Discrepancy(
                "roster",
                "unit_differs",
                _staff(s),
                profile,
                f"staffing: {s.unit_id}, sharing: {t.unit_id}",
            )
        if s.title and t.title != s.title:
            yield Discrepancy(
                "roster",
                "title_differs",
                _staff(s),
                profile,
                f"staffing: {s.title}, sharing: {t.title}",
            )
        if s.subject and s.subject not in t.subjects:
            yield Discrepancy(
                "roster",
                "subject_missing",
                _staff(s),
                profile,
                f"staffing: {s.subject}, sharing: {', '.join(t.subjects) or 'none'}",
            )
    for t in sharing.teachers:
        held = staff.get(t.id)
        if not t.active or (held is not None and held.status == "active"):
            continue
        yield Discrepancy(
            "roster",
            "profile_active_without_staff" if held is None else "profile_active_after_departure",
            f"staffing staff {t.id}",
            f"sharing teacher {t.id}",
            "staffing: none" if held is None else f"staffing: {held.status} on {held.left_on}",
        )


def departures(staffing: StaffingSide, sharing: SharingSide) -> Iterable[Discrepancy]:
    """Departed staff ↔ sharing assignments still running past their leaving day."""
    staff = {s.id: s for s in staffing.staff}
    for a in sharing.assignments:
        s = staff.get(a.teacher_id)
        if s is None:
            yield Discrepancy(
                "departures",
                "assignment_without_staff",
                f"staffing staff {a.teacher_id}",
                f"sharing assignment {a.id}",
                "staffing: none",
            )
        elif s.status != "active" and s.left_on is not None and a.ends_on >= s.left_on:
            yield Discrepancy(
                "departures",
                "assignment_after_departure",
                _staff(s),
                f"sharing assignment {a.id}",
                f"left {s.left_on} ({s.status}); assignment runs to {a.ends_on}",
            )


def outboxes(sides: Iterable[StaffingSide | SharingSide | TalentSide]) -> Iterable[Discrepancy]:
    """Events committed in a service and not yet published."""
    for side in sides:
        if side.outbox.unpublished:
            yield Discrepancy(
                "outbox",
                "unpublished_events",
                f"{side.service} outbox",
                "NATS",
                f"{side.outbox.unpublished} events, the oldest from {side.outbox.oldest}",
                side.outbox.oldest,
            )
