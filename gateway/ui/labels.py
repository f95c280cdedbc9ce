"""Names shown for the API's codes (quota types, stages, states…), translated where shown."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from contracts import vocabulary
from gateway.ui.i18n import N_

LABELS: dict[str, dict[str, str]] = {
    "quota": {
        "bianzhi": N_("Established posts"),
        "yuan_e": N_("Contract headcount"),
        "control": N_("Control number"),
    },
    "kind": {"district": N_("District"), "school": N_("School")},
    "reason_kind": {
        "new_school": N_("New school"),
        "enrolment_growth": N_("Enrolment growth"),
        "subject_shortage": N_("Subject shortage"),
        "high_level_talent": N_("High-level talent"),
    },
    "application_status": {
        "pending": N_("Pending"),
        "approved": N_("Approved"),
        "partially_approved": N_("Approved in part"),
        "rejected": N_("Rejected"),
    },
    "loan_state": {"open": N_("Open"), "overdue": N_("Overdue"), "repaid": N_("Repaid")},
    "mode": {
        "in_person": N_("In person"),
        "online": N_("Online"),
        "rotation": N_("Term rotation"),
    },
    "request_status": {
        "pending_approval": N_("Awaiting district approval"),
        "open": N_("Open"),
        "filled": N_("Filled"),
        "cancelled": N_("Cancelled"),
    },
    "offer_status": {
        "sent": N_("Awaiting home school"),
        "consented": N_("Awaiting teacher"),
        "refused": N_("Refused by home school"),
        "accepted": N_("Accepted"),
        "declined": N_("Declined"),
        "expired": N_("Expired"),
    },
    "lesson_status": {
        "scheduled": N_("Scheduled"),
        "given": N_("Given"),
        "confirmed": N_("Confirmed"),
        "disputed": N_("Disputed"),
        "covered": N_("Covered (代课)"),
        "cancelled": N_("Cancelled"),
    },
    "assignment_status": {"active": N_("Active"), "ended": N_("Ended")},
    "move_status": {
        "proposed": N_("Awaiting an answer"),
        "accepted": N_("Accepted"),
        "declined": N_("Declined"),
        "withdrawn": N_("Withdrawn"),
    },
    "batch_status": {"proposed": N_("Proposed, no offers sent yet"), "offered": N_("Offers sent")},
    "posting_status": {
        "draft": N_("Draft"),
        "pending_quota": N_("Waiting for posts"),
        "open": N_("Open"),
        "blocked": N_("Blocked"),
        "closed": N_("Closed"),
    },
    "degree": {
        "associate": N_("Associate degree"),
        "bachelor": N_("Bachelor's degree"),
        "master": N_("Master's degree"),
        "doctorate": N_("Doctorate"),
    },
    "day_kind": {"holiday": N_("Day off"), "workday": N_("Working day (调休)")},
    "library_status": {
        "none": N_("Not in the library"),
        "listed": N_("Listed for matching"),
        "paused": N_("Paused"),
        "left": N_("Left the library"),
    },
    "library_application": {
        "applied": N_("Awaiting the school"),
        "consented": N_("Awaiting district HR"),
        "approved": N_("Approved"),
        "returned": N_("Returned"),
        "withdrawn": N_("Withdrawn"),
    },
    "honour": {
        "backbone": N_("Backbone teacher (骨干教师)"),
        "subject_leader": N_("Subject leader (学科带头人)"),
        "famous": N_("Master teacher (名师)"),
    },
    "role": {
        "city_hr": N_("City HR"),
        "staffing_commission": N_("Staffing commission"),
        "district_hr": N_("District HR"),
        "school_admin": N_("School administrator"),
        "teacher": N_("Teacher"),
        "auditor": N_("Auditor"),
    },
    "account": {
        "approved": N_("Approved posts"),
        "occupied": N_("Occupied"),
        "reserved": N_("Reserved"),
        "pool": N_("Pool"),
        "borrowed": N_("Borrowed"),
    },
    "ledger_kind": {
        "adjustment": N_("Adjustment"),
        "deposit": N_("Deposit into the pool"),
        "loan": N_("Loan from the pool"),
        "repayment": N_("Repayment"),
        "hire": N_("Hire"),
        "departure": N_("Departure"),
        "transfer": N_("Transfer"),
        "reservation": N_("Reservation"),
        "release": N_("Release"),
        "allocation": N_("Grant from a pool"),
        "merger": N_("Merger"),
        "closure": N_("Closure"),
    },
    "staff_status": {"active": N_("Active"), "left": N_("Left")},
    "delivery_status": {
        "pending": N_("Waiting to be sent"),
        "delivered": N_("Delivered"),
        "failed": N_("Failed"),
    },
    #: Why a person left the roster, as staffing records it (the person's status from then on).
    "leave_reason": {
        "retired": N_("Retired"),
        "resigned": N_("Resigned"),
        "transferred_out": N_("Transferred out of the system"),
        "dismissed": N_("Dismissed"),
        "deceased": N_("Deceased"),
        "other": N_("Other"),
    },
    "sex": {"male": N_("Male"), "female": N_("Female")},
    "unit_status": {"open": N_("Open"), "merged": N_("Merged"), "closed": N_("Closed")},
    "act": {"opened": N_("Opened"), "merged": N_("Merged"), "closed": N_("Closed")},
    "post_category": {
        "professional": N_("Professional post"),
        "senior_professional": N_("Senior professional post"),
        "management": N_("Management post"),
        "worker": N_("Worker post"),
    },
    "weekday": {
        "1": N_("Mon"),
        "2": N_("Tue"),
        "3": N_("Wed"),
        "4": N_("Thu"),
        "5": N_("Fri"),
    },
    "pipeline": {
        "applied": N_("Applied"),
        "screened": N_("Screened"),
        "exam": N_("Exam"),
        "interview": N_("Interview"),
        "assessment": N_("Assessment"),
        "offered": N_("Offered"),
        "hiring": N_("Hiring"),
        "hire_failed": N_("Hire failed"),
        "hired": N_("Hired"),
        "onboarded": N_("Onboarded"),
        "rejected": N_("Rejected"),
        "withdrawn": N_("Withdrawn"),
    },
    "hire_failure": {
        "no_reservation": N_("No posts held for the posting"),
        "no_vacancy": N_("No vacant post at the unit"),
        "no_quota": N_("The unit has no posts of this type"),
        "unit_unknown": N_("Staffing does not know the unit"),
        "unit_closed": N_("The unit is closed"),
        "invalid": N_("Staffing refused the record"),
    },
}

#: A candidate's ranking reasons by the code sharing gives each (its `params` fill them in).
REASONS: dict[str, str] = {
    "certified_teaching": N_("certified for %(stage)s %(subject)s; teaches it now"),
    "certified_not_teaching": N_("certified for %(stage)s %(subject)s; does not teach it now"),
    "free": N_("free in all %(periods)s periods asked for"),
    "free_with_travel": N_(
        "free in all %(periods)s periods asked for, %(minutes)s min of travel counted"
    ),
    "distance": N_("%(km)s km from the home school"),
    "location_unknown": N_("location unknown"),
    "load": N_("%(load)s of %(cap)s shared periods a week already booked"),
    "rated": N_(
        "rated %(rating)s of 5 from %(evaluations)s evaluations, recent ones weighing more"
    ),
    "not_rated": N_("no evaluations yet (neutral %(rating)s)"),
    "honours": N_("honours: %(honours)s"),
}

#: The shared vocabulary's terms with their Chinese and English names (contracts.vocabulary):
#: shown in the page's language, never through the message catalogs. Keyed by code (a str, or a
#: Literal of the codes, which a Mapping[str, ...] does not accept: its key type is invariant).
VOCABULARY: dict[str, tuple[Mapping[Any, str], Mapping[Any, str]]] = {
    "stage": (vocabulary.STAGE_NAMES_ZH, vocabulary.STAGE_NAMES_EN),
    "subject": ({s: s for s in vocabulary.SUBJECTS}, vocabulary.SUBJECT_NAMES_EN),
    "title": ({t: t for t in vocabulary.TITLES}, vocabulary.TITLE_NAMES_EN),
    "certificate": (vocabulary.CERTIFICATE_NAMES_ZH, vocabulary.CERTIFICATE_NAMES_EN),
}

#: Subjects a school can ask for, in the order of the request form.
SUBJECTS = list(vocabulary.SUBJECTS)


def label(group: str, code: object, gettext: Callable[[str], str], lang: str = "zh_CN") -> str:
    """The name of `code` in `group` in the page's language, or the code itself when it has
    none (a value kept from before the vocabulary, say)."""
    if group in VOCABULARY:
        zh, en = VOCABULARY[group]
        text = (en if lang == "en" else zh).get(str(code))
        return text if text is not None else ("" if code is None else str(code))
    text = LABELS.get(group, {}).get(str(code))
    if text is None:
        return "" if code is None else str(code)
    return gettext(text)


def options(group: str, gettext: Callable[[str], str], lang: str) -> list[tuple[str, str]]:
    """A select's choices: each code of `group` with its name in the page's language."""
    codes = VOCABULARY[group][0] if group in VOCABULARY else LABELS[group]
    return [(code, label(group, code, gettext, lang)) for code in codes]


def certificate(held: object, lang: str) -> str:
    """A certificate as a reader says it: 高级中学教师资格 · 数学 (or as stored, if unlisted)."""
    if not isinstance(held, Mapping):
        return str(held)
    level, subject = str(held.get("level", "")), str(held.get("subject", ""))
    noop: Callable[[str], str] = str
    return f"{label('certificate', level, noop, lang)} · {label('subject', subject, noop, lang)}"


def reason(item: Mapping[str, object], gettext: Callable[[str], str], lang: str) -> str:
    """A ranking reason in the page's language, from its code and values; the service's own
    English `detail` when the code is one this page does not know."""
    code, params = item.get("code"), item.get("params")
    text = REASONS.get(str(code))
    if text is None or not isinstance(params, Mapping):
        return str(item.get("detail", ""))
    values = dict(params)
    noop: Callable[[str], str] = str
    for group in ("stage", "subject"):
        if group in values:
            values[group] = label(group, values[group], noop, lang)
    for key in ("km", "rating"):
        if isinstance(values.get(key), int | float):
            values[key] = f"{float(values[key]):.1f}"
    try:
        return gettext(text) % values
    except (KeyError, TypeError, ValueError):
        return str(item.get("detail", ""))
