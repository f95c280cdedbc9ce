"""HTTP for spreadsheet imports and exports."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Query, Request, Response

from common.deps import CurrentPrincipal, SessionDep
from services.staffing.calendar import local_today
from services.staffing.ledger import repository as ledger
from services.staffing.models import LedgerEntry, Loan
from services.staffing.pool import repository as pool
from services.staffing.spreadsheets import repository, service
from services.staffing.spreadsheets.schemas import ExportKind, ImportKind, ImportReport
from services.staffing.summaries.service import area_summary

router = APIRouter(prefix="/v1", tags=["spreadsheets"])
EXPORT_LIMIT = 100_000


@router.post("/imports/{kind}", response_model=ImportReport)
async def import_workbook(
    kind: ImportKind,
    session: SessionDep,
    principal: CurrentPrincipal,
    content: Annotated[bytes, Body(media_type=service.XLSX)],
    request: Request,
    document_no: Annotated[str, Query(min_length=1, max_length=80)] = "import",
) -> ImportReport:
    """Import an xlsx workbook's first sheet: every row, or none with each problem named.
    A workbook over the configured size, sheet or row limits is refused with 413."""
    settings = request.app.state.settings
    return await service.import_workbook(
        session,
        principal,
        kind,
        content,
        document_no,
        service.upload_limits(settings),
        settings.import_max_bytes,
    )


@router.get("/exports/{kind}")
async def export_workbook(
    kind: ExportKind,
    session: SessionDep,
    principal: CurrentPrincipal,
    district_id: uuid.UUID | None = None,
) -> Response:
    """The city or a district's summary, the loans, or the ledger, as xlsx."""
    today = local_today()
    if kind == "summary":
        summary = await area_summary(session, principal, district_id, today)
        rows = [
            [summary.scope, q.quota_type, q.approved, q.occupied, q.reserved, q.vacant, q.borrowed]
            for q in summary.quotas
        ]
        rows.append(["required", summary.required, "shortage now", summary.shortage_now])
        rows.append(["shortage by forecast", summary.shortage_forecast])
        header = ["scope", "quota_type", "approved", "occupied", "reserved", "vacant", "borrowed"]
    elif kind == "loans":
        loans = await repository.all_rows(
            session, pool.visible_loans(principal).order_by(Loan.due_date), EXPORT_LIMIT
        )
        header = ["loan", "unit", "quota_type", "granted", "outstanding", "due_date", "overdue"]
        rows = [
            [
                loan.id,
                loan.unit_id,
                loan.quota_type,
                loan.granted,
                loan.outstanding,
                loan.due_date,
                loan.outstanding > 0 and loan.due_date < today,
            ]
            for loan in loans
        ]
    else:
        entries = await repository.all_rows(
            session,
            ledger.visible(principal, unit_id=None).order_by(LedgerEntry.id),
            EXPORT_LIMIT,
        )
        header = [
            "id",
            "at",
            "kind",
            "unit",
            "quota_type",
            "account",
            "delta",
            "balance_after",
            "actor",
            "document_no",
            "reason",
            "correlation_id",
        ]
        rows = [
            [
                e.id,
                e.at,
                e.kind,
                e.unit_id,
                e.quota_type,
                e.account,
                e.delta,
                e.balance_after,
                e.actor,
                e.document_no,
                e.reason,
                e.correlation_id,
            ]
            for e in entries
        ]
    return Response(
        service.workbook(kind, header, rows),
        media_type=service.XLSX,
        headers={"Content-Disposition": f'attachment; filename="staffing-{kind}.xlsx"'},
    )
