"""A school's life: open one with its staffing plan, merge it into another, close it by a list."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from common.auth import CITY_ROLES
from gateway.ui.client import ApiProblem
from gateway.ui.forms import FormErrors, explain, invalid
from gateway.ui.pages.units import district_options, unit_view
from gateway.ui.session import HR_DESK, Page, signed_in

router = APIRouter()
PLAN_TYPES = ("bianzhi", "yuan_e", "control")


async def opening_view(page: Page, errors: FormErrors | None = None, code: int = 200) -> Any:
    page.require(HR_DESK)
    districts = await district_options(page) if page.role in CITY_ROLES else []
    return page.html(
        "school_new.html",
        status=code,
        districts=districts,
        errors=errors,
        stage_options=page.options("stage"),
        plan_types=PLAN_TYPES,
        source_options=[
            ("district_pool", page._("From the district pool")),
            *(
                [
                    ("adjustment", page._("Raised by the staffing commission")),
                    ("city_pool", page._("From the city pool")),
                ]
                if page.role in CITY_ROLES
                else []
            ),
        ],
    )


@router.get("/schools/new")
async def new_school(page: Annotated[Page, Depends(signed_in)]) -> Any:
    return await opening_view(page)


@router.post("/schools/new")
async def open_school(page: Annotated[Page, Depends(signed_in)]) -> Any:
    """Open a school with its staffing plan (新开校)."""
    page.require(HR_DESK)
    district_id = (
        str(page.user.district_id) if page.role == "district_hr" else page.value("district_id")
    )
    plan = []
    for quota_type in PLAN_TYPES:
        raw = page.value(f"posts_{quota_type}")
        if not raw:
            continue
        if not raw.isdigit() or int(raw) < 1:
            errors = invalid(page._, **{f"posts_{quota_type}": page._("Enter a whole number.")})
            return await opening_view(page, errors, 422)
        plan.append(
            {
                "quota_type": quota_type,
                "posts": int(raw),
                "source": page.value(f"source_{quota_type}", "district_pool"),
            }
        )
    body = {
        "code": page.value("code"),
        "name": page.value("name"),
        "district_id": district_id or None,
        "stages": page.values("stages"),
        "lat": _number(page.value("lat")),
        "lon": _number(page.value("lon")),
        "document_no": page.value("document_no"),
        "reason": page.value("reason"),
        "opened_on": page.value("opened_on") or None,
        "plan": plan,
    }
    try:
        opened = await page.api.post("staffing", "/v1/schools/openings", body)
    except ApiProblem as problem:
        return await opening_view(page, explain(problem, page._), problem.status)
    return page.redirect(f"/units/{opened['unit']['id']}?tab=lifecycle", done="school_opened")


@router.post("/units/{unit_id}/merger")
async def merge(unit_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    """Merge the school into another (合并)."""
    page.require(HR_DESK)
    body = {
        "into_unit_id": page.value("into_unit_id") or None,
        "document_no": page.value("document_no"),
        "reason": page.value("reason"),
    }
    try:
        await page.api.post("staffing", f"/v1/schools/{unit_id}/merger", body)
    except ApiProblem as problem:
        return await unit_view(
            page,
            unit_id,
            "lifecycle",
            errors=explain(problem, page._),
            error_for="merge",
            code=problem.status,
        )
    return page.redirect(f"/units/{unit_id}?tab=lifecycle", done="school_merged")


@router.post("/units/{unit_id}/closure")
async def close(unit_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    """Close the school (撤销): each person goes where the list says."""
    page.require(HR_DESK)
    transfers = [
        {"staff_id": staff_id, "to_unit_id": page.value(f"to_{staff_id}") or None}
        for staff_id in page.values("staff_id")
    ]
    body = {
        "document_no": page.value("document_no"),
        "reason": page.value("reason"),
        "transfers": transfers,
    }
    try:
        await page.api.post("staffing", f"/v1/schools/{unit_id}/closure", body)
    except ApiProblem as problem:
        return await unit_view(
            page,
            unit_id,
            "lifecycle",
            errors=explain(problem, page._),
            error_for="close",
            code=problem.status,
        )
    return page.redirect(f"/units/{unit_id}?tab=lifecycle", done="school_closed")


def _number(raw: str) -> float | str | None:
    """A coordinate as a number; text that is not one goes on for the service to name."""
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        return raw
