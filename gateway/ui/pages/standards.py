"""The staffing standards (编制标准): pupils per post of each stage, dated and sourced; the
posts a school needs follow from them. HR reads them; city HR adds one from a date."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from contracts.vocabulary import STAGES
from gateway.ui.client import ApiProblem
from gateway.ui.forms import FormErrors, explain
from gateway.ui.session import HR_DESK, Page, signed_in

router = APIRouter()


async def standards_view(page: Page, errors: FormErrors | None = None, code: int = 200) -> Any:
    found = await page.api.get("staffing", "/v1/standards")
    rows = sorted(found["data"], key=lambda r: (r["stage"], r["effective_from"]), reverse=True)
    return page.html(
        "standards.html",
        status=code,
        standards=rows,
        in_force=found["in_force"],
        stages=[(s, page.label("stage", s)) for s in STAGES],
        may_add=page.may("staffing", "POST", "/v1/standards"),
        errors=errors,
    )


@router.get("/standards")
async def standards(page: Annotated[Page, Depends(signed_in)]) -> Any:
    page.require(HR_DESK)
    return await standards_view(page)


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
