"""The in-memory matching index: every teacher's profile in arrays, bucketed by certificate.

Ranking a request reads one (subject, stage) bucket and filters it with whole-array operations:
the home timetable is a 40-bit integer, so "free in every slot" is one AND, and the travel rule
is a handful of ANDs against the slots within reach of each gap of the day (see timetable.py).
Only teachers who already hold assignments (few) are checked one by one. The index follows the
database by reading the rows changed since its last look, so it is only ever a shortlist: the
booking itself is re-checked under a lock when an offer is accepted.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from common.db import utcnow
from common.geo import haversine_km
from contracts.vocabulary import qualified
from services.sharing.models import Assignment, Teacher, Unit
from services.sharing.timetable import TRAVELLING_MODES, Booking, Place, SchoolDay

MODE_BITS = {"in_person": 1, "online": 2, "rotation": 4}
#: Rows changed this long before the last look are read again, for transactions that were
#: still open when we looked (their updated_at is older than their commit).
REFRESH_OVERLAP = timedelta(seconds=10)

#: Weights of the score (they add up to 100).
FIT_POINTS, NEAR_POINTS, FAIR_POINTS, RATING_POINTS = 25.0, 30.0, 25.0, 20.0
#: Beyond this distance an in-person candidate earns no points for nearness.
FAR_KM = 60.0


@dataclass(frozen=True, slots=True)
class Need:
    """What a request asks for, as the index needs it."""

    subject: str
    stage: str
    mode: str
    mask: int
    periods: int
    host: Place
    starts_on: date
    ends_on: date
    #: The host's district: a travelling teacher must have named it among their areas.
    host_district: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class HeldBooking:
    """An active assignment in the index; `place` None means taught online from home."""

    mask: int
    starts_on: date
    ends_on: date
    place: Place | None
    periods: int


@dataclass(frozen=True, slots=True)
class Candidate:
    """An eligible teacher, the score and the reasons for it."""

    teacher_id: uuid.UUID
    name: str
    home_unit_id: uuid.UUID
    score: float
    distance_km: float | None
    travel_minutes: float | None
    load: int
    weekly_cap: int
    reasons: list[dict[str, object]]


@dataclass(slots=True)
class Eligible:
    """Every eligible teacher for a need, as parallel arrays (row, km, load, score)."""

    rows: np.ndarray
    km: np.ndarray
    load: np.ndarray
    score: np.ndarray


#: The per-teacher columns a ranking filters and scores on, copied into each bucket.
_COLUMNS = ("live", "modes", "unit", "home", "cap", "lat", "lon", "areas", "rating")


@dataclass(slots=True)
class _Bucket:
    rows: set[int] = field(default_factory=set)
    cached: dict[str, np.ndarray] | None = None
    """The bucket's rows in order, whether each teaches the pair, and a contiguous copy of
    every column in `_COLUMNS` for those rows: at a province's size, reading the columns
    through the rows scattered over the whole index costs more than the ranking itself."""


class TeacherIndex:
    """Teachers by (subject, stage) certificate, with their timetables as integers."""

    def __init__(self, day: SchoolDay, capacity: int = 1024) -> None:
        self.day = day
        self.size = 0
        self.ids: list[uuid.UUID] = []
        self.names: list[str] = []
        self.units: list[uuid.UUID] = []
        self.row_of: dict[uuid.UUID, int] = {}
        self._unit_codes: dict[uuid.UUID, int] = {}
        self.unit = np.zeros(capacity, np.int32)
        self.lat = np.full(capacity, np.nan)
        self.lon = np.full(capacity, np.nan)
        self.home = np.zeros(capacity, np.int64)
        self.cap = np.zeros(capacity, np.int32)
        self.rating = np.zeros(capacity, np.float64)
        self.evaluated = np.zeros(capacity, np.int32)
        self.modes = np.zeros(capacity, np.int8)
        self.live = np.zeros(capacity, bool)
        self.booked = np.zeros(capacity, bool)
        self.areas = np.zeros(capacity, np.uint64)
        self._district_bits: dict[uuid.UUID, int] = {}
        self.honours: list[tuple[str, ...]] = []
        self._keys: list[tuple[frozenset[tuple[str, str]], frozenset[tuple[str, str]]]] = []
        self._certified: dict[tuple[str, str], _Bucket] = {}
        self._teaching: dict[tuple[str, str], set[int]] = {}
        self.bookings: dict[int, dict[uuid.UUID, HeldBooking]] = {}
        self._seen_teachers: datetime | None = None
        self._seen_assignments: datetime | None = None

    # --- keeping up with the database ---------------------------------------------------

    def _grow(self) -> None:
        capacity = len(self.unit) * 2
        for name, fill in (
            ("unit", 0),
            ("lat", np.nan),
            ("lon", np.nan),
            ("home", 0),
            ("cap", 0),
            ("rating", 0),
            ("evaluated", 0),
            ("modes", 0),
            ("live", False),
            ("booked", False),
            ("areas", 0),
        ):
            old = getattr(self, name)
            new = np.full(capacity, fill, old.dtype)
            new[: len(old)] = old
            setattr(self, name, new)

    def _unit_code(self, unit_id: uuid.UUID) -> int:
        code = self._unit_codes.get(unit_id)
        if code is None:
            code = self._unit_codes[unit_id] = len(self._unit_codes)
        return code

    def _district_bit(self, district_id: uuid.UUID) -> np.uint64:
        """The district's bit in `areas`. Past 64 districts the last bit is shared: the index
        then lists a few teachers the offer check refuses, never hides one it would accept."""
        code = self._district_bits.get(district_id)
        if code is None:
            code = self._district_bits[district_id] = min(len(self._district_bits), 63)
        return np.uint64(1 << code)

    def put_teacher(
        self,
        teacher_id: uuid.UUID,
        *,
        name: str,
        unit_id: uuid.UUID,
        lat: float | None,
        lon: float | None,
        home: int,
        cap: int,
        rating: float,
        modes: Iterable[str],
        live: bool,
        certificates: Iterable[tuple[str, str]],
        teaching: Iterable[tuple[str, str]],
        areas: Iterable[uuid.UUID] | None = None,
        honours: Iterable[str] = (),
        evaluations: int = 0,
    ) -> None:
        """Add or replace one teacher; `certificates` (what they may be offered) and `teaching`
        are (subject, stage) pairs; `areas` the districts they travel to, None for any."""
        row = self.row_of.get(teacher_id)
        if row is None:
            row = self.size
            if row == len(self.unit):
                self._grow()
            self.size += 1
            self.row_of[teacher_id] = row
            self.ids.append(teacher_id)
            self.names.append(name)
            self.units.append(unit_id)
            self._keys.append((frozenset(), frozenset()))
            self.honours.append(())
        self.names[row], self.units[row] = name, unit_id
        self.honours[row] = tuple(honours)
        if areas is None:
            self.areas[row] = np.uint64(0xFFFF_FFFF_FFFF_FFFF)
        else:
            bits = np.uint64(0)
            for area in areas:
                bits |= self._district_bit(area)
            self.areas[row] = bits
        self.unit[row] = self._unit_code(unit_id)
        self.lat[row] = np.nan if lat is None else lat
        self.lon[row] = np.nan if lon is None else lon
        self.home[row] = home
        self.cap[row] = cap
        self.rating[row] = rating
        self.evaluated[row] = evaluations
        self.modes[row] = sum(MODE_BITS.get(m, 0) for m in set(modes))
        self.live[row] = live
        old_certified, old_teaching = self._keys[row]
        certified, teaches = frozenset(certificates), frozenset(teaching)
        for key in old_certified & certified:  # their copies of this teacher's columns
            self._certified[key].cached = None
        for key in old_certified - certified:
            bucket = self._certified[key]
            bucket.rows.discard(row)
            bucket.cached = None
        for key in certified - old_certified:
            bucket = self._certified.setdefault(key, _Bucket())
            bucket.rows.add(row)
            bucket.cached = None
        for key in old_teaching ^ teaches:
            rows = self._teaching.setdefault(key, set())
            if key in teaches:
                rows.add(row)
            else:
                rows.discard(row)
            if key in self._certified:
                self._certified[key].cached = None
        self._keys[row] = (certified, teaches)

    def put_assignment(
        self,
        assignment_id: uuid.UUID,
        teacher_id: uuid.UUID,
        *,
        active: bool,
        booking: HeldBooking,
    ) -> None:
        row = self.row_of.get(teacher_id)
        if row is None:
            return
        held = self.bookings.setdefault(row, {})
        if active:
            held[assignment_id] = booking
        else:
            held.pop(assignment_id, None)
        self.booked[row] = bool(held)

    async def refresh(self, session: AsyncSession) -> None:
        """Read the teachers and assignments changed since the last look."""
        started = utcnow()
        stmt = select(Teacher, col(Unit.lat), col(Unit.lon)).outerjoin(
            Unit, col(Unit.id) == col(Teacher.unit_id)
        )
        if self._seen_teachers is not None:
            stmt = stmt.where(col(Teacher.updated_at) > self._seen_teachers - REFRESH_OVERLAP)
        for teacher, lat, lon in (await session.execute(stmt)).all():
            self.put_teacher(
                teacher.id,
                name=teacher.name,
                unit_id=teacher.unit_id,
                lat=lat,
                lon=lon,
                home=teacher.home_timetable,
                cap=teacher.weekly_cap,
                rating=teacher.rating,
                modes=teacher.modes,
                live=teacher.active and teacher.library_status == "listed",
                certificates=listed_pairs(teacher),
                teaching=[(s, g) for s in teacher.subjects for g in teacher.stages],
                areas=[uuid.UUID(a) for a in teacher.areas],
                honours=[h["name"] for h in teacher.honours],
                evaluations=teacher.evaluations,
            )
        self._seen_teachers = started
        held = select(Assignment, col(Unit.lat), col(Unit.lon)).outerjoin(
            Unit, col(Unit.id) == col(Assignment.host_unit_id)
        )
        if self._seen_assignments is not None:
            held = held.where(col(Assignment.updated_at) > self._seen_assignments - REFRESH_OVERLAP)
        for a, lat, lon in (await session.execute(held)).all():
            self.put_assignment(
                a.id,
                a.teacher_id,
                active=a.status == "active",
                booking=HeldBooking(
                    mask=a.slot_mask,
                    starts_on=a.starts_on,
                    ends_on=a.ends_on,
                    place=Place(a.host_unit_id, lat, lon) if a.mode in TRAVELLING_MODES else None,
                    periods=a.periods,
                ),
            )
        self._seen_assignments = started

    # --- ranking -------------------------------------------------------------------------

    def _bucket(self, subject: str, stage: str) -> dict[str, np.ndarray]:
        bucket = self._certified.get((subject, stage))
        if bucket is None:
            bucket = _Bucket()
        if bucket.cached is None:
            rows = np.fromiter(sorted(bucket.rows), np.int64, len(bucket.rows))
            teaching = self._teaching.get((subject, stage), set())
            cached = {name: getattr(self, name)[rows] for name in _COLUMNS}
            cached["rows"] = rows
            cached["teaches"] = np.fromiter((r in teaching for r in rows), bool, len(rows))
            bucket.cached = cached
        return bucket.cached

    def held_for(self, row: int, need: Need) -> tuple[list[Booking], int]:
        """The row's assignments overlapping the need's dates as bookings, and their periods."""
        home = Place(self.units[row], _float(self.lat[row]), _float(self.lon[row]))
        bookings, load = [], 0
        for assignment_id, held in self.bookings.get(row, {}).items():
            if held.starts_on <= need.ends_on and held.ends_on >= need.starts_on:
                bookings.append(
                    Booking(f"assignment {assignment_id}", held.mask, held.place or home)
                )
                load += held.periods
        return bookings, load

    def eligible(self, need: Need) -> Eligible:
        """Every teacher who can take the need today, with distance, load and score."""
        c = self._bucket(need.subject, need.stage)
        host_code = self._unit_codes.get(need.host.unit_id, -1)
        keep = (
            c["live"]
            & (c["modes"] & MODE_BITS[need.mode] != 0)
            & (c["unit"] != host_code)
            & (c["home"] & need.mask == 0)
            & (c["cap"] >= need.periods)
        )
        c = {name: column[keep] for name, column in c.items()}
        if need.host.lat is None or need.host.lon is None:
            km = np.full(len(c["rows"]), np.inf)
        else:
            km = haversine_km(c["lat"], c["lon"], need.host.lat, need.host.lon)
            km = np.where(np.isnan(km), np.inf, km)
        travelling = need.mode in TRAVELLING_MODES
        if travelling and need.host_district is not None:
            keep = c["areas"] & self._district_bit(need.host_district) != 0
            c, km = {name: column[keep] for name, column in c.items()}, km[keep]
        if travelling:
            minutes = km / self.day.speed_kmh * 60 + self.day.buffer_minutes
            unreachable = np.zeros(len(km), np.int64)
            for gap, neighbours in self.day.neighbours_by_gap(need.mask):
                unreachable |= np.where(minutes > gap, neighbours, 0)
            keep = c["home"] & unreachable == 0
            c, km = {name: column[keep] for name, column in c.items()}, km[keep]
        rows, teaches = c["rows"], c["teaches"]
        load = np.zeros(len(rows), np.int64)
        keep = np.ones(len(rows), bool)
        place = need.host if travelling else None
        for i in np.flatnonzero(self.booked[rows]):
            row = int(rows[i])
            bookings, held = self.held_for(row, need)
            home = Place(self.units[row], _float(self.lat[row]), _float(self.lon[row]))
            load[i] = held
            clash = self.day.clash(bookings, need.mask, place or home)
            keep[i] = clash is None and held + need.periods <= self.cap[row]
        rows, teaches, km, load = rows[keep], teaches[keep], km[keep], load[keep]
        cap, rating = c["cap"][keep], c["rating"][keep]
        near = np.clip(1 - km / FAR_KM, 0, 1) if travelling else np.ones(len(rows))
        score = (
            np.where(teaches, FIT_POINTS, FIT_POINTS * 0.6)
            + NEAR_POINTS * near
            + FAIR_POINTS * (1 - load / np.maximum(cap, 1))
            + RATING_POINTS * rating / 5
        )
        return Eligible(rows=rows, km=km, load=load, score=score)

    def rank(self, need: Need, limit: int) -> list[Candidate]:
        """The best `limit` eligible teachers, best first, each with its reasons."""
        found = self.eligible(need)
        if len(found.rows) > limit:
            top = np.argpartition(-found.score, limit - 1)[:limit]
        else:
            top = np.arange(len(found.rows))
        top = top[np.lexsort((found.rows[top], -found.score[top]))]
        return [self._candidate(need, found, int(i)) for i in top]

    def _candidate(self, need: Need, found: Eligible, i: int) -> Candidate:
        row = int(found.rows[i])
        km = float(found.km[i])
        travelling = need.mode in TRAVELLING_MODES
        minutes = self.day.travel_minutes(km) if travelling and math.isfinite(km) else None
        teaches = (need.subject, need.stage) in self._keys[row][1]
        load, cap = int(found.load[i]), int(self.cap[row])
        fair = FAIR_POINTS * (1 - load / max(cap, 1))
        near = NEAR_POINTS * (max(0.0, min(1.0, 1 - km / FAR_KM)) if travelling else 1.0)
        rating, evaluated = float(self.rating[row]), int(self.evaluated[row])
        reasons: list[dict[str, object]] = [
            reason(
                "certificate",
                FIT_POINTS if teaches else FIT_POINTS * 0.6,
                "certified_teaching" if teaches else "certified_not_teaching",
                f"certified for {need.stage} {need.subject}"
                + ("; teaches it now" if teaches else "; does not teach it now"),
                stage=need.stage,
                subject=need.subject,
            ),
            reason(
                "free",
                0,
                "free_with_travel" if minutes is not None else "free",
                f"free in all {need.periods} slots"
                + (f", {minutes:.0f} min travel counted" if minutes is not None else ""),
                periods=need.periods,
                **({"minutes": round(minutes)} if minutes is not None else {}),
            ),
            reason(
                "distance", near, "distance", f"{km:.1f} km from the home school", km=round(km, 1)
            )
            if math.isfinite(km)
            else reason("distance", near, "location_unknown", "location unknown"),
            reason(
                "load",
                fair,
                "load",
                f"{load} of {cap} shared periods a week already booked",
                load=load,
                cap=cap,
            ),
            reason(
                "rating",
                RATING_POINTS * rating / 5,
                "rated",
                f"rated {rating:.1f} of 5 from {evaluated} evaluations, recent ones weighing more",
                rating=round(rating, 1),
                evaluations=evaluated,
            )
            if evaluated
            else reason(
                "rating",
                RATING_POINTS * rating / 5,
                "not_rated",
                f"no evaluations yet (neutral {rating:.1f})",
                rating=round(rating, 1),
            ),
        ]
        if self.honours[row]:
            honours = "、".join(self.honours[row])
            reasons.append(reason("honours", 0, "honours", honours, honours=honours))
        return Candidate(
            teacher_id=self.ids[row],
            name=self.names[row],
            home_unit_id=self.units[row],
            score=round(float(found.score[i]), 2),
            distance_km=round(km, 2) if math.isfinite(km) else None,
            travel_minutes=round(minutes, 1) if minutes is not None else None,
            load=load,
            weekly_cap=cap,
            reasons=reasons,
        )


def reason(
    factor: str, points: float, code: str, detail: str, **params: str | int | float
) -> dict[str, object]:
    """One factor of a score: `detail` in English for API readers, and `code` with `params` for
    a client that words it in its own language."""
    return {
        "factor": factor,
        "points": round(points, 1),
        "detail": detail,
        "code": code,
        "params": params,
    }


def listed_pairs(teacher: Teacher) -> list[tuple[str, str]]:
    """The (subject, stage) pairs the library approved, while a certificate still covers them."""
    held = teacher.certificate_pairs()
    return [(s, g) for s, g in teacher.offered if qualified(held, g, s)]


def _float(value: float) -> float | None:
    return None if np.isnan(value) else float(value)
