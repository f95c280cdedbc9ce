"""The cohort projection: each year every grade moves up one, and the first grade comes from the
district's births (no I/O)."""

from __future__ import annotations

from contracts.vocabulary import STAGE_GRADES

#: Entry age of each stage, primary at six (义务教育法第十一条), 中职 from fifteen.
ENTRY_AGE = {"kindergarten": 3, "primary": 6, "junior": 12, "senior": 15, "vocational": 15}
#: Entry age and number of grades of each stage (the grades as the vocabulary counts them).
STAGE_YEARS: dict[str, tuple[int, int]] = {
    stage: (age, STAGE_GRADES[stage]) for stage, age in ENTRY_AGE.items()
}


def split_evenly(total: int, grades: int) -> list[int]:
    """A stage total spread over its grades, the remainder to the lower grades."""
    base, extra = divmod(total, grades)
    return [base + (1 if n < extra else 0) for n in range(grades)]


def project(
    base_year: int,
    grades: dict[str, list[int]],
    births: dict[int, int],
    years: int,
) -> dict[int, dict[str, int]]:
    """Pupils per stage for each of the `years` school years after `base_year`.

    Grade n of a year becomes grade n+1 of the next; the top grade leaves. The first grade is
    the births of the year its pupils were born times the school's share of them in the base
    year; without births for either year the first grade stays as it was.
    """
    current = {stage: list(counts) for stage, counts in grades.items()}
    shares: dict[str, float | None] = {}
    for stage, counts in current.items():
        entry = STAGE_YEARS[stage][0]
        born = births.get(base_year - entry)
        shares[stage] = counts[0] / born if born and counts else None
    found: dict[int, dict[str, int]] = {}
    for year in range(base_year + 1, base_year + years + 1):
        for stage, counts in current.items():
            if not counts:
                continue
            share = shares[stage]
            born = births.get(year - STAGE_YEARS[stage][0])
            intake = round(born * share) if share is not None and born is not None else counts[0]
            current[stage] = [intake, *counts[:-1]]
        found[year] = {stage: sum(counts) for stage, counts in current.items()}
    return found


def first_over(by_year: dict[int, int], limit: int) -> tuple[int, int] | None:
    """The first year whose figure exceeds `limit`, and that figure."""
    for year in sorted(by_year):
        if by_year[year] > limit:
            return year, by_year[year]
    return None
