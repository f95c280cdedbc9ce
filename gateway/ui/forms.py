"""A service's problem+json as messages beside the form's fields, in the user's language."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from gateway.ui.client import ApiProblem
from gateway.ui.i18n import N_

#: Pydantic's error codes, as the services send them in `errors[].code`.
FIELD_CODES = {
    "missing": N_("This field is required."),
    "string_too_short": N_("This field is required."),
    "string_too_long": N_("This is too long."),
    "string_pattern_mismatch": N_("This is not in the expected format."),
    "greater_than_equal": N_("This number is too small."),
    "greater_than": N_("This number is too small."),
    "less_than_equal": N_("This number is too large."),
    "less_than": N_("This number is too large."),
    "int_parsing": N_("Enter a whole number."),
    "int_type": N_("Enter a whole number."),
    "float_parsing": N_("Enter a number."),
    "date_from_datetime_parsing": N_("Enter a date."),
    "date_parsing": N_("Enter a date."),
    "uuid_parsing": N_("Choose one from the list."),
    "literal_error": N_("Choose one from the list."),
    "enum": N_("Choose one from the list."),
    "value_error": N_("This value is not accepted."),
    "too_short": N_("Choose at least one."),
    "too_long": N_("Too many chosen."),
}

#: Domain problems by their type, for a message the user can act on.
PROBLEMS = {
    "conflict": N_("This is not possible in the current state."),
    "not-found": N_("It no longer exists, or it is not in your scope."),
    "forbidden": N_("Your role may not do this."),
    "route-forbidden": N_("Your role may not do this."),
    "csrf-failed": N_("The form had expired. Please try again."),
    "invalid-input": N_("Some fields are not valid: see the messages beside them."),
    "timetable-clash": N_("The teacher is not free at those periods."),
    "over-weekly-cap": N_("The teacher would go over their weekly cap of shared periods."),
    "unavailable": N_("A service is not answering. Please try again shortly."),
}

#: The services' own words for a field of a form here, so they read in the user's language too;
#: a message not listed is shown as the service wrote it.
SERVICE_MESSAGES = (
    N_("the month is not over yet"),
    N_("the assignment has already ended"),
    N_("cannot end more than a month in the past"),
    N_("the posting is closed already"),
    N_("apply_until must not come before apply_from"),
    N_("no such district in your scope"),
)


@dataclass
class FormErrors:
    """What went wrong with a form: a summary, the service's own words, and per-field messages."""

    summary: str = ""
    detail: str = ""
    fields: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.summary or self.fields)


def explain(problem: ApiProblem, _: Callable[..., str]) -> FormErrors:
    """A message for the whole form and one for each field at fault."""
    translate = _
    fields = {
        name: translate(FIELD_CODES[error["code"]])
        if error["code"] in FIELD_CODES
        else (translate(error["message"]) if error["message"] else "")
        for name, error in problem.field_errors().items()
    }
    # A service's own conflict types (pool-exhausted, …) read as a conflict.
    summary = PROBLEMS.get(problem.slug) or (PROBLEMS["conflict"] if problem.status == 409 else "")
    return FormErrors(
        summary=translate(summary) if summary else _("The request was refused."),
        detail=translate(problem.detail) if problem.detail else "",
        fields=fields,
    )


def invalid(_: Callable[..., str], **fields: str) -> FormErrors:
    """Errors the UI finds itself before calling a service (a number that is not a number)."""
    translate = _
    return FormErrors(summary=translate(PROBLEMS["invalid-input"]), fields=fields)
