"""HTTP for the monthly reports."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from common.clock import local_today
from common.deps import CurrentPrincipal, SessionDep
from services.staffing.reports import service
from services.staffing.reports.schemas import (
    MonthlyReportPublic,
    MonthlyReportsPublic,
    SnapshotPublic,
)

router = APIRouter(prefix="/v1/reports", tags=["reports"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.post("/monthly", status_code=status.HTTP_201_CREATED, response_model=SnapshotPublic)
async def take_snapshot(session: SessionDep, principal: CurrentPrincipal) -> SnapshotPublic:
    """Take (or retake) this month's snapshot for the city and every district now."""
    service.require_city(principal)
    today = local_today()
    return SnapshotPublic(
        month=service.month_of(today), scopes=await service.snapshot(session, today)
    )


@router.get("/monthly", response_model=MonthlyReportsPublic)
async def monthly(
    session: SessionDep, principal: CurrentPrincipal, district_id: uuid.UUID | None = None
) -> MonthlyReportsPublic:
    """The months on record for the city, or one district, oldest first."""
    rows = await service.history(session, principal, district_id)
    return MonthlyReportsPublic(
        scope=service.scope_of(district_id),
        data=[MonthlyReportPublic.model_validate(r) for r in rows],
    )


@router.get("/monthly/export")
async def export(
    session: SessionDep, principal: CurrentPrincipal, district_id: uuid.UUID | None = None
) -> Response:
    """The months on record as xlsx with Chinese headers and names."""
    content = await service.workbook(session, principal, district_id)
    return Response(
        content,
        media_type=XLSX,
        headers={"content-disposition": 'attachment; filename="monthly-report.xlsx"'},
    )
