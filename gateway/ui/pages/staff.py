"""One person on the roster (编制内人员): their titles, and HR's acts on them — a title
conferred (职称评聘), a departure (离职) and a transfer (调动)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from contracts.vocabulary import STAGES, TITLES
from gateway.ui.client import ApiProblem
from gateway.ui.forms import FormErrors, explain
from gateway.ui.labels import SUBJECTS
from gateway.ui.pages.pool import school_options, unit_names
from gateway.ui.session import HR_DESK, Page, signed_in

router = APIRouter()


async def staff_view(
    page: Page,
    staff_id: str,
    errors: FormErrors | None = None,
    error_for: str = "",
    code: int = 200,
) -> Any:
    person, titles = await asyncio.gather(
        page.api.get("staffing", f"/v1/staff/{staff_id}"),
        page.api.get_or_none("staffing", f"/v1/staff/{staff_id}/titles"),
    )
    unit = await page.api.get_or_none("staffing", f"/v1/units/{person['unit_id']}")
    may_transfer = page.may("staffing", "POST", "/v1/staff/{staff_id}/transfer")
    schools: list[tuple[str, str]] = []
    if may_transfer and unit and person["status"] == "active":
        schools = [
            s
            for s in await school_options(page, unit.get("district_id"))
            if s[0] != person["unit_id"]
        ]
    names = await unit_names(page, {person["unit_id"]})
    active = person["status"] == "active"
    return page.html(
        "staff.html",
        status=code,
        person=person,
        titles=titles or [],
        names=names,
        schools=schools,
        title_options=[(t, page.label("title", t)) for t in TITLES],
        stage_options=[(x, page.label("stage", x)) for x in STAGES],
        subject_options=[(x, page.label("subject", x)) for x in SUBJECTS],
        may_teach=active and page.may("staffing", "PATCH", "/v1/staff/{staff_id}"),
        leave_reasons=page.options("leave_reason"),
        may_title=active and page.may("staffing", "POST", "/v1/staff/{staff_id}/titles"),
        may_depart=active and page.may("staffing", "POST", "/v1/staff/{staff_id}/departure"),
        may_transfer=active and may_transfer,
        errors=errors,
        error_for=error_for,
    )


@router.get("/staff/{staff_id}")
async def staff_detail(staff_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    page.require(HR_DESK | {"school_admin"})
    return await staff_view(page, staff_id)


async def act(
    page: Page,
    staff_id: str,
    method: str,
    template: str,
    body: dict[str, Any],
    form: str,
    done: str,
) -> Any:
    """Send one of HR's acts on the person to staffing's route `template` (with `{staff_id}`):
    a refusal is shown beside the act's form, a success goes back to the person's page."""
    page.require_api("staffing", method, template)
    path = template.format(staff_id=staff_id)
    try:
        if method == "PATCH":
            await page.api.patch("staffing", path, body)
        else:
            await page.api.call(method, "staffing", path, json=body)
    except ApiProblem as problem:
        return await staff_view(page, staff_id, explain(problem, page._), form, problem.status)
    return page.redirect(f"/staff/{staff_id}", done=done)


@router.post("/staff/{staff_id}/titles")
async def confer_title(staff_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    """A title conferred from a date under a document; settlements pay by it from then on."""
    body = {
        "title": page.value("title"),
        "effective_from": page.value("effective_from") or None,
        "document_no": page.value("document_no") or None,
    }
    return await act(page, staff_id, "POST", "/v1/staff/{staff_id}/titles", body, "title", "saved")


@router.post("/staff/{staff_id}/departure")
async def depart(staff_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    """The person leaves: the post is freed, or repays the unit's earliest loan."""
    body = {
        "reason": page.value("reason"),
        "left_on": page.value("left_on") or None,
        "document_no": page.value("document_no") or None,
    }
    return await act(
        page, staff_id, "POST", "/v1/staff/{staff_id}/departure", body, "departure", "departed"
    )


@router.post("/staff/{staff_id}/transfer")
async def transfer(staff_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    """Move the person to another school in one step; the post moves with them."""
    body = {
        "to_unit_id": page.value("to_unit_id") or None,
        "transferred_on": page.value("transferred_on") or None,
        "document_no": page.value("document_no") or None,
    }
    return await act(
        page, staff_id, "POST", "/v1/staff/{staff_id}/transfer", body, "transfer", "transferred"
    )


@router.post("/staff/{staff_id}/teaching")
async def set_teaching(staff_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    """The subject and stage the person teaches; sharing's profile follows."""
    body = {"stage": page.value("stage") or None, "subject": page.value("subject") or None}
    return await act(page, staff_id, "PATCH", "/v1/staff/{staff_id}", body, "teaching", "saved")
