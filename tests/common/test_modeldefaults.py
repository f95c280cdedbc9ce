"""Table rows get their defaults as before once pydantic's answers about factories are kept."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field
from pydantic._internal import _fields

import common.db  # noqa: F401  installs the kept answers, as every service does
from services.sharing.models import Teacher


def teacher() -> Teacher:
    return Teacher(
        id=uuid.uuid4(), unit_id=uuid.uuid4(), name="张", weekly_cap=4, as_of=datetime.now(UTC)
    )


def test_each_row_gets_lists_of_its_own():
    first, second = teacher(), teacher()
    assert first.subjects == [] and first.areas == []
    first.subjects.append("数学")
    assert second.subjects == []


def test_a_factory_that_takes_the_validated_data_still_gets_it():
    def from_data(data: dict[str, Any]) -> str:
        return f"{data['name']}-copy"

    class Named(BaseModel):
        name: str
        echo: str = Field(default_factory=from_data)

    assert _fields.takes_validated_data_argument(from_data)
    assert not _fields.takes_validated_data_argument(list)
    assert Named(name="a").echo == "a-copy"
    assert Named.model_construct(name="b").echo == "b-copy"
