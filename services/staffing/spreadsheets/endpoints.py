"""HTTP for spreadsheet imports and exports."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Query, Request, Response

from common.clock import local_today
from common.deps import CurrentPrincipal, SessionDep
from services.staffing.spreadsheets import service
from services.staffing.spreadsheets.schemas import ExportKind, ImportKind, ImportReport

router = APIRouter(prefix="/v1", tags=["spreadsheets"])


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


@router.get("/imports/{kind}/template")
async def import_template(kind: ImportKind, principal: CurrentPrincipal) -> Response:
    """An empty workbook of an import kind: the header row and one example row to overwrite
    (for enrolment forecasts: `forecast` TRUE on each forecast row)."""
    return Response(
        service.template(kind),
        media_type=service.XLSX,
        headers={"content-disposition": f'attachment; filename="template-{kind}.xlsx"'},
    )


@router.get("/exports/{kind}")
async def export_workbook(
    kind: ExportKind,
    session: SessionDep,
    principal: CurrentPrincipal,
    district_id: uuid.UUID | None = None,
) -> Response:
    """The city or a district's summary, the loans, or the ledger, as xlsx."""
    header, rows = await service.export_rows(session, principal, kind, district_id, local_today())
    return Response(
        service.workbook(kind, header, rows),
        media_type=service.XLSX,
        headers={"Content-Disposition": f'attachment; filename="staffing-{kind}.xlsx"'},
    )
