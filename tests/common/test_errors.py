"""Each service names its domain errors; each maps to one problem type of its own."""

from __future__ import annotations

import importlib
import inspect

import pytest

from common import errors as common_errors
from common.errors import DomainError, IllegalTransition, problem_for
from gateway import errors as gateway_errors

MODULES = [
    common_errors,
    gateway_errors,
    *(importlib.import_module(f"services.{s}.errors") for s in ("staffing", "sharing", "talent")),
]


def domain_errors() -> list[type[DomainError]]:
    found: dict[str, type[DomainError]] = {}
    for module in MODULES:
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, DomainError) and cls.__module__ == module.__name__:
                found[f"{cls.__module__}.{cls.__name__}"] = cls
    return list(found.values())


def test_every_service_has_an_errors_module_with_named_errors() -> None:
    for module in MODULES[2:]:
        own = [c for c in domain_errors() if c.__module__ == module.__name__]
        assert own, f"{module.__name__} names no domain error"


def test_each_error_has_its_own_problem_type_and_title() -> None:
    slugs = [cls.slug for cls in domain_errors()]
    assert len(slugs) == len(set(slugs)), sorted(s for s in slugs if slugs.count(s) > 1)
    for cls in domain_errors():
        assert cls.title and cls.slug.islower(), cls


@pytest.mark.parametrize("state", ["decided", None])
def test_an_illegal_transition_is_a_409_naming_the_state(state: str | None) -> None:
    answer = problem_for(IllegalTransition("the application was decided", state=state), "/x")
    body = bytes(answer.body).decode()
    assert answer.status_code == 409
    assert '"type":"/problems/illegal-transition"' in body
    assert ('"state":"decided"' in body) == (state is not None)


def test_an_illegal_transition_names_what_is_in_the_state() -> None:
    error = IllegalTransition("the lesson is given", state="given", state_of="lesson")
    body = bytes(problem_for(error, "/x").body).decode()
    assert '"state":"given"' in body and '"state_of":"lesson"' in body
    assert (
        "state_of"
        not in bytes(problem_for(IllegalTransition("x", state="given"), "/x").body).decode()
    )
