"""Spreadsheets in and out: imports with a row-by-row report, exports for Excel (电子表格)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from gateway.ui.client import ApiProblem
from gateway.ui.forms import explain, invalid
from gateway.ui.i18n import N_
from gateway.ui.session import HR_DESK, Page, signed_in

router = APIRouter()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Larger workbooks are refused before they reach the service.
MAX_BYTES = 20 * 1024 * 1024

IMPORT_KINDS = {
    "units": N_("Units and approved posts"),
    "enrolment": N_("Enrolment"),
    "roster": N_("Staff roster"),
}
#: The columns each kind reads from the first sheet's header row (required first).
COLUMNS = {
    "units": "code, name, kind, district_code, stages, lat, lon, bianzhi, yuan_e, control",
    "enrolment": "school_code, school_year, stage, pupils, forecast",
    "roster": (
        "school_code, name, sex, birth_date, hire_date, quota_type, subject, stage, title, "
        "post_category"
    ),
}
EXPORT_KINDS = {
    "summary": N_("Summary of posts"),
    "loans": N_("Loans from the pool"),
    "ledger": N_("Ledger of movements"),
}


def _view(page: Page, code: int = 200, **context: Any) -> Any:
    return page.html(
        "imports.html",
        status=code,
        kinds=[(k, page.translate(v)) for k, v in IMPORT_KINDS.items()],
        columns=COLUMNS,
        exports=[(k, page.translate(v)) for k, v in EXPORT_KINDS.items()],
        may_import=page.may("staffing", "POST", "/v1/imports/{kind}"),
        **{"errors": None, "problems": [], "report": None, **context},
    )


@router.get("/imports")
async def imports(page: Annotated[Page, Depends(signed_in)]) -> Any:
    page.require(HR_DESK)
    return _view(page)


@router.post("/imports")
async def upload(page: Annotated[Page, Depends(signed_in)]) -> Any:
    """Send the workbook to staffing: every row is imported, or none, with each problem named."""
    page.require_api("staffing", "POST", "/v1/imports/{kind}")
    kind = page.value("kind")
    upload = page.form.get("file") if page.form is not None else None
    content = await upload.read() if isinstance(upload, UploadFile) else b""
    if kind not in IMPORT_KINDS:
        return _view(page, 422, errors=invalid(page._, kind=page._("Choose one from the list.")))
    if not content:
        return _view(page, 422, errors=invalid(page._, file=page._("Choose an xlsx file.")))
    if len(content) > MAX_BYTES:
        return _view(page, 413, errors=invalid(page._, file=page._("The file is too large.")))
    try:
        answer = await page.api.call(
            "POST",
            "staffing",
            f"/v1/imports/{kind}",
            params={"document_no": page.value("document_no") or "import"},
            content=content,
            content_type=XLSX,
        )
    except ApiProblem as problem:
        rows = [e for e in problem.body.get("errors") or [] if "row" in e]
        errors = explain(problem, page._)
        if rows:
            errors.summary = page._("Nothing was imported: fix the rows below and upload again.")
            errors.fields = {}
        elif not errors.fields:
            errors.fields = {"file": page._("The file could not be read as an xlsx workbook.")}
        return _view(page, problem.status, errors=errors, problems=rows)
    return _view(page, report=answer.json())


@router.get("/imports/templates/{kind}")
async def template(kind: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    """The template workbook of an import kind, for download."""
    page.require(HR_DESK)
    if kind not in IMPORT_KINDS:
        return page.redirect("/imports")
    answer = await page.api.call("GET", "staffing", f"/v1/imports/{kind}/template")
    return Response(
        answer.content,
        media_type=XLSX,
        headers={"content-disposition": f'attachment; filename="template-{kind}.xlsx"'},
    )


@router.get("/imports/exports/{kind}")
async def export(kind: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    """Staffing's workbook of `kind`, passed through for download."""
    page.require(HR_DESK)
    if kind not in EXPORT_KINDS:
        return page.redirect("/imports")
    answer = await page.api.call("GET", "staffing", f"/v1/exports/{kind}")
    return Response(
        answer.content,
        media_type=XLSX,
        headers={
            "content-disposition": answer.headers.get(
                "content-disposition", f'attachment; filename="staffing-{kind}.xlsx"'
            )
        },
    )
