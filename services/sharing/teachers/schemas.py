"""Request and response models of teacher profiles."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from common.patch import MergePatch
from contracts.vocabulary import Certificate, Stage, StoredCertificate, Title
from services.sharing.types import Mode, SlotList, Subject


class TeacherUpdate(MergePatch):
    """A profile edit. A teacher may send only the TEACHER_EDITABLE fields; the title may be
    cleared, the lists only emptied (`[]`)."""

    not_clearable = frozenset(
        {"subjects", "stages", "certificates", "modes", "home_timetable"} | {"weekly_cap"}
    )

    subjects: list[Subject] | None = Field(default=None, max_length=10)
    stages: list[Stage] | None = Field(default=None, max_length=5)
    certificates: list[Certificate] | None = Field(default=None, max_length=20)
    title: Title | None = None
    modes: list[Mode] | None = Field(default=None, max_length=3)
    home_timetable: SlotList | None = None
    weekly_cap: int | None = Field(default=None, ge=0, le=40)


class TeacherPublic(BaseModel):
    """A teacher's sharing profile."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    unit_id: uuid.UUID
    district_id: uuid.UUID | None
    name: str
    title: str | None
    subjects: list[str]
    stages: list[str]
    certificates: list[StoredCertificate]
    modes: list[str]
    home_timetable: list[tuple[int, int]]
    weekly_cap: int
    library_status: str
    offered: list[tuple[str, str]]
    areas: list[uuid.UUID]
    honours: list[dict[str, str]]
    rating: float
    evaluations: int
    active: bool
    left_on: date | None


class TimetableCell(BaseModel):
    """What fills one weekday × period: the home timetable or a shared assignment."""

    weekday: int
    period: int
    kind: str
    unit_id: uuid.UUID
    assignment_id: uuid.UUID | None = None
    teacher_id: uuid.UUID | None = None
    subject: str | None = None


class Timetable(BaseModel):
    """A weekly timetable as of a date."""

    on: date
    cells: list[TimetableCell]
