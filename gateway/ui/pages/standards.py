"""The staffing standards (编制标准): pupils per post of each stage, dated and sourced; the
posts a school needs follow from them. HR reads them; city HR adds one from a date. Beside them,
the class-size standards (班额标准) the places count by, and the retirement rules (退休年龄)."""

from __future__ import annotations

import asyncio
from itertools import groupby
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from contracts.vocabulary import STAGES
from gateway.ui.client import ApiProblem
from gateway.ui.forms import FormErrors, explain
from gateway.ui.session import HR_DESK, Page, signed_in

router = APIRouter()
#: The first birth day of a retirement rule that covers everyone born before its `born_until`.
OPEN_START = "1900-01-01"


async def standards_view(page: Page, errors: FormErrors | None = None, code: int = 200) -> Any:
    found, class_sizes = await asyncio.gather(
        page.api.get("staffing", "/v1/standards"),
        page.api.get_or_none("staffing", "/v1/class-size-standards"),
    )
    rows = sorted(found["data"], key=lambda r: (r["stage"], r["effective_from"]), reverse=True)
    order = {stage: n for n, stage in enumerate(STAGES)}
    return page.html(
        "standards.html",
        status=code,
        standards=rows,
        class_sizes=None
        if class_sizes is None
        else sorted(class_sizes, key=lambda r: (order.get(r["stage"], 99), r["effective_from"])),
        in_force=found["in_force"],
        stages=[(s, page.label("stage", s)) for s in STAGES],
        may_add=page.may("staffing", "POST", "/v1/standards"),
        errors=errors,
    )


@router.get("/standards")
async def standards(page: Annotated[Page, Depends(signed_in)]) -> Any:
    page.require(HR_DESK)
    return await standards_view(page)


@router.get("/standards/retirement")
async def retirement_rules(page: Annotated[Page, Depends(signed_in)]) -> Any:
    """The statutory retirement ages: the base age of each post category and sex, and the dated
    rules by birth month (the 2025 decision's annex tables among them), each with its source."""
    page.require(HR_DESK)
    found = await page.api.get("staffing", "/v1/retirement-rules")
    rules = sorted(
        found["rules"],
        key=lambda r: (r["effective_from"], r["source"], r["sex"], -r["base_age"], r["born_from"]),
    )
    return page.html(
        "retirement_rules.html",
        bases=found["bases"],
        groups=[
            {"effective_from": day, "source": source, "rules": list(rows)}
            for (day, source), rows in groupby(
                rules, key=lambda r: (r["effective_from"], r["source"])
            )
        ],
        open_start=OPEN_START,
    )


@router.post("/standards")
async def add_standard(page: Annotated[Page, Depends(signed_in)]) -> Any:
    """A standard for a stage from a date, with the document it comes from; the posts a school
    needs are counted by it from that date on (one of the same date is corrected)."""
    page.require_api("staffing", "POST", "/v1/standards")
    body = {
        "effective_from": page.value("effective_from") or None,
        "stage": page.value("stage") or None,
        "pupils_per_post": page.value("pupils_per_post") or None,
        "source": page.value("source"),
    }
    try:
        await page.api.post("staffing", "/v1/standards", body)
    except ApiProblem as problem:
        return await standards_view(page, explain(problem, page._), problem.status)
    return page.redirect("/standards", done="saved")
