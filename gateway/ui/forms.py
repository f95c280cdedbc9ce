"""A service's problem+json as messages beside the form's fields, in the user's language."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from gateway.ui.client import ApiProblem
from gateway.ui.i18n import N_
from gateway.ui.labels import LABELS, label
from gateway.ui.render import local_date

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

WEEKDAYS = {
    "1": N_("Mon"),
    "2": N_("Tue"),
    "3": N_("Wed"),
    "4": N_("Thu"),
    "5": N_("Fri"),
    "6": N_("Sat"),
    "7": N_("Sun"),
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
    "illegal-transition": N_("This is not possible in the current state."),
    "already-taken": N_("This is already taken."),
    "rate-limited": N_("Too many requests. Please wait a moment and try again."),
    "account-locked": N_("The account is locked for a while after too many failed log-ins."),
    "body-too-large": N_("The file is too large."),
    "lesson-not-yet-due": N_("The lesson is not yet due: mark it on or after its day."),
    "lesson-settled": N_(
        "The lesson is already in a settlement; a correction goes into a later one."
    ),
    "live-offer-exists": N_("The teacher already has a live offer for this request."),
    "offer-expired": N_("The offer has expired."),
    "teacher-left": N_("The teacher has left the roster."),
    "application-under-review": N_("An application is already under review."),
    "no-vacancy": N_("The unit has too few vacant posts."),
    "pool-exhausted": N_("The pool holds too few posts."),
    "below-held-posts": N_("The cut goes below the posts in use."),
    "over-repayment": N_("That is more than the loan has outstanding."),
    "not-on-roster": N_("The person is no longer on the roster."),
    "pool-not-open": N_("The pool is not open."),
    "posts-reserved": N_("Posts are held for open postings."),
    "posting-not-accepting": N_("The posting takes no applications."),
    "no-held-posts": N_("Staffing holds no posts for the posting."),
    "posting-filled": N_("Every post of the posting is filled."),
    "candidate-erased": N_("The candidate was erased."),
    "same-application-twice": N_("Both candidates applied to the same posting."),
    "endpoint-disabled": N_("The webhook endpoint is disabled."),
    "already-applied": N_("The candidate has applied already."),
    "move-already-proposed": N_("The lesson already has a move waiting for an answer."),
    "workbook-too-large": N_("The workbook is over the upload limits (size, sheets or rows)."),
}

#: What an illegal transition's `state_of` names: the labels of its states, and the sentence
#: that says which one it is in now.
STATES = {
    "lesson": ("lesson_status", N_("The lesson is now: %(state)s.")),
    "lesson_move": ("move_status", N_("The lesson move is now: %(state)s.")),
    "request": ("request_status", N_("The request is now: %(state)s.")),
    "offer": ("offer_status", N_("The offer is now: %(state)s.")),
    "library_application": (
        "library_application",
        N_("The library application is now: %(state)s."),
    ),
    "library_membership": (
        "library_status",
        N_("The teacher's place in the library is now: %(state)s."),
    ),
    "pool_application": ("application_status", N_("The pool application is now: %(state)s.")),
    "unit": ("unit_status", N_("The school is now: %(state)s.")),
    "posting": ("posting_status", N_("The posting is now: %(state)s.")),
    "batch_match": ("batch_status", N_("The batch proposal is now: %(state)s.")),
}

#: The services' own words for a field of a form here or for a refusal, so they read in the
#: user's language too; a message not listed is shown as the service wrote it.
SERVICE_MESSAGES = (
    N_("the month is not over yet"),
    N_("the assignment has already ended"),
    N_("cannot end more than a month in the past"),
    N_("the posting is closed already"),
    N_("apply_until must not come before apply_from"),
    N_("no such district in your scope"),
    N_("the application is already before the city's pool"),
    N_("this assignment was already evaluated for that period"),
    N_("you have already responded to this evaluation"),
    N_("no class-size standard in force"),
)

#: Problem types whose message above says what went wrong in full: a Chinese page leaves out the
#: service's English detail for them; for the general ones (a conflict, invalid input) the detail
#: is the only word on what, so it stays.
SPECIFIC = frozenset(PROBLEMS) - {"conflict", "invalid-input", "illegal-transition", "unavailable"}

#: Problem types worded from the figures they carry: the members needed, and the message
#: (`quota_type` is given as `quota`, the name of the quota type).
FIGURES = {
    "over-weekly-cap": (
        {"load", "adding", "cap"},
        N_(
            "%(load)s shared periods a week are booked; %(adding)s more would pass the cap of "
            "%(cap)s."
        ),
    ),
    "no-vacancy": (
        {"vacant", "needed", "quota_type"},
        N_("%(quota)s vacant at the unit: %(vacant)s; this needs %(needed)s."),
    ),
    "pool-exhausted": (
        {"pool_balance", "granted", "quota_type"},
        N_("%(quota)s in the pool: %(pool_balance)s; this grants %(granted)s."),
    ),
    "below-held-posts": (
        {"remaining", "held", "quota_type"},
        N_(
            "%(quota)s after the cut: %(remaining)s, below the %(held)s held by staff, "
            "reservations and loans."
        ),
    ),
    "over-repayment": (
        {"outstanding", "count"},
        N_("The loan has only %(outstanding)s posts outstanding; %(count)s cannot be repaid."),
    ),
    "posts-reserved": (
        {"reserved", "quota_type"},
        N_(
            "%(quota)s held at the school for open postings: %(reserved)s; close or move those "
            "postings first."
        ),
    ),
    "pool-not-open": ({"quota_type"}, N_("%(quota)s: the city's pool is not open.")),
    "posting-filled": ({"count"}, N_("All %(count)s posts of the posting are filled.")),
}

#: Field messages a service words itself (not a pydantic code), by their text.
FIELD_MESSAGES = {"already taken": N_("This is already taken.")}

#: A service's own field codes worded from the values the field's entry carries, as FIGURES
#: (`stage` is given as the stage's name).
FIELD_FIGURES = {
    "stage_not_taught": ({"unit_code", "stage"}, N_("%(unit_code)s does not teach %(stage)s.")),
    "no_such_grade": ({"stage", "grade"}, N_("%(stage)s has no grade %(grade)s.")),
}


@dataclass
class FormErrors:
    """What went wrong with a form: a summary, the service's own words, and per-field messages."""

    summary: str = ""
    detail: str = ""
    fields: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.summary or self.fields)


def explain(problem: ApiProblem, _: Callable[..., str]) -> FormErrors:
    """A message for the whole form and one for each field at fault, in the page's language.

    The service's own `detail` is English: a Chinese page shows it translated when the catalog
    has it, leaves it out where its own message for the type says it all (SPECIFIC), and words
    the figures and states a problem carries itself (_specific_detail)."""
    translate = _
    english = getattr(_, "language", "en") == "en"
    specific = _specific_detail(problem, _)
    errors = problem.field_errors()
    fields = {
        name: _field_message(error, problem, translate, english, specific)
        for name, error in errors.items()
    }
    # A detail that is a field's message the service coded reads as that field's words.
    specific = specific or next(
        (
            fields[name]
            for name, error in errors.items()
            if error["code"] in FIELD_FIGURES and error["message"] == problem.detail
        ),
        "",
    )
    # A service's own conflict types read as a conflict when this page has no words for them.
    known = PROBLEMS.get(problem.slug)
    summary = known or (PROBLEMS["conflict"] if problem.status == 409 else "")
    worded = translate(problem.detail) if problem.detail else ""
    if specific:
        detail = specific
    elif worded != problem.detail or english or problem.slug not in SPECIFIC:
        detail = worded
    else:
        detail = ""
    return FormErrors(
        summary=translate(summary) if summary else _("The request was refused."),
        detail=detail,
        fields=fields,
    )


def _field_message(
    error: dict[str, str],
    problem: ApiProblem,
    translate: Callable[..., str],
    english: bool,
    specific: str,
) -> str:
    if error["code"] in FIELD_FIGURES and FIELD_FIGURES[error["code"]][0] <= error.keys():
        members, sentence = FIELD_FIGURES[error["code"]]
        values = {key: error[key] for key in members}
        if "stage" in values:
            values["stage"] = label("stage", values["stage"], translate, _language(translate))
        return translate(sentence, **values)
    if error["code"] in FIELD_CODES:
        return translate(FIELD_CODES[error["code"]])
    if error["message"] in FIELD_MESSAGES:
        return translate(FIELD_MESSAGES[error["message"]])
    if specific:
        return specific
    worded = translate(error["message"]) if error["message"] else ""
    if worded != error["message"] or english:
        return worded
    return translate(FIELD_CODES["value_error"])


def _specific_detail(problem: ApiProblem, _: Callable[..., str]) -> str:
    """What a problem's own members say (a clash, a cap, the posts vacant, the state something is
    in), worded in the page's language; never read from the service's English detail."""
    body = problem.body
    lang = _language(_)
    if problem.slug in FIGURES and FIGURES[problem.slug][0] <= body.keys():
        values = {key: body[key] for key in FIGURES[problem.slug][0]}
        if "quota_type" in values:
            values["quota"] = label("quota", values.pop("quota_type"), _, lang)
        return _(FIGURES[problem.slug][1], **values)
    if problem.slug == "not-on-roster" and body.get("staff_status"):
        status = str(body["staff_status"])
        group = "staff_status" if status in LABELS["staff_status"] else "leave_reason"
        return _("The person has left the roster: %(state)s.", state=label(group, status, _, lang))
    if problem.slug == "lesson-not-yet-due" and body.get("taught_on"):
        day = local_date(str(body["taught_on"]), lang)
        return _("The lesson is on %(day)s; it can be marked given from that day on.", day=day)
    if problem.slug == "illegal-transition" and body.get("state_of") in STATES:
        group, sentence = STATES[body["state_of"]]
        if str(body.get("state")) in LABELS[group]:
            return _(sentence, state=label(group, body["state"], _, lang))
    clash = body.get("clash")
    if problem.slug == "timetable-clash" and isinstance(clash, dict):
        where = _(
            "%(day)s, period %(period)s",
            day=_(WEEKDAYS.get(str(clash.get("weekday")), str(clash.get("weekday")))),
            period=clash.get("period"),
        )
        if clash.get("kind") == "overlap":
            return _("%(where)s is taken already.", where=where)
        return _("%(where)s: there is not time enough to travel between the schools.", where=where)
    return ""


def explain_rows(
    problem: ApiProblem,
    _: Callable[..., str],
    names: list[str],
    shared: frozenset[str] = frozenset(),
) -> FormErrors:
    """explain() for a form sent as a list: the error of row N (`body.N.x`) beside the form's
    field `names[N]`, or beside the field `x` itself when every row takes it from there."""
    said = explain(problem, _)
    for error in problem.body.get("errors") or []:
        parts = str(error.get("field", "")).split(".")
        if len(parts) < 3 or parts[0] != "body" or not parts[1].isdigit() or parts[2] in shared:
            continue
        row = int(parts[1])
        if row < len(names):
            one = explain(ApiProblem(problem.status, {**problem.body, "errors": [error]}), _)
            said.fields.pop(parts[2], None)
            said.fields.setdefault(names[row], one.fields.get(parts[2], ""))
    return said


def _language(_: Callable[..., str]) -> str:
    return str(getattr(_, "language", "en"))


def invalid(_: Callable[..., str], **fields: str) -> FormErrors:
    """Errors the UI finds itself before calling a service (a number that is not a number)."""
    translate = _
    return FormErrors(summary=translate(PROBLEMS["invalid-input"]), fields=fields)
