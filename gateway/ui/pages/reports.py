"""Reports for leadership: the monthly snapshot of the city or a district, charted over months,
and its xlsx."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from common.auth import CITY_ROLES
from gateway.ui.charts import lines
from gateway.ui.client import ApiProblem
from gateway.ui.forms import explain
from gateway.ui.pages.units import district_options
from gateway.ui.session import HR_DESK, Page, signed_in

router = APIRouter()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def reports_view(page: Page, district_id: str, **context: Any) -> Any:
    page.require(HR_DESK)
    if page.role == "district_hr":
        district_id = str(page.user.district_id)
    found = await page.api.get_or_none(
        "staffing", "/v1/reports/monthly", district_id=district_id or None
    )
    rows = (found or {"data": []})["data"]
    months = [r["month"][:7] for r in rows]
    _ = page._
    charts = [
        lines(
            _("Posts"),
            months,
            [
                (_("Approved"), [r["approved"] for r in rows]),
                (_("Occupied"), [r["occupied"] for r in rows]),
                (_("Required by the standard"), [r["required"] for r in rows]),
            ],
        ),
        lines(
            _("Vacancies, shortage and loans"),
            months,
            [
                (_("Vacant"), [r["vacant"] for r in rows]),
                (_("Short of the standard"), [r["shortage"] for r in rows]),
                (_("Lent and owed"), [r["loans_out"] for r in rows]),
                (_("Overdue loans"), [r["loans_overdue"] for r in rows]),
                (_("Pool balance"), [r["pool_balance"] for r in rows]),
            ],
        ),
        lines(
            _("Sharing and talent"),
            months,
            [
                (_("Library size"), [r["library_size"] for r in rows]),
                (_("Periods taught"), [r["periods_taught"] for r in rows]),
                (_("Hires through talent"), [r["hires_via_talent"] for r in rows]),
            ],
        ),
    ]
    return page.html(
        "reports.html",
        rows=list(reversed(rows)),
        charts=[c for c in charts if c],
        districts=await district_options(page) if page.role != "district_hr" else [],
        district_id=district_id,
        may_snapshot=page.role in CITY_ROLES,
        **{"errors": None, **context},
    )


@router.get("/reports")
async def reports(page: Annotated[Page, Depends(signed_in)], district_id: str = "") -> Any:
    return await reports_view(page, district_id)


@router.post("/reports/snapshot")
async def snapshot(page: Annotated[Page, Depends(signed_in)]) -> Any:
    """Take this month's snapshot now."""
    page.require(CITY_ROLES)
    try:
        await page.api.post("staffing", "/v1/reports/monthly")
    except ApiProblem as problem:
        return await reports_view(page, "", errors=explain(problem, page._))
    return page.redirect("/reports", done="saved")


@router.get("/reports/export")
async def export(page: Annotated[Page, Depends(signed_in)], district_id: str = "") -> Any:
    """The monthly reports as xlsx, Chinese headers and names."""
    page.require(HR_DESK)
    params = {"district_id": district_id} if district_id else None
    answer = await page.api.call("GET", "staffing", "/v1/reports/monthly/export", params=params)
    return Response(
        answer.content,
        media_type=XLSX,
        headers={"content-disposition": 'attachment; filename="monthly-report.xlsx"'},
    )
