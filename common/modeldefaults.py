"""Table rows built without asking pydantic the same question of every default on every row.

SQLModel builds a row through pydantic's `FieldInfo.get_default`, which asks of each default
factory, on every construction, whether it takes the validated data, by `inspect.signature`; for a
builtin such as `list` that parses its text signature each time (about 0.2 ms a field, 3 ms for a
sharing teacher with its nine lists). A factory's signature does not change while it lives, so the
answer is kept per factory. Without pydantic's helper (another pydantic) nothing is changed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic._internal import _fields
from typing_extensions import TypeIs

Factory = Callable[[], Any] | Callable[[dict[str, Any]], Any]

_ask: Callable[[Factory], bool] | None = getattr(_fields, "takes_validated_data_argument", None)
#: id(factory) → (factory, answer); the factory is kept so that its id is never reused.
_answers: dict[int, tuple[Factory, bool]] = {}


def _takes_validated_data_argument(
    default_factory: Factory,
) -> TypeIs[Callable[[dict[str, Any]], Any]]:
    assert _ask is not None
    known = _answers.get(id(default_factory))
    if known is None or known[0] is not default_factory:
        known = (default_factory, _ask(default_factory))
        _answers[id(default_factory)] = known
    return known[1]


def install() -> None:
    """Answer from the kept answers from now on (once per process; again changes nothing)."""
    if _ask is not None:
        _fields.takes_validated_data_argument = _takes_validated_data_argument
