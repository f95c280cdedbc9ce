"""Units: the list with filters, and one unit's summary, ledger and roster."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from common.clock import local_today
from contracts.vocabulary import STAGE_GRADES
from gateway.ui.client import ApiProblem
from gateway.ui.forms import FormErrors, explain, explain_rows, invalid
from gateway.ui.labels import SUBJECTS
from gateway.ui.session import HR_DESK, Page, signed_in

router = APIRouter()


async def district_options(page: Page) -> list[tuple[str, str]]:
    districts = await page.api.get_or_none("staffing", "/v1/units", kind="district", limit=100)
    return [(d["id"], d["name"]) for d in (districts or {"data": []})["data"]]


@router.get("/units")
async def unit_list(
    page: Annotated[Page, Depends(signed_in)],
    district_id: str = "",
    kind: str = "school",
    cursor: str = "",
) -> Any:
    page.require(HR_DESK)
    if page.role == "district_hr":
        district_id = str(page.user.district_id)
    units, districts, warnings = await asyncio.gather(
        page.api.get(
            "staffing", "/v1/units", kind=kind, district_id=district_id, cursor=cursor, limit=100
        ),
        district_options(page),
        page.api.get_or_none("staffing", "/v1/warnings", district_id=district_id, limit=500),
    )
    short = {w["unit_id"]: w for w in (warnings or {"data": []})["data"]}
    names = dict(districts)
    return page.html(
        "units.html",
        units=units["data"],
        next_cursor=units.get("next_cursor"),
        districts=districts,
        district_names=names,
        district_id=district_id,
        kind=kind,
        short=short,
    )


@router.get("/units/{unit_id}")
async def unit_detail(
    unit_id: str,
    page: Annotated[Page, Depends(signed_in)],
    tab: str = "summary",
    months: Annotated[int, Query(ge=1, le=120)] = 36,
) -> Any:
    page.require(HR_DESK)
    return await unit_view(page, unit_id, tab, months)


async def unit_view(
    page: Page,
    unit_id: str,
    tab: str,
    months: int = 36,
    *,
    errors: FormErrors | None = None,
    error_for: str = "",
    code: int = 200,
) -> Any:
    """A unit's page; the school admin's home page is the same view of their own school."""
    unit, summary, ledger, staff, retirements = await asyncio.gather(
        page.api.get("staffing", f"/v1/units/{unit_id}"),
        page.api.get_or_none("staffing", f"/v1/units/{unit_id}/summary"),
        page.api.get_or_none("staffing", "/v1/ledger", unit_id=unit_id, limit=200)
        if tab == "ledger"
        else asyncio.sleep(0, None),
        page.api.get_or_none("staffing", "/v1/staff", unit_id=unit_id, active=True, limit=500)
        if tab == "roster"
        else asyncio.sleep(0, None),
        page.api.get_or_none("staffing", "/v1/retirements", unit_id=unit_id, within_months=months)
        if tab == "retirements"
        else asyncio.sleep(0, None),
    )
    district = None
    if unit.get("district_id"):
        district = await page.api.get_or_none("staffing", f"/v1/units/{unit['district_id']}")
    lifecycle: dict[str, Any] = {}
    if tab == "lifecycle":
        lifecycle = await lifecycle_context(page, unit)
    places: dict[str, Any] = {}
    if tab == "places":
        places = await places_context(page, unit)
    grades: dict[str, Any] = {}
    if tab == "summary" and unit["kind"] == "school":
        grades = await grades_context(page, unit)
    return page.html(
        "unit.html",
        status=code,
        errors=errors,
        error_for=error_for,
        lifecycle=lifecycle,
        places=places,
        grades=grades,
        unit=unit,
        district=district,
        summary=summary,
        ledger=ledger,
        staff=staff,
        retirements=retirements,
        months=months,
        tab=tab,
        base=page.request.url.path,
        hire_options={
            "sex": page.options("sex"),
            "stage": page.options("stage"),
            "subject": [(x, page.label("subject", x)) for x in SUBJECTS],
            "title": page.options("title"),
            "post_category": page.options("post_category"),
        }
        if tab == "roster" and page.may("staffing", "POST", "/v1/staff")
        else None,
    )


async def lifecycle_context(page: Page, unit: dict[str, Any]) -> dict[str, Any]:
    """The acts on a school, and what its merge and closure forms offer: the other open schools
    of its district (or, for city HR, of the city-direct ones) and its active staff."""
    acts = await page.api.get_or_none("staffing", "/v1/unit-acts", unit_id=unit["id"], limit=100)
    context: dict[str, Any] = {"acts": (acts or {"data": []})["data"], "schools": [], "staff": []}
    if unit["kind"] != "school" or unit.get("status", "open") != "open":
        return context
    if page.role not in ("city_hr", "staffing_commission", "district_hr"):
        return context
    peers = await page.api.get_all(
        "staffing", "/v1/units", kind="school", district_id=unit.get("district_id") or ""
    )
    context["schools"] = [
        (u["id"], f"{u['name']}（{u['code']}）")
        for u in peers
        if u["id"] != unit["id"]
        and u.get("status", "open") == "open"
        and u.get("district_id") == unit.get("district_id")
    ]
    staff = await page.api.get_or_none(
        "staffing", "/v1/staff", unit_id=unit["id"], active=True, limit=500
    )
    context["staff"] = (staff or {"data": []})["data"]
    return context


#: A school's grades back to this many recorded school years are shown beside the form.
GRADE_YEARS_SHOWN = 3


def school_year_now() -> int:
    """The school year under way in Chengdu, named by the year it began (in September)."""
    today = local_today()
    return today.year if today.month >= 9 else today.year - 1


def grade_field(stage: str, grade: int) -> str:
    return f"pupils_{stage}_{grade}"


async def grades_context(page: Page, unit: dict[str, Any]) -> dict[str, Any]:
    """A school's pupils per grade in its last recorded school years, the year the form records
    (the newest recorded, else this one), and its pupils per class by stage."""
    found, capacity = await asyncio.gather(
        page.api.get_or_none("staffing", f"/v1/units/{unit['id']}/grades"),
        page.api.get_or_none("staffing", f"/v1/units/{unit['id']}/capacity"),
    )
    rows = (found or {"data": []})["data"]
    years = sorted({r["school_year"] for r in rows})[-GRADE_YEARS_SHOWN:]
    return {
        "years": years,
        "year": years[-1] if years else school_year_now(),
        "pupils": {(r["school_year"], r["stage"], r["grade"]): r["pupils"] for r in rows},
        "stages": [
            (stage, [(g, grade_field(stage, g)) for g in range(1, STAGE_GRADES[stage] + 1)])
            for stage in unit["stages"]
            if stage in STAGE_GRADES
        ],
        "capacity": {c["stage"]: c for c in (capacity or {"data": []})["data"]},
    }


async def places_context(page: Page, unit: dict[str, Any]) -> dict[str, Any]:
    """A school's places and enrolment by year with its 学位预警; a district's births."""
    if unit["kind"] == "district":
        births = await page.api.get_or_none("staffing", f"/v1/districts/{unit['id']}/birth-cohorts")
        return {"births": (births or {"data": []})["data"]}
    capacity, enrolment, warnings = await asyncio.gather(
        page.api.get_or_none("staffing", f"/v1/units/{unit['id']}/capacity"),
        page.api.get_or_none("staffing", f"/v1/units/{unit['id']}/enrolment"),
        page.api.get_or_none("staffing", "/v1/place-warnings", district_id=unit.get("district_id")),
    )
    rows = (enrolment or {"data": []})["data"]
    years = sorted({r["school_year"] for r in rows})
    by_key = {(r["school_year"], r["stage"]): r for r in rows}
    return {
        "capacity": {c["stage"]: c for c in (capacity or {"data": []})["data"]},
        "years": years,
        "enrolment": by_key,
        "warnings": [w for w in (warnings or {"data": []})["data"] if w["unit_id"] == unit["id"]],
    }


@router.post("/units/{unit_id}/edit")
async def edit_unit(unit_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    """A unit's name or location (the distances matching measures come from it)."""
    page.require_api("staffing", "PATCH", "/v1/units/{unit_id}")
    body = {k: page.value(k) for k in ("name", "lat", "lon") if page.value(k)}
    try:
        await page.api.patch("staffing", f"/v1/units/{unit_id}", body)
    except ApiProblem as problem:
        return await unit_view(
            page,
            unit_id,
            "summary",
            errors=explain(problem, page._),
            error_for="edit",
            code=problem.status,
        )
    return page.redirect(f"/units/{unit_id}", done="saved")


@router.post("/units/{unit_id}/grades")
async def save_grades(unit_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    """A school's pupils per grade in one school year; a grade left empty stays as it is."""
    page.require_api("staffing", "PUT", "/v1/units/{unit_id}/grades")
    unit = await page.api.get("staffing", f"/v1/units/{unit_id}")
    year = page.value("school_year")
    rows: list[dict[str, Any]] = []
    names: list[str] = []
    wrong: dict[str, str] = {}
    if not year.isdecimal():
        wrong["school_year"] = page._("Enter a whole number.")
    school_year = int(year) if year.isdecimal() else 0
    for stage in unit["stages"]:
        for grade in range(1, STAGE_GRADES.get(stage, 0) + 1):
            name = grade_field(stage, grade)
            pupils = page.value(name)
            if not pupils:
                continue
            if not pupils.isdecimal():
                wrong[name] = page._("Enter a whole number.")
                continue
            rows.append(
                {
                    "school_year": school_year,
                    "stage": stage,
                    "grade": grade,
                    "pupils": int(pupils),
                }
            )
            names.append(name)
    if wrong:
        errors = invalid(page._, **wrong)
        return await unit_view(
            page, unit_id, "summary", errors=errors, error_for="grades", code=422
        )
    try:
        await page.api.put("staffing", f"/v1/units/{unit_id}/grades", rows)
    except ApiProblem as problem:
        return await unit_view(
            page,
            unit_id,
            "summary",
            errors=explain_rows(problem, page._, names, frozenset({"school_year"})),
            error_for="grades",
            code=problem.status,
        )
    return page.redirect(f"/units/{unit_id}", done="saved")


@router.post("/units/{unit_id}/adjustments")
async def adjust_posts(unit_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    """Raise (核增) or cut (核减) a unit's approved posts under the commission's document."""
    page.require_api("staffing", "POST", "/v1/units/{unit_id}/adjustments")
    delta = page.value("delta").replace("+", "")
    if not delta.lstrip("-").isdigit():
        errors = invalid(page._, delta=page._("Enter a whole number."))
        return await unit_view(page, unit_id, "ledger", errors=errors, error_for="adjust", code=422)
    body = {
        "quota_type": page.value("quota_type", "bianzhi"),
        "delta": int(delta),
        "document_no": page.value("document_no"),
        "reason": page.value("reason"),
    }
    try:
        await page.api.post("staffing", f"/v1/units/{unit_id}/adjustments", body)
    except ApiProblem as problem:
        return await unit_view(
            page,
            unit_id,
            "ledger",
            errors=explain(problem, page._),
            error_for="adjust",
            code=problem.status,
        )
    return page.redirect(f"/units/{unit_id}?tab=ledger", done="adjusted")


@router.post("/units/{unit_id}/staff")
async def hire(unit_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    """Hire one person into a vacant post of the unit (a roster import hires many)."""
    page.require_api("staffing", "POST", "/v1/staff")
    body = {
        "unit_id": unit_id,
        "name": page.value("name"),
        "sex": page.value("sex") or None,
        "birth_date": page.value("birth_date") or None,
        "hire_date": page.value("hire_date") or None,
        "stage": page.value("stage") or None,
        "subject": page.value("subject") or None,
        "title": page.value("title") or None,
        "quota_type": page.value("quota_type", "bianzhi"),
        "post_category": page.value("post_category", "professional"),
    }
    try:
        hired = await page.api.post("staffing", "/v1/staff", body)
    except ApiProblem as problem:
        return await unit_view(
            page,
            unit_id,
            "roster",
            errors=explain(problem, page._),
            error_for="hire",
            code=problem.status,
        )
    return page.redirect(f"/staff/{hired['id']}", done="hired")
