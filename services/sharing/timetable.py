"""The weekly timetable as a 40-bit set, and the rule for when a teacher can be in two places.

Slot (weekday w, period p), w in 1..5 and p in 1..8, is bit (w-1)*8 + (p-1).

The travel rule: a teacher who teaches period p at place A and period q at place B on the same
day (p before q) must be able to get from A to B between the end of p and the start of q. The
time available is the school day's gap (breaks, the lunch break, and any free periods between);
the time needed is 0 at the same school, otherwise distance / speed + a buffer. An unknown
location needs infinite time, so only a clear day is safe. Online lessons are taught from the
home school.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

from common.geo import haversine_km

WEEKDAYS = 5
PERIODS = 8
SLOTS = WEEKDAYS * PERIODS
FULL_WEEK = (1 << SLOTS) - 1
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri")
TRAVELLING_MODES = frozenset({"in_person", "rotation"})

#: The same period on every weekday, per period 1..8.
_PERIOD_COLUMNS = tuple(
    sum(1 << (d * PERIODS + p) for d in range(WEEKDAYS)) for p in range(PERIODS)
)


def bit(weekday: int, period: int) -> int:
    return 1 << ((weekday - 1) * PERIODS + period - 1)


def mask_of(slots: Iterable[Sequence[int]]) -> int:
    mask = 0
    for weekday, period in slots:
        mask |= bit(weekday, period)
    return mask


def slots_of(mask: int) -> list[tuple[int, int]]:
    return [(i // PERIODS + 1, i % PERIODS + 1) for i in range(SLOTS) if mask >> i & 1]


def slot_name(weekday: int, period: int) -> str:
    return f"{WEEKDAY_NAMES[weekday - 1]} period {period}"


@dataclass(frozen=True, slots=True)
class Place:
    """Where a lesson is taught: a school and its coordinates, when known."""

    unit_id: uuid.UUID
    lat: float | None
    lon: float | None

    def km_to(self, other: Place) -> float:
        if self.unit_id == other.unit_id:
            return 0.0
        if self.lat is None or self.lon is None or other.lat is None or other.lon is None:
            return math.inf
        return haversine_km(self.lat, self.lon, other.lat, other.lon)


@dataclass(frozen=True, slots=True)
class Booking:
    """Slots a teacher is held at a place: the home timetable, or an assignment."""

    label: str
    mask: int
    place: Place


@dataclass(frozen=True, slots=True)
class Clash:
    """Why a booking does not fit: the slot of the new booking and what it runs into."""

    weekday: int
    period: int
    other: str
    kind: str
    needed_minutes: float = 0.0
    available_minutes: float = 0.0

    def describe(self) -> str:
        where = slot_name(self.weekday, self.period)
        if self.kind == "overlap":
            return f"{where} is taken by {self.other}"
        needed = "unknown" if math.isinf(self.needed_minutes) else f"{self.needed_minutes:.0f}"
        return (
            f"{where}: travel from or to {self.other} needs {needed} min, "
            f"the timetable leaves {self.available_minutes:.0f} min"
        )


@dataclass(frozen=True)
class SchoolDay:
    """The bell schedule and travel speed that decide whether two places fit in one day."""

    period_minutes: int = 40
    break_minutes: int = 10
    lunch_after_period: int = 4
    lunch_minutes: int = 120
    speed_kmh: float = 30.0
    buffer_minutes: float = 10.0

    @cached_property
    def starts(self) -> tuple[int, ...]:
        minute, starts = 0, []
        for p in range(1, PERIODS + 1):
            starts.append(minute)
            pause = self.lunch_minutes if p == self.lunch_after_period else self.break_minutes
            minute += self.period_minutes + pause
        return tuple(starts)

    def gap(self, p: int, q: int) -> int:
        """Minutes between the end of the earlier and the start of the later of two periods."""
        first, last = min(p, q), max(p, q)
        return self.starts[last - 1] - self.starts[first - 1] - self.period_minutes

    @cached_property
    def gap_pairs(self) -> tuple[tuple[int, tuple[tuple[int, int], ...]], ...]:
        """Distinct gaps, smallest first, each with its ordered period pairs (0-based)."""
        by_gap: dict[int, list[tuple[int, int]]] = {}
        for p in range(PERIODS):
            for q in range(PERIODS):
                if p != q:
                    by_gap.setdefault(self.gap(p + 1, q + 1), []).append((p, q))
        return tuple((g, tuple(pairs)) for g, pairs in sorted(by_gap.items()))

    def travel_minutes(self, km: float) -> float:
        if km == 0:
            return 0.0
        return km / self.speed_kmh * 60 + self.buffer_minutes

    def neighbours_by_gap(self, mask: int) -> list[tuple[int, int]]:
        """For each distinct gap, the slots that lie exactly that far from a slot of `mask`."""
        result = []
        for gap, pairs in self.gap_pairs:
            near = 0
            for p, q in pairs:
                column = mask & _PERIOD_COLUMNS[p]
                near |= column << (q - p) if q > p else column >> (p - q)
            if near:
                result.append((gap, near))
        return result

    def clash(self, bookings: Iterable[Booking], mask: int, place: Place) -> Clash | None:
        """The first clash of a new booking with existing ones, travel included; None if free."""
        for booking in bookings:
            overlap = booking.mask & mask
            if overlap:
                w, p = slots_of(overlap & -overlap)[0]
                return Clash(w, p, booking.label, "overlap")
            needed = self.travel_minutes(booking.place.km_to(place))
            if needed == 0:
                continue
            for w, p in slots_of(mask):
                for q in range(1, PERIODS + 1):
                    if q != p and booking.mask & bit(w, q) and self.gap(p, q) < needed:
                        return Clash(w, p, booking.label, "travel", needed, self.gap(p, q))
        return None
