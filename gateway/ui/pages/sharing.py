"""Teacher sharing for HR: the requests queue, ranked candidates, offers, settlements."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, TypedDict

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from common.auth import CITY_ROLES
from gateway.ui.client import ApiProblem
from gateway.ui.forms import FormErrors, explain, invalid
from gateway.ui.pages.pool import unit_names
from gateway.ui.pages.units import district_options
from gateway.ui.session import HR_DESK, Page, signed_in

router = APIRouter()
WEEKDAYS = range(1, 6)
PERIODS = range(1, 9)


def ticked_slots(page: Page) -> list[list[int]]:
    """The periods ticked on a weekly grid: checkboxes named `slot` with values `day-period`."""
    picked = []
    for value in page.values("slot"):
        day, _, period = value.partition("-")
        if day.isdigit() and period.isdigit():
            picked.append([int(day), int(period)])
    return picked


def week_grid(cells: list[dict[str, Any]]) -> dict[tuple[int, int], list[dict[str, Any]]]:
    """Timetable cells by (weekday, period)."""
    grid: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for cell in cells:
        grid.setdefault((cell["weekday"], cell["period"]), []).append(cell)
    return grid


async def timetable_page(
    page: Page, found: dict[str, Any] | None, on: str, units: set[str] | None = None
) -> Any:
    """A week's timetable, or word that there is none (`found` None). The units named are
    `units`, or else those of the cells."""
    cells = (found or {"cells": []})["cells"]
    names = await unit_names(page, units if units is not None else {c["unit_id"] for c in cells})
    return page.html(
        "timetable.html",
        grid=week_grid(cells),
        available=found is not None,
        names=names,
        weekdays=WEEKDAYS,
        periods=PERIODS,
        on=on,
    )


@router.get("/sharing")
async def requests_queue(
    page: Annotated[Page, Depends(signed_in)], status: str = "open", cursor: str = ""
) -> Any:
    page.require(HR_DESK)
    found = await page.api.get("sharing", "/v1/requests", status=status, cursor=cursor, limit=100)
    names = await unit_names(page, {r["unit_id"] for r in found["data"]})
    return page.html(
        "sharing.html",
        requests=found["data"],
        next_cursor=found.get("next_cursor"),
        names=names,
        status_filter=status,
    )


#: Statuses from which a request may still be cancelled; a filled one ends its assignment.
CANCELLABLE = ("pending_approval", "open")


async def request_view(
    page: Page,
    request_id: str,
    errors: FormErrors | None = None,
    code: int = 200,
    error_for: str = "",
) -> Any:
    request, candidates, offers = await asyncio.gather(
        page.api.get("sharing", f"/v1/requests/{request_id}"),
        page.api.get_or_none("sharing", f"/v1/requests/{request_id}/candidates", limit=10),
        page.api.get_or_none("sharing", f"/v1/requests/{request_id}/offers", limit=50),
    )
    # The assignments a request made: its host school's, those of this request.
    hosted = await page.api.get_or_none(
        "sharing", "/v1/assignments", unit_id=request["unit_id"], limit=200
    )
    assignments = [a for a in (hosted or {"data": []})["data"] if a["request_id"] == request["id"]]
    teachers = await asyncio.gather(
        *(page.api.get_or_none("sharing", f"/v1/teachers/{a['teacher_id']}") for a in assignments)
    )
    candidate_rows = (candidates or {"data": []})["data"]
    ids = {request["unit_id"]} | {c["home_unit_id"] for c in candidate_rows}
    names = await unit_names(page, ids)
    return page.html(
        "sharing_request.html",
        status=code,
        req=request,
        picked={tuple(s) for s in request["slots"]},
        candidates=candidate_rows,
        offers=(offers or {"data": []})["data"],
        names=names,
        errors=errors,
        error_for=error_for,
        assignments=assignments,
        teacher_names={t["id"]: t["name"] for t in teachers if t},
        cancellable=request["status"] in CANCELLABLE
        and page.may("sharing", "POST", "/v1/requests/{request_id}/cancel"),
        may_end=page.may("sharing", "POST", "/v1/assignments/{assignment_id}/end"),
        weekdays=WEEKDAYS,
        periods=PERIODS,
    )


@router.get("/sharing/requests/{request_id}")
async def request_detail(request_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    if page.role == "school_admin":
        return page.redirect("/school/request")
    page.require(HR_DESK)
    return await request_view(page, request_id)


@router.post("/sharing/requests/{request_id}/approve")
async def approve_request(request_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    """The district approves a school's request, which opens it for matching (区县审批)."""
    page.require_api("sharing", "POST", "/v1/requests/{request_id}/approve")
    try:
        await page.api.post("sharing", f"/v1/requests/{request_id}/approve")
    except ApiProblem as problem:
        return await request_view(page, request_id, explain(problem, page._), problem.status)
    return page.redirect(f"/sharing/requests/{request_id}", done="approved")


@router.post("/sharing/requests/{request_id}/cancel")
async def cancel_request(request_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    """Withdraw a request not yet filled, with a reason; its pending offers are withdrawn."""
    page.require_api("sharing", "POST", "/v1/requests/{request_id}/cancel")
    try:
        await page.api.post(
            "sharing", f"/v1/requests/{request_id}/cancel", {"reason": page.value("reason")}
        )
    except ApiProblem as problem:
        errors = explain(problem, page._)
        return await request_view(page, request_id, errors, problem.status, error_for="cancel")
    return page.redirect(f"/sharing/requests/{request_id}", done="cancelled")


@router.post("/sharing/assignments/{assignment_id}/end")
async def end_assignment(assignment_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    """End an assignment before its term (提前结束): later lessons are cancelled and the
    request opens again for matching."""
    page.require_api("sharing", "POST", "/v1/assignments/{assignment_id}/end")
    assignment = await page.api.get("sharing", f"/v1/assignments/{assignment_id}")
    request_id = assignment["request_id"]
    body = {"reason": page.value("reason"), "last_day": page.value("last_day") or None}
    try:
        await page.api.post("sharing", f"/v1/assignments/{assignment_id}/end", body)
    except ApiProblem as problem:
        errors = explain(problem, page._)
        return await request_view(page, request_id, errors, problem.status, error_for=assignment_id)
    return page.redirect(f"/sharing/requests/{request_id}", done="ended")


@router.get("/sharing/offers/{offer_id}")
async def offer_link(offer_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    """Where a notification about an offer leads: the page on which each role acts on it."""
    if page.role == "teacher":
        return page.redirect(f"/teacher#offer-{offer_id}")
    if page.role == "school_admin":
        return page.redirect(f"/school/offers#offer-{offer_id}")
    page.require(HR_DESK)
    offer = await page.api.get("sharing", f"/v1/offers/{offer_id}")
    return page.redirect(f"/sharing/requests/{offer['request_id']}")


@router.get("/sharing/lessons")
async def lessons_link(page: Annotated[Page, Depends(signed_in)]) -> Any:
    """Where a notification about lessons leads: the teacher's or the host school's list."""
    if page.role == "teacher":
        return page.redirect("/teacher/lessons")
    if page.role == "school_admin":
        return page.redirect("/school/lessons")
    page.require(HR_DESK)
    return page.redirect("/sharing/calendar")


@router.post("/sharing/requests/{request_id}/offers")
async def send_offer(request_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    """Offer the request to a ranked teacher; the home school consents next."""
    page.require_api("sharing", "POST", "/v1/requests/{request_id}/offers")
    body = {"teacher_id": page.value("teacher_id") or None, "note": page.value("note") or None}
    try:
        await page.api.post("sharing", f"/v1/requests/{request_id}/offers", body)
    except ApiProblem as problem:
        return await request_view(page, request_id, explain(problem, page._), problem.status)
    return page.redirect(f"/sharing/requests/{request_id}", done="offered")


@router.get("/sharing/settlements")
async def settlements(page: Annotated[Page, Depends(signed_in)], month: str = "") -> Any:
    page.require(HR_DESK | {"teacher"})
    return await settlements_view(page, month)


async def settlements_view(
    page: Page, month: str, errors: FormErrors | None = None, code: int = 200
) -> Any:
    found = await page.api.get_or_none("sharing", "/v1/settlements", month=month, limit=200)
    unpriced = None
    if month and page.may("sharing", "GET", "/v1/settlements/unpriced"):
        # Periods a settlement of the month leaves unpaid for want of a rate, on their own rows.
        unpriced = await page.api.get_or_none("sharing", "/v1/settlements/unpriced", month=month)
    rows = (found or {"data": []})["data"]
    return page.html(
        "settlements.html",
        status=code,
        settlements=rows,
        unpriced=(unpriced or {"data": []})["data"],
        available=found is not None,
        month=month,
        errors=errors,
        may_issue=page.may("sharing", "POST", "/v1/settlements"),
        **await settlement_names(page, rows),
    )


class SettlementNames(TypedDict):
    """Names by id for the settlements page: the teachers', and the home schools' and host
    districts'."""

    teacher_names: dict[str, str]
    names: dict[str, str]


async def settlement_names(page: Page, rows: list[dict[str, Any]]) -> SettlementNames:
    """The teachers' and home schools' names that settlements show instead of their ids."""
    teachers, names = await asyncio.gather(
        asyncio.gather(
            *(
                page.api.get_or_none("sharing", f"/v1/teachers/{t}")
                for t in sorted({r["teacher_id"] for r in rows})
            )
        ),
        unit_names(
            page,
            {r["home_unit_id"] for r in rows}
            | {d["host_district_id"] for r in rows for d in r.get("by_host_district", [])} - {None},
        ),
    )
    return {"teacher_names": {t["id"]: t["name"] for t in teachers if t}, "names": names}


@router.post("/sharing/settlements")
async def issue_settlements(page: Annotated[Page, Depends(signed_in)]) -> Any:
    """Issue a month's settlements (课时费结算) for the teachers in the user's scope."""
    page.require_api("sharing", "POST", "/v1/settlements")
    month = page.value("month")
    if not month:
        errors = invalid(page._, month=page._("Choose a month."))
        return await settlements_view(page, month, errors, 422)
    try:
        await page.api.post("sharing", "/v1/settlements", {"month": month})
    except ApiProblem as problem:
        return await settlements_view(page, month, explain(problem, page._), problem.status)
    return page.redirect(f"/sharing/settlements?month={month}", done="issued")


@router.get("/sharing/settlements/export")
async def settlements_export(page: Annotated[Page, Depends(signed_in)], month: str = "") -> Any:
    """The month's settlements as the service's xlsx, for payroll."""
    page.require(HR_DESK)
    answer = await page.api.call(
        "GET", "sharing", "/v1/settlements/export", params={"month": month}
    )
    return Response(
        answer.content,
        media_type=answer.headers.get("content-type", "application/octet-stream"),
        headers={
            "content-disposition": answer.headers.get(
                "content-disposition", 'attachment; filename="settlements.xlsx"'
            )
        },
    )


@router.get("/sharing/settlements/{settlement_id}")
async def settlement_link(settlement_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    """One settlement, as a notification links to it (the teacher's own, or HR's)."""
    page.require(HR_DESK | {"teacher"})
    rows = await page.api.get_all("sharing", "/v1/settlements", cap=2000)
    found = [r for r in rows if r.get("id") == settlement_id]
    return page.html(
        "settlements.html",
        settlements=found,
        unpriced=[],
        available=True,
        month="",
        **await settlement_names(page, found),
    )


@router.get("/sharing/batches")
async def batch_form(page: Annotated[Page, Depends(signed_in)]) -> Any:
    page.require(HR_DESK)
    return await batch_form_view(page)


async def batch_form_view(page: Page, errors: FormErrors | None = None, code: int = 200) -> Any:
    districts = await district_options(page) if page.role in CITY_ROLES else []
    return page.html("sharing_batch_new.html", status=code, errors=errors, districts=districts)


@router.post("/sharing/batches")
async def propose_batch(page: Annotated[Page, Depends(signed_in)]) -> Any:
    """Match every open request of a term at once; the answer is a proposal to review."""
    page.require_api("sharing", "POST", "/v1/batch-matches")
    district = page.value("district_id") or None
    if page.role == "district_hr":
        district = str(page.user.district_id)
    body = {
        "term_start": page.value("term_start") or None,
        "term_end": page.value("term_end") or None,
        "district_id": district,
    }
    try:
        batch = await page.api.post("sharing", "/v1/batch-matches", body)
    except ApiProblem as problem:
        return await batch_form_view(page, explain(problem, page._), problem.status)
    return page.redirect(f"/sharing/batches/{batch['id']}", done="proposed")


@router.get("/sharing/batches/{batch_id}")
async def batch_review(
    batch_id: str, page: Annotated[Page, Depends(signed_in)], made: int = -1, skipped: int = -1
) -> Any:
    """The proposal: each request with the teacher it would get, and the figures beside."""
    page.require(HR_DESK)
    batch = await page.api.get("sharing", f"/v1/batch-matches/{batch_id}")
    proposals = batch["proposals"]
    requests, teachers = await asyncio.gather(
        asyncio.gather(
            *(page.api.get_or_none("sharing", f"/v1/requests/{p['request_id']}") for p in proposals)
        ),
        asyncio.gather(
            *(page.api.get_or_none("sharing", f"/v1/teachers/{p['teacher_id']}") for p in proposals)
        ),
    )
    by_request = {r["id"]: r for r in requests if r}
    by_teacher = {t["id"]: t for t in teachers if t}
    units = {r["unit_id"] for r in by_request.values()} | {
        t["unit_id"] for t in by_teacher.values()
    }
    names = await unit_names(page, units)
    return page.html(
        "sharing_batch.html",
        batch=batch,
        proposals=proposals,
        requests=by_request,
        teachers=by_teacher,
        names=names,
        made=made,
        skipped=skipped,
    )


@router.post("/sharing/batches/{batch_id}/offers")
async def batch_offers(batch_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    """Turn the whole proposal into offers in one step."""
    page.require_api("sharing", "POST", "/v1/batch-matches/{batch_id}/offers")
    try:
        result = await page.api.post("sharing", f"/v1/batch-matches/{batch_id}/offers")
    except ApiProblem as problem:
        return page.redirect_with_error(f"/sharing/batches/{batch_id}", explain(problem, page._))
    made, skipped = len(result["offer_ids"]), len(result["skipped"])
    return page.redirect(f"/sharing/batches/{batch_id}?made={made}&skipped={skipped}")
