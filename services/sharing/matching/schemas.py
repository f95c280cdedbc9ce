"""Response models of candidate ranking."""

from __future__ import annotations

import uuid

from pydantic import BaseModel


class Reason(BaseModel):
    """One factor of a candidate's score and what it is based on: `detail` in English, and the
    same as `code` with its `params` (subject and stage as vocabulary codes) for a client to word
    in its own language."""

    factor: str
    points: float
    detail: str
    code: str
    params: dict[str, str | int | float]


class CandidatePublic(BaseModel):
    """A ranked teacher. A school sees no name and no home school: what its decision needs is
    the score, the reasons, travel and load; HR, who offers, sees who it is."""

    teacher_id: uuid.UUID
    name: str | None
    home_unit_id: uuid.UUID | None
    score: float
    distance_km: float | None
    travel_minutes: float | None
    load: int
    weekly_cap: int
    reasons: list[Reason]


class CandidatesPublic(BaseModel):
    """Eligible teachers for a request, best first."""

    request_id: uuid.UUID
    data: list[CandidatePublic]
