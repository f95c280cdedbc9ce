"""Teacher sharing for HR: the requests queue, ranked candidates, offers, settlements."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from gateway.ui.client import ApiProblem
from gateway.ui.forms import FormErrors, explain
from gateway.ui.pages.pool import unit_names
from gateway.ui.session import HR_ROLES, Page, signed_in

router = APIRouter()
WEEKDAYS = range(1, 6)
PERIODS = range(1, 9)


def week_grid(cells: list[dict[str, Any]]) -> dict[tuple[int, int], list[dict[str, Any]]]:
    """Timetable cells by (weekday, period)."""
    grid: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for cell in cells:
        grid.setdefault((cell["weekday"], cell["period"]), []).append(cell)
    return grid


@router.get("/sharing")
async def requests_queue(
    page: Annotated[Page, Depends(signed_in)], status: str = "open", cursor: str = ""
) -> Any:
    page.require(HR_ROLES)
    found = await page.api.get("sharing", "/v1/requests", status=status, cursor=cursor, limit=100)
    names = await unit_names(page, {r["unit_id"] for r in found["data"]})
    return page.html(
        "sharing.html",
        requests=found["data"],
        next_cursor=found.get("next_cursor"),
        names=names,
        status_filter=status,
    )


async def request_view(
    page: Page, request_id: str, errors: FormErrors | None = None, code: int = 200
) -> Any:
    request, candidates, offers = await asyncio.gather(
        page.api.get("sharing", f"/v1/requests/{request_id}"),
        page.api.get_or_none("sharing", f"/v1/requests/{request_id}/candidates", limit=10),
        page.api.get_or_none("sharing", f"/v1/requests/{request_id}/offers", limit=50),
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
        weekdays=WEEKDAYS,
        periods=PERIODS,
    )


@router.get("/sharing/requests/{request_id}")
async def request_detail(request_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    page.require(HR_ROLES)
    return await request_view(page, request_id)


@router.post("/sharing/requests/{request_id}/offers")
async def send_offer(request_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    """Offer the request to a ranked teacher; the home school consents next."""
    page.require(HR_ROLES)
    body = {"teacher_id": page.value("teacher_id") or None, "note": page.value("note") or None}
    try:
        await page.api.post("sharing", f"/v1/requests/{request_id}/offers", body)
    except ApiProblem as problem:
        return await request_view(page, request_id, explain(problem, page._), problem.status)
    return page.redirect(f"/sharing/requests/{request_id}", done="offered")


@router.get("/sharing/settlements")
async def settlements(page: Annotated[Page, Depends(signed_in)], month: str = "") -> Any:
    page.require(HR_ROLES)
    found = await page.api.get_or_none("sharing", "/v1/settlements", month=month, limit=200)
    return page.html(
        "settlements.html",
        settlements=(found or {"data": []})["data"],
        available=found is not None,
        month=month,
    )


@router.get("/sharing/settlements/export")
async def settlements_export(page: Annotated[Page, Depends(signed_in)], month: str = "") -> Any:
    """The month's settlements as the service's xlsx, for payroll."""
    page.require(HR_ROLES)
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
