"""Which roles and partner scopes may use which service route: the gateway's first gate.

Services still check every object against the caller's scope; this table only refuses routes a
role may never use. A route missing here is refused for everyone, and the role × route test
fails until the route brings its row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from common.auth import (
    AUDITOR_ROLES,
    CITY_ROLES,
    EVERYONE_ROLES,
    HR_ROLES,
    PERSONNEL_ROLES,
    SCHOOL_ROLES,
    Principal,
)
from gateway.errors import RouteForbidden

# Short names for the role sets of common.auth, so each row reads on one line.
CITY = CITY_ROLES
HR = HR_ROLES
PEOPLE = PERSONNEL_ROLES
SCHOOL = SCHOOL_ROLES
EVERYONE = EVERYONE_ROLES
TEACHER = frozenset({"teacher"})
SCHOOL_ADMIN = frozenset({"school_admin"})
CITY_HR = frozenset({"city_hr"})
#: No role: a partner client's own route (its scope names who may call it).
PARTNERS_ONLY: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Rule:
    """One route template with the roles and partner scopes allowed to call it."""

    service: str
    method: str
    template: str
    roles: frozenset[str]
    scopes: frozenset[str] = frozenset()

    @property
    def pattern(self) -> re.Pattern[str]:
        return template_pattern(self.template)


def template_pattern(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$")


def shape(template: str) -> str:
    """A template with its parameter names erased, to compare routes with rules."""
    return re.sub(r"\{[^/]+?\}", "{}", template)


def rule(service: str, method: str, template: str, roles: frozenset[str], *scopes: str) -> Rule:
    # The auditor reads city-wide and never writes: every read rule lets it in.
    if method == "GET":
        roles = roles | AUDITOR_ROLES
    return Rule(service, method, template, frozenset(roles), frozenset(scopes))


def _units(service: str) -> list[Rule]:
    return [
        rule(service, "GET", "/v1/units", EVERYONE),
        rule(service, "GET", "/v1/units/{unit_id}", EVERYONE),
    ]


def _reconciliation(service: str) -> list[Rule]:
    """Each service's side of every hand-over, for city HR's reconciliation report, and the
    replay of its own dead letters."""
    return [
        rule(service, "GET", "/v1/internal/reconciliation", CITY_HR),
        rule(service, "POST", "/v1/internal/dead-letters/{sequence}/replay", CITY_HR),
    ]


STAFFING = [
    *_units("staffing"),
    *_reconciliation("staffing"),
    rule("staffing", "POST", "/v1/units", HR),
    rule("staffing", "PATCH", "/v1/units/{unit_id}", HR),
    rule("staffing", "GET", "/v1/units/{unit_id}/summary", SCHOOL),
    rule("staffing", "GET", "/v1/units/{unit_id}/enrolment", SCHOOL),
    rule("staffing", "PUT", "/v1/units/{unit_id}/enrolment", HR),
    rule("staffing", "GET", "/v1/units/{unit_id}/quotas", SCHOOL),
    rule("staffing", "GET", "/v1/units/{unit_id}/adjustments", SCHOOL),
    rule("staffing", "POST", "/v1/units/{unit_id}/adjustments", CITY),
    rule("staffing", "GET", "/v1/summary", HR),
    rule("staffing", "GET", "/v1/standards", SCHOOL),
    rule("staffing", "POST", "/v1/standards", CITY),
    rule("staffing", "GET", "/v1/pools/{quota_type}", HR),
    rule("staffing", "PUT", "/v1/pools/{quota_type}", CITY),
    rule("staffing", "GET", "/v1/pools/{quota_type}/deposits", HR),
    rule("staffing", "POST", "/v1/pools/{quota_type}/deposits", CITY),
    rule("staffing", "GET", "/v1/pool-applications", HR),
    rule("staffing", "POST", "/v1/pool-applications", HR),
    rule("staffing", "GET", "/v1/pool-applications/{application_id}", HR),
    rule("staffing", "POST", "/v1/pool-applications/{application_id}/decision", HR),
    rule("staffing", "POST", "/v1/pool-applications/{application_id}/referral", HR),
    rule("staffing", "GET", "/v1/district-pools", HR),
    rule("staffing", "GET", "/v1/districts/{district_id}/pools/{quota_type}", HR),
    rule("staffing", "PUT", "/v1/districts/{district_id}/pools/{quota_type}", HR),
    rule("staffing", "POST", "/v1/districts/{district_id}/pools/{quota_type}/deposits", HR),
    rule("staffing", "GET", "/v1/loans", HR),
    rule("staffing", "GET", "/v1/loans/{loan_id}", HR),
    rule("staffing", "POST", "/v1/loans/{loan_id}/repayments", HR),
    rule("staffing", "GET", "/v1/staff", SCHOOL),
    rule("staffing", "POST", "/v1/staff", HR),
    rule("staffing", "GET", "/v1/staff/{staff_id}", SCHOOL),
    rule("staffing", "POST", "/v1/staff/{staff_id}/departure", HR),
    rule("staffing", "POST", "/v1/staff/{staff_id}/transfer", HR),
    rule("staffing", "PATCH", "/v1/staff/{staff_id}", HR),
    rule("staffing", "GET", "/v1/staff/{staff_id}/titles", SCHOOL),
    rule("staffing", "POST", "/v1/staff/{staff_id}/titles", HR),
    rule("staffing", "GET", "/v1/ledger", HR),
    rule("staffing", "GET", "/v1/warnings", HR),
    rule("staffing", "POST", "/v1/imports/{kind}", CITY),
    rule("staffing", "GET", "/v1/imports/{kind}/template", HR),
    rule("staffing", "GET", "/v1/exports/{kind}", HR),
    rule("staffing", "GET", "/v1/retirement-rules", SCHOOL),
    rule("staffing", "GET", "/v1/retirement-rules/age", SCHOOL),
    rule("staffing", "GET", "/v1/retirements", SCHOOL),
    rule("staffing", "POST", "/v1/schools/openings", HR),
    rule("staffing", "POST", "/v1/schools/{unit_id}/merger", HR),
    rule("staffing", "POST", "/v1/schools/{unit_id}/closure", HR),
    rule("staffing", "GET", "/v1/unit-acts", HR),
    rule("staffing", "GET", "/v1/units/{unit_id}/capacity", SCHOOL),
    rule("staffing", "PUT", "/v1/units/{unit_id}/capacity", HR),
    rule("staffing", "GET", "/v1/class-size-standards", SCHOOL),
    rule("staffing", "GET", "/v1/units/{unit_id}/grades", SCHOOL),
    rule("staffing", "PUT", "/v1/units/{unit_id}/grades", HR),
    rule("staffing", "GET", "/v1/districts/{district_id}/birth-cohorts", HR),
    rule("staffing", "PUT", "/v1/districts/{district_id}/birth-cohorts", HR),
    rule("staffing", "POST", "/v1/projections", HR),
    rule("staffing", "GET", "/v1/place-warnings", HR),
    rule("staffing", "POST", "/v1/reports/monthly", CITY),
    rule("staffing", "GET", "/v1/reports/monthly", HR),
    rule("staffing", "GET", "/v1/reports/monthly/export", HR),
]

SHARING = [
    *_units("sharing"),
    *_reconciliation("sharing"),
    rule("sharing", "GET", "/v1/teachers", EVERYONE),
    rule("sharing", "GET", "/v1/teachers/{teacher_id}", EVERYONE),
    rule("sharing", "GET", "/v1/teachers/{teacher_id}/timetable", EVERYONE),
    rule("sharing", "GET", "/v1/schools/{unit_id}/timetable", SCHOOL),
    rule("sharing", "GET", "/v1/district-settings/{district_id}", HR),
    rule("sharing", "PUT", "/v1/district-settings/{district_id}", PEOPLE),
    rule("sharing", "GET", "/v1/period-rates", EVERYONE),
    rule("sharing", "POST", "/v1/period-rates", CITY),
    rule("sharing", "GET", "/v1/travel-allowances", EVERYONE),
    rule("sharing", "POST", "/v1/travel-allowances", CITY_HR),
    rule("sharing", "PATCH", "/v1/teachers/{teacher_id}", PEOPLE | TEACHER),
    rule("sharing", "POST", "/v1/library/applications", TEACHER),
    rule("sharing", "GET", "/v1/library/applications", EVERYONE),
    rule("sharing", "GET", "/v1/library/areas", EVERYONE),
    rule("sharing", "GET", "/v1/library/applications/{application_id}", EVERYONE),
    rule("sharing", "POST", "/v1/library/applications/{application_id}/consent", SCHOOL),
    rule("sharing", "POST", "/v1/library/applications/{application_id}/decide", HR),
    rule(
        "sharing",
        "POST",
        "/v1/library/applications/{application_id}/withdraw",
        TEACHER,
    ),
    rule("sharing", "POST", "/v1/teachers/{teacher_id}/membership", HR | TEACHER),
    rule("sharing", "POST", "/v1/teachers/{teacher_id}/honours", HR),
    rule("sharing", "POST", "/v1/lessons/week-given", frozenset({"teacher"})),
    rule("sharing", "POST", "/v1/lessons/week-confirm", frozenset({"school_admin"})),
    rule("sharing", "POST", "/v1/lessons/{lesson_id}/cover", frozenset({"school_admin"})),
    rule(
        "sharing", "POST", "/v1/lessons/{lesson_id}/moves", frozenset({"teacher", "school_admin"})
    ),
    rule("sharing", "GET", "/v1/lesson-moves", EVERYONE),
    rule(
        "sharing",
        "POST",
        "/v1/lesson-moves/{move_id}/answer",
        frozenset({"teacher", "school_admin"}),
    ),
    rule("sharing", "GET", "/v1/evaluation-form", EVERYONE),
    rule("sharing", "POST", "/v1/evaluation-form", CITY_HR),
    rule(
        "sharing",
        "POST",
        "/v1/assignments/{assignment_id}/evaluations",
        frozenset({"school_admin"}),
    ),
    rule("sharing", "GET", "/v1/evaluations", EVERYONE),
    rule("sharing", "GET", "/v1/evaluations/report", HR),
    rule("sharing", "POST", "/v1/evaluations/{evaluation_id}/response", frozenset({"teacher"})),
    rule("sharing", "GET", "/v1/calendar/days", EVERYONE),
    rule("sharing", "PUT", "/v1/calendar/days/{day}", CITY_HR),
    rule("sharing", "DELETE", "/v1/calendar/days/{day}", CITY_HR),
    rule("sharing", "POST", "/v1/calendar/import", CITY_HR),
    rule("sharing", "GET", "/v1/calendar/terms", EVERYONE),
    rule("sharing", "POST", "/v1/calendar/terms", CITY_HR),
    rule("sharing", "DELETE", "/v1/calendar/terms/{term_id}", CITY_HR),
    rule("sharing", "GET", "/v1/calendar/districts/{district_id}/days-off", EVERYONE),
    rule("sharing", "PUT", "/v1/calendar/districts/{district_id}/days-off/{day}", HR),
    rule("sharing", "DELETE", "/v1/calendar/districts/{district_id}/days-off/{day}", HR),
    rule("sharing", "GET", "/v1/calendar/school-days", EVERYONE),
    rule("sharing", "GET", "/v1/requests", SCHOOL),
    rule("sharing", "POST", "/v1/requests", SCHOOL_ADMIN),
    rule("sharing", "GET", "/v1/requests/{request_id}", SCHOOL | TEACHER),
    rule("sharing", "POST", "/v1/requests/{request_id}/cancel", SCHOOL),
    rule("sharing", "POST", "/v1/requests/{request_id}/approve", PEOPLE),
    rule("sharing", "GET", "/v1/requests/{request_id}/candidates", SCHOOL),
    rule("sharing", "GET", "/v1/requests/{request_id}/offers", SCHOOL),
    rule("sharing", "POST", "/v1/requests/{request_id}/offers", PEOPLE),
    rule("sharing", "GET", "/v1/offers", EVERYONE),
    rule("sharing", "GET", "/v1/offers/{offer_id}", EVERYONE),
    rule("sharing", "POST", "/v1/offers/{offer_id}/consent", SCHOOL_ADMIN),
    rule("sharing", "POST", "/v1/offers/{offer_id}/accept", TEACHER),
    rule("sharing", "POST", "/v1/offers/{offer_id}/decline", TEACHER),
    rule("sharing", "GET", "/v1/assignments", EVERYONE),
    rule("sharing", "GET", "/v1/assignments/{assignment_id}", EVERYONE),
    rule("sharing", "POST", "/v1/assignments/{assignment_id}/end", PEOPLE),
    rule("sharing", "GET", "/v1/lessons", EVERYONE),
    rule("sharing", "POST", "/v1/lessons/{lesson_id}/given", TEACHER),
    rule("sharing", "POST", "/v1/lessons/{lesson_id}/confirm", SCHOOL | TEACHER),
    rule("sharing", "GET", "/v1/settlements", EVERYONE),
    rule("sharing", "GET", "/v1/settlements/export", PEOPLE),
    rule("sharing", "GET", "/v1/settlements/unpriced", PEOPLE),
    rule("sharing", "POST", "/v1/settlements", PEOPLE),
    rule("sharing", "POST", "/v1/batch-matches", PEOPLE),
    rule("sharing", "GET", "/v1/batch-matches/{batch_id}", PEOPLE),
    rule("sharing", "POST", "/v1/batch-matches/{batch_id}/offers", PEOPLE),
]

TALENT = [
    *_units("talent"),
    *_reconciliation("talent"),
    rule("talent", "GET", "/v1/postings", SCHOOL, "postings:read"),
    rule("talent", "POST", "/v1/postings", PEOPLE),
    rule("talent", "GET", "/v1/postings/{posting_id}", SCHOOL, "postings:read"),
    rule("talent", "PATCH", "/v1/postings/{posting_id}", PEOPLE),
    rule("talent", "POST", "/v1/postings/{posting_id}/open", PEOPLE),
    rule("talent", "POST", "/v1/postings/{posting_id}/close", PEOPLE),
    rule("talent", "POST", "/v1/postings/{posting_id}/reopen", PEOPLE),
    rule("talent", "GET", "/v1/candidates", HR, "candidates:write"),
    rule("talent", "POST", "/v1/candidates", PEOPLE, "candidates:write"),
    rule("talent", "GET", "/v1/candidates/{candidate_id}", HR, "candidates:write"),
    rule("talent", "POST", "/v1/candidates/{candidate_id}/erase", PEOPLE, "candidates:write"),
    rule("talent", "POST", "/v1/candidates/merge", CITY & PEOPLE),
    rule("talent", "GET", "/v1/applications", SCHOOL, "applications:read"),
    rule("talent", "POST", "/v1/applications", PEOPLE, "applications:write"),
    rule("talent", "GET", "/v1/applications/{application_id}", SCHOOL, "applications:read"),
    rule(
        "talent",
        "POST",
        "/v1/applications/{application_id}/transitions",
        PEOPLE,
        "applications:write",
    ),
    rule("talent", "GET", "/v1/webhooks", CITY, "webhooks:manage"),
    rule("talent", "POST", "/v1/webhooks", PARTNERS_ONLY, "webhooks:manage"),
    rule("talent", "GET", "/v1/webhooks/{webhook_id}", CITY, "webhooks:manage"),
    rule("talent", "PATCH", "/v1/webhooks/{webhook_id}", PARTNERS_ONLY, "webhooks:manage"),
    rule("talent", "DELETE", "/v1/webhooks/{webhook_id}", PARTNERS_ONLY, "webhooks:manage"),
    rule("talent", "GET", "/v1/webhooks/{webhook_id}/deliveries", CITY, "webhooks:manage"),
    rule("talent", "POST", "/v1/deliveries/{delivery_id}/redeliver", CITY_HR, "webhooks:manage"),
]

RULES: tuple[Rule, ...] = (*STAFFING, *SHARING, *TALENT)


class Policy:
    """The rules indexed by service and method; literal segments win over parameters."""

    def __init__(self, rules: tuple[Rule, ...] = RULES) -> None:
        self._index: dict[tuple[str, str], list[tuple[re.Pattern[str], Rule]]] = {}
        ordered = sorted(rules, key=lambda r: (r.template.count("{"), -len(r.template)))
        for r in ordered:
            self._index.setdefault((r.service, r.method), []).append((r.pattern, r))

    def allows(self, role: str, service: str, method: str, template: str) -> bool:
        """Whether a user of `role` may use the route `template`; KeyError if it has no row.

        The UI asks this before it shows a page or a button, so it offers what the API allows.
        """
        found = self.find(service, method, template)
        if found is None or shape(found.template) != shape(template):
            raise KeyError(f"{method} {template} on {service} has no row in the policy table")
        return role in found.roles

    def find(self, service: str, method: str, path: str) -> Rule | None:
        method = "GET" if method == "HEAD" else method
        for pattern, r in self._index.get((service, method), ()):
            if pattern.match(path):
                return r
        return None

    def authorize(self, principal: Principal, service: str, method: str, path: str) -> Rule:
        """The matching rule, or RouteForbidden when the caller may never use this route."""
        found = self.find(service, method, path)
        if found is None:
            raise RouteForbidden(f"{method} {path} on {service} is not open to anyone")
        if principal.kind == "partner":
            if found.scopes.isdisjoint(principal.scopes):
                needed = ", ".join(sorted(found.scopes)) or "a user log-in"
                raise RouteForbidden(f"this key may not use {method} {path}; it needs {needed}")
        elif principal.role not in found.roles:
            raise RouteForbidden(f"role {principal.role} may not use {method} {path}")
        return found
