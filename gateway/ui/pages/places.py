"""Places (学位): a school's classes per stage, a district's births, the cohort projection."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from common.auth import HR_ROLES
from gateway.ui.client import ApiProblem
from gateway.ui.forms import explain, invalid
from gateway.ui.pages.units import unit_view
from gateway.ui.session import Page, signed_in

router = APIRouter()


def _whole(raw: str) -> int | None:
    return int(raw) if raw.isdigit() else None


@router.post("/units/{unit_id}/capacity")
async def save_capacity(unit_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    """Record a school's classes (and pupils per class) per stage."""
    page.require(HR_ROLES)
    unit = await page.api.get("staffing", f"/v1/units/{unit_id}")
    rows = []
    for stage in unit["stages"]:
        classes, size = page.value(f"classes_{stage}"), page.value(f"size_{stage}")
        if not classes:
            continue
        if _whole(classes) is None or (size and _whole(size) is None):
            errors = invalid(page._, **{f"classes_{stage}": page._("Enter a whole number.")})
            return await unit_view(page, unit_id, "places", errors=errors, error_for="places")
        rows.append({"stage": stage, "classes": int(classes), "class_size": _whole(size)})
    try:
        await page.api.call("PUT", "staffing", f"/v1/units/{unit_id}/capacity", json=rows)
    except ApiProblem as problem:
        return await unit_view(
            page,
            unit_id,
            "places",
            errors=explain(problem, page._),
            error_for="places",
            code=problem.status,
        )
    return page.redirect(f"/units/{unit_id}?tab=places", done="saved")


@router.post("/units/{unit_id}/births")
async def save_births(unit_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    """Record a district's births of one year."""
    page.require(HR_ROLES)
    year, births = _whole(page.value("birth_year")), _whole(page.value("births"))
    if year is None or births is None:
        field = "birth_year" if year is None else "births"
        errors = invalid(page._, **{field: page._("Enter a whole number.")})
        return await unit_view(page, unit_id, "places", errors=errors, error_for="places", code=422)
    try:
        await page.api.call(
            "PUT",
            "staffing",
            f"/v1/districts/{unit_id}/birth-cohorts",
            json=[{"birth_year": year, "births": births}],
        )
    except ApiProblem as problem:
        return await unit_view(
            page,
            unit_id,
            "places",
            errors=explain(problem, page._),
            error_for="places",
            code=problem.status,
        )
    return page.redirect(f"/units/{unit_id}?tab=places", done="saved")


@router.post("/units/{unit_id}/projection")
async def project(unit_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    """Project the district's enrolment by cohort and store it as the forecast."""
    page.require(HR_ROLES)
    body = {"district_id": unit_id, "years": _whole(page.value("years")) or 5}
    try:
        await page.api.post("staffing", "/v1/projections", body)
    except ApiProblem as problem:
        return await unit_view(
            page,
            unit_id,
            "places",
            errors=explain(problem, page._),
            error_for="places",
            code=problem.status,
        )
    return page.redirect(f"/units/{unit_id}?tab=places", done="projected")
