"""The school calendar in the UI: city HR sets terms, statutory days off and 调休 working days
(or imports them from xlsx); district HR adds its own days off; everyone in HR can read it."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, UploadFile

from common.clock import local_today
from gateway.ui.client import ApiProblem
from gateway.ui.forms import FormErrors, explain, invalid
from gateway.ui.pages.units import district_options
from gateway.ui.session import HR_DESK, HR_ROLES, Page, signed_in

router = APIRouter()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_BYTES = 2 * 1024 * 1024


def _changed(page: Page, change: dict[str, Any]) -> str:
    """Where to go after a change, with how many lessons moved."""
    return (
        f"/sharing/calendar?year={page.value('year')}"
        f"&added={change.get('lessons_added', 0)}&removed={change.get('lessons_removed', 0)}"
    )


async def calendar_view(
    page: Page,
    year: int,
    district_id: str,
    errors: FormErrors | None = None,
    code: int = 200,
    added: int = -1,
    removed: int = -1,
    report: dict[str, Any] | None = None,
) -> Any:
    if page.role == "district_hr":
        district_id = str(page.user.district_id)
    districts = await district_options(page)
    if not district_id and districts:
        district_id = districts[0][0]
    days, terms, off = await asyncio.gather(
        page.api.get("sharing", "/v1/calendar/days", year=year),
        page.api.get("sharing", "/v1/calendar/terms"),
        page.api.get_or_none("sharing", f"/v1/calendar/districts/{district_id}/days-off")
        if district_id
        else _empty(),
    )
    return page.html(
        "calendar.html",
        status=code,
        errors=errors,
        year=year,
        days=days,
        terms=terms,
        days_off=off or [],
        district_id=district_id,
        districts=districts,
        district_names=dict(districts),
        added=added,
        removed=removed,
        report=report,
        weekdays=[(str(d), page.label("weekday", d)) for d in range(1, 6)],
    )


async def _empty() -> list[Any]:
    return []


@router.get("/sharing/calendar")
async def calendar(
    page: Annotated[Page, Depends(signed_in)],
    year: int = 0,
    district_id: str = "",
    added: int = -1,
    removed: int = -1,
) -> Any:
    page.require(HR_DESK)
    return await calendar_view(
        page, year or local_today().year, district_id, added=added, removed=removed
    )


@router.post("/sharing/calendar/days")
async def set_day(page: Annotated[Page, Depends(signed_in)]) -> Any:
    """City HR sets a day off or a 调休 working day."""
    page.require(HR_ROLES)
    year = int(page.value("year") or local_today().year)
    day = page.value("day")
    if not day:
        return await calendar_view(
            page, year, "", invalid(page._, day=page._("Enter a date.")), 422
        )
    kind = page.value("kind")
    body = {
        "kind": kind,
        "name": page.value("name"),
        "follows_weekday": int(page.value("follows_weekday"))
        if kind == "workday" and page.value("follows_weekday").isdigit()
        else None,
        "source": page.value("source"),
    }
    try:
        change = await page.api.put("sharing", f"/v1/calendar/days/{day}", body)
    except ApiProblem as problem:
        return await calendar_view(page, year, "", explain(problem, page._), problem.status)
    return page.redirect(_changed(page, change))


@router.post("/sharing/calendar/days/{day}/delete")
async def delete_day(day: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    page.require(HR_ROLES)
    try:
        response = await page.api.call("DELETE", "sharing", f"/v1/calendar/days/{day}")
    except ApiProblem as problem:
        return page.redirect_with_error("/sharing/calendar", explain(problem, page._))
    return page.redirect(_changed(page, response.json()))


@router.post("/sharing/calendar/terms")
async def add_term(page: Annotated[Page, Depends(signed_in)]) -> Any:
    page.require(HR_ROLES)
    year = int(page.value("year") or local_today().year)
    body = {
        "school_year": page.value("school_year"),
        "name": page.value("term_name"),
        "starts_on": page.value("starts_on") or None,
        "ends_on": page.value("ends_on") or None,
    }
    try:
        change = await page.api.post("sharing", "/v1/calendar/terms", body)
    except ApiProblem as problem:
        errors = explain(problem, page._)
        errors.fields = {("term_name" if k == "name" else k): v for k, v in errors.fields.items()}
        return await calendar_view(page, year, "", errors, problem.status)
    return page.redirect(_changed(page, change))


@router.post("/sharing/calendar/terms/{term_id}/delete")
async def delete_term(term_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    page.require(HR_ROLES)
    try:
        response = await page.api.call("DELETE", "sharing", f"/v1/calendar/terms/{term_id}")
    except ApiProblem as problem:
        return page.redirect_with_error("/sharing/calendar", explain(problem, page._))
    return page.redirect(_changed(page, response.json()))


@router.post("/sharing/calendar/days-off")
async def add_day_off(page: Annotated[Page, Depends(signed_in)]) -> Any:
    """A district's own day off (district HR for its district, city HR for any)."""
    page.require(HR_ROLES)
    year = int(page.value("year") or local_today().year)
    district_id = page.value("district_id")
    if page.role == "district_hr":
        district_id = str(page.user.district_id)
    day = page.value("off_day")
    if not day:
        return await calendar_view(
            page, year, district_id, invalid(page._, off_day=page._("Enter a date.")), 422
        )
    try:
        change = await page.api.put(
            "sharing",
            f"/v1/calendar/districts/{district_id}/days-off/{day}",
            {"reason": page.value("reason")},
        )
    except ApiProblem as problem:
        return await calendar_view(
            page, year, district_id, explain(problem, page._), problem.status
        )
    return page.redirect(_changed(page, change) + f"&district_id={district_id}")


@router.post("/sharing/calendar/days-off/{district_id}/{day}/delete")
async def delete_day_off(
    district_id: str, day: str, page: Annotated[Page, Depends(signed_in)]
) -> Any:
    page.require(HR_ROLES)
    try:
        response = await page.api.call(
            "DELETE", "sharing", f"/v1/calendar/districts/{district_id}/days-off/{day}"
        )
    except ApiProblem as problem:
        return page.redirect_with_error("/sharing/calendar", explain(problem, page._))
    return page.redirect(_changed(page, response.json()) + f"&district_id={district_id}")


@router.post("/sharing/calendar/import")
async def import_days(page: Annotated[Page, Depends(signed_in)]) -> Any:
    """Import days off and working days from an xlsx sheet."""
    page.require(HR_ROLES)
    year = int(page.value("year") or local_today().year)
    upload = page.form.get("file") if page.form is not None else None
    content = await upload.read() if isinstance(upload, UploadFile) else b""
    if not content:
        return await calendar_view(
            page, year, "", invalid(page._, file=page._("Choose an xlsx file.")), 422
        )
    if len(content) > MAX_BYTES:
        return await calendar_view(
            page, year, "", invalid(page._, file=page._("The file is too large.")), 413
        )
    try:
        answer = await page.api.call(
            "POST", "sharing", "/v1/calendar/import", content=content, content_type=XLSX
        )
    except ApiProblem as problem:
        errors = explain(problem, page._)
        rows = [f"{e['field']}: {e['message']}" for e in problem.body.get("errors") or []]
        errors.detail = "; ".join(rows) or errors.detail
        return await calendar_view(page, year, "", errors, problem.status)
    return await calendar_view(page, year, "", report=answer.json())
