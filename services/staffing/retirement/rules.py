"""The retirement-age rule book: plain data in, a person's retirement date out (no I/O)."""

from __future__ import annotations

import bisect
import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from services.staffing.models import RetirementBase, RetirementRule


def add_months(day: date, months: int) -> date:
    """The same day of the month `months` later, or the month's last day where it is shorter."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def first_of_month(day: date) -> date:
    return day.replace(day=1)


@dataclass(frozen=True)
class Retirement:
    """When one person reaches the statutory retirement age, and by which rule."""

    base_age: int
    age_months: int
    retires_on: date
    effective_from: date
    source: str
    base_source: str

    @property
    def age_years(self) -> int:
        return self.age_months // 12

    @property
    def age_extra_months(self) -> int:
        return self.age_months % 12


class UnknownCategory(LookupError):
    """No base retirement age is recorded for this post category and sex."""


class RuleBook:
    """Every retirement rule and base age on record.

    A rule applies to a person when it was in force on the date it makes them retire: so a man
    born in 1964-12 retires at 60 in 2024-12 under the 1978 rule, and one born in 1965-01 at
    60 years 1 month in 2025-02 under the 2025 decision.
    """

    def __init__(self, rules: Iterable[RetirementRule], bases: Iterable[RetirementBase]) -> None:
        self.rules = sorted(rules, key=lambda r: (r.effective_from, r.sex, r.base_age, r.born_from))
        self.bases = {(b.post_category, b.sex): b for b in bases}
        self._versions: dict[tuple[str, int], list[date]] = {}
        self._rows: dict[tuple[date, str, int], list[RetirementRule]] = {}
        for rule in self.rules:
            versions = self._versions.setdefault((rule.sex, rule.base_age), [])
            if rule.effective_from not in versions:
                versions.append(rule.effective_from)
            self._rows.setdefault((rule.effective_from, rule.sex, rule.base_age), []).append(rule)
        self._starts = {key: [r.born_from for r in rows] for key, rows in self._rows.items()}

    def base(self, sex: str, post_category: str) -> RetirementBase:
        found = self.bases.get((post_category, sex))
        if found is None:
            raise UnknownCategory(
                f"no base retirement age for {sex} staff in {post_category} posts"
            )
        return found

    def _row(self, effective_from: date, sex: str, base_age: int, born: date) -> RetirementRule:
        month = first_of_month(born)
        key = (effective_from, sex, base_age)
        at = bisect.bisect_right(self._starts.get(key, []), month) - 1
        if at >= 0:
            rule = self._rows[key][at]
            if rule.born_until is None or month <= rule.born_until:
                return rule
        raise UnknownCategory(
            f"the rule of {effective_from} has no row for {sex} staff of base age {base_age} "
            f"born in {month:%Y-%m}"
        )

    def retirement(self, sex: str, post_category: str, born: date) -> Retirement:
        """The date this person reaches the statutory retirement age, and the rule that says so."""
        base = self.base(sex, post_category)
        versions = self._versions.get((sex, base.base_age), [])
        if not versions:
            raise UnknownCategory(f"no retirement rule for {sex} staff of base age {base.base_age}")
        chosen = self._row(versions[0], sex, base.base_age, born)
        for effective_from in versions[1:]:
            row = self._row(effective_from, sex, base.base_age, born)
            if add_months(born, row.age_months) >= effective_from:
                chosen = row
        return Retirement(
            base_age=base.base_age,
            age_months=chosen.age_months,
            retires_on=add_months(born, chosen.age_months),
            effective_from=chosen.effective_from,
            source=chosen.source,
            base_source=base.source,
        )
