"""Safe xlsx in and out: exported text never becomes a formula; uploads are bounded before parsing.

Formula injection (OWASP, "CSV Injection"): a value a user typed that begins with `=`, `+`, `-`,
`@`, tab or carriage return would be a live formula in the reader's spreadsheet program. Such values
are written as text cells with Excel's quote prefix, so they show as typed and stay text if edited.

An xlsx file is a zip: a few kilobytes can declare gigabytes of XML. `check_upload` reads the zip's
directory (sizes, entry count, sheets) before any XML is parsed; `bounded_rows` stops reading a
sheet as soon as it passes the row limit.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from openpyxl.cell import WriteOnlyCell

from common.errors import DomainError

#: The characters OWASP lists as starting a formula in a spreadsheet program.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class WorkbookTooLarge(DomainError):
    status, slug, title = 413, "workbook-too-large", "The workbook is too large"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, errors=[{"field": "body", "message": detail}])


@dataclass(frozen=True, slots=True)
class UploadLimits:
    """Bounds on an uploaded workbook, checked before it is parsed."""

    max_uncompressed_bytes: int
    max_sheets: int
    max_rows: int
    max_entries: int = 1_000


def check_upload(content: bytes, limits: UploadLimits) -> None:
    """Refuse a workbook whose zip declares too much, before openpyxl reads any of it.

    Python's zipfile never inflates an entry past the size its directory declares, so the
    declared sizes bound what any later parse can decompress."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError):
        return  # not a zip: the parser names the problem
    with archive:
        entries = archive.infolist()
        if len(entries) > limits.max_entries:
            raise WorkbookTooLarge(f"the workbook has more than {limits.max_entries} parts")
        total = sum(entry.file_size for entry in entries)
        if total > limits.max_uncompressed_bytes:
            raise WorkbookTooLarge(
                f"the workbook is {total:,} bytes when decompressed; "
                f"the limit is {limits.max_uncompressed_bytes:,}"
            )
        sheets = [
            e
            for e in entries
            if e.filename.startswith("xl/worksheets/") and e.filename.endswith(".xml")
        ]
        if len(sheets) > limits.max_sheets:
            raise WorkbookTooLarge(
                f"the workbook has {len(sheets)} sheets; the limit is {limits.max_sheets}"
            )


def bounded_rows(rows: Iterable[Any], max_rows: int) -> Iterator[Any]:
    """The sheet's rows, refusing the workbook as soon as there are more than `max_rows`."""
    for count, row in enumerate(rows, start=1):
        if count > max_rows + 1:  # the header row is not counted
            raise WorkbookTooLarge(f"the sheet has more than {max_rows:,} rows; that is the limit")
        yield row


def is_formula_like(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def text_cell(sheet: Any, value: Any) -> Any:
    """A value for `sheet.append`: formula-like text becomes a quoted text cell."""
    if not is_formula_like(value):
        return value
    cell = WriteOnlyCell(sheet, value)
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


def safe_row(sheet: Any, values: Iterable[Any]) -> list[Any]:
    """A row for `sheet.append` in which no user text is a formula."""
    return [text_cell(sheet, v) for v in values]
