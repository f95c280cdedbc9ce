"""A city's districts and schools as the demo seeds read them; `teacherpool.demo` generates one.

The services' and the gateway's seeds take a city as an argument, so none of them imports the
generator (or anything else above the services).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date

from contracts.vocabulary import Stage

DEMO_TEACHER_ID = uuid.UUID("5f0c2a8e-7b1d-4c36-9e52-3d8a41b6c7f0")
"""The demo teacher 张老师 of the demo school: one id as staff record (staffing), sharing
profile (sharing) and the account teacher.demo's `teacher_id` (gateway)."""

DEMO_TEACHER_NAME = "张老师"


@dataclass(frozen=True, slots=True)
class DemoDistrict:
    """A county-level unit of Chengdu (区/县/市 or functional zone)."""

    id: uuid.UUID
    code: str
    name: str
    kind: str
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class DemoSchool:
    """A public school of the demo city with this school year's enrolment per stage."""

    id: uuid.UUID
    code: str
    name: str
    district_code: str
    district_id: uuid.UUID
    stages: tuple[Stage, ...]
    lat: float
    lon: float
    enrolment: dict[str, int] = field(hash=False)


@dataclass(frozen=True, slots=True)
class DemoCity:
    """The districts and schools of a city, with lookups by district name or code, school code."""

    districts: tuple[DemoDistrict, ...]
    schools: tuple[DemoSchool, ...]
    demo_school_code: str
    """The school behind the demo accounts school.demo and teacher.demo."""
    _districts_by_name: dict[str, DemoDistrict] = field(
        init=False, repr=False, compare=False, hash=False
    )
    _schools_by_code: dict[str, DemoSchool] = field(
        init=False, repr=False, compare=False, hash=False
    )

    _districts_by_code: dict[str, DemoDistrict] = field(
        init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "_districts_by_name", {d.name: d for d in self.districts})
        object.__setattr__(self, "_districts_by_code", {d.code: d for d in self.districts})
        object.__setattr__(self, "_schools_by_code", {s.code: s for s in self.schools})

    def district_by_name(self, name: str) -> DemoDistrict:
        """The district with this full name (e.g. "青羊区"); KeyError if none."""
        return self._districts_by_name[name]

    def district_by_code(self, code: str) -> DemoDistrict:
        """The district with this code (e.g. "510105"); KeyError if none."""
        return self._districts_by_code[code]

    def school_by_code(self, code: str) -> DemoSchool:
        """The school with this code; KeyError if none."""
        return self._schools_by_code[code]


@dataclass(frozen=True, slots=True)
class DemoStaff:
    """A person on the demo roster as the sharing seed reads it: the facts a sharing profile
    takes from the roster (实名制), so the two services speak of the same people."""

    id: uuid.UUID
    unit_id: uuid.UUID
    name: str
    subject: str | None
    stage: str | None
    title: str | None
    hire_date: date


@dataclass(frozen=True, slots=True)
class DemoPosting:
    """A talent posting of the demo: the staffing seed gives its school the posts it needs
    (a 两自一包 school's control number) or none (so it is blocked until a pool loan)."""

    school: DemoSchool
    quota_type: str
    count: int


def demo_postings(city: DemoCity, seed: int = 2023) -> tuple[DemoPosting, ...]:
    """Twelve postings: eight on control numbers, which staffing holds; four on 编制 at
    schools without a vacancy (the demo school's among them), which staffing refuses."""
    rng = random.Random(seed + 12)  # noqa: S311 demo data, not secrets
    others = [s for s in city.schools if s.code != city.demo_school_code]
    schools = [city.school_by_code(city.demo_school_code), *rng.sample(others, 11)]
    return tuple(
        DemoPosting(school, "bianzhi" if n % 3 == 0 else "control", rng.randint(1, 4))
        for n, school in enumerate(schools)
    )
