"""A city's districts and schools as the demo seeds read them; `teacherpool.demo` generates one.

The services' and the gateway's seeds take a city as an argument, so none of them imports the
generator (or anything else above the services).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from contracts.vocabulary import Stage


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
