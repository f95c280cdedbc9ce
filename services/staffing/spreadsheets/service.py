"""Imports validate every row before writing any; exports write summaries, loans and the ledger."""

from __future__ import annotations

import io
import uuid
from collections import Counter
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook, load_workbook
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from common.auth import Principal
from common.errors import InvalidInput
from common.spreadsheets import UploadLimits, WorkbookTooLarge, bounded_rows, check_upload, safe_row
from contracts.staffing import UnitUpdated
from services.staffing.ledger import repository as ledger
from services.staffing.ledger.service import Movement, move
from services.staffing.models import Enrolment, LedgerEntry, Loan, Staff, Unit, outbox
from services.staffing.pool import repository as pool
from services.staffing.quotas import repository as quotas
from services.staffing.roster.service import hire_into_vacancy
from services.staffing.spreadsheets import repository
from services.staffing.spreadsheets.schemas import (
    QUOTA_COLUMNS,
    ROW_MODELS,
    EnrolmentRow,
    ExportKind,
    ImportReport,
    RosterRow,
    UnitRow,
)
from services.staffing.summaries.service import area_summary
from services.staffing.units.service import (
    add_unit,
    check_stages_dropped,
    facts,
    location_problem,
    require_manager,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Problems:
    """Every problem of a workbook, each naming sheet, row, column and reason."""

    def __init__(self, sheet: str) -> None:
        self.sheet = sheet
        self.found: list[dict[str, Any]] = []

    def add(self, row: int, column: str, reason: str) -> None:
        self.found.append(
            {
                "field": f"{self.sheet}!{column}{row}",
                "sheet": self.sheet,
                "row": row,
                "column": column,
                "message": reason,
            }
        )

    def raise_any(self) -> None:
        if self.found:
            first = self.found[0]
            raise InvalidInput(
                f"{len(self.found)} problem(s); nothing was imported. First: sheet "
                f"{first['sheet']}, row {first['row']}, column {first['column']}: "
                f"{first['message']}",
                errors=self.found,
            )


def upload_limits(settings: Any) -> UploadLimits:
    return UploadLimits(
        max_uncompressed_bytes=settings.import_max_uncompressed_bytes,
        max_sheets=settings.import_max_sheets,
        max_rows=settings.import_max_rows,
    )


def read_rows(
    content: bytes, kind: str, limits: UploadLimits, max_bytes: int | None = None
) -> tuple[str, list[tuple[int, Any]], Problems]:
    """Parse the first sheet; header names map columns, row numbers are the sheet's own.
    The limits are checked on the zip's directory first, and rows are counted as they stream."""
    if max_bytes is not None and len(content) > max_bytes:
        raise WorkbookTooLarge(f"the upload is {len(content):,} bytes; the limit is {max_bytes:,}")
    check_upload(content, limits)
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:
        raise InvalidInput.field(
            "body", f"not an xlsx workbook: {error.__class__.__name__}"
        ) from error
    sheet = book.worksheets[0]
    problems = Problems(sheet.title)
    rows = bounded_rows(sheet.iter_rows(values_only=True), limits.max_rows)
    header = [str(h).strip() if h is not None else "" for h in next(rows, ())]
    model = ROW_MODELS[kind]
    required = [name for name, f in model.model_fields.items() if f.is_required()]
    for name in required:
        if name not in header:
            problems.add(1, name, f"the column {name} is missing")
    problems.raise_any()
    parsed: list[tuple[int, Any]] = []
    for number, values in enumerate(rows, start=2):
        record = {h: v for h, v in zip(header, values, strict=False) if h and v not in (None, "")}
        if not record:
            continue
        try:
            parsed.append((number, model.model_validate(_plain(record))))
        except ValidationError as error:
            for e in error.errors():
                problems.add(number, str(e["loc"][0]) if e["loc"] else "", e["msg"])
    return sheet.title, parsed, problems


def _plain(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v.date() if isinstance(v, datetime) else v for k, v in record.items()}


async def import_workbook(
    session: AsyncSession,
    principal: Principal,
    kind: str,
    content: bytes,
    document_no: str,
    limits: UploadLimits,
    max_bytes: int | None = None,
) -> ImportReport:
    """Import every row, or none: any bad row answers 422 naming sheet, row, column and why."""
    require_manager(principal, "import spreadsheets")
    sheet, rows, problems = read_rows(content, kind, limits, max_bytes)
    units = {u.code: u for u in await repository.units(session)}
    if kind == "units":
        created, updated = await _units(session, principal, rows, units, problems, document_no)
    elif kind == "enrolment":
        created, updated = await _enrolment(session, rows, units, problems)
    else:
        created, updated = await _roster(session, principal, rows, units, problems)
    return ImportReport(kind=kind, sheet=sheet, rows=len(rows), created=created, updated=updated)


async def _units(
    session: AsyncSession,
    principal: Principal,
    rows: list[tuple[int, UnitRow]],
    units: dict[str, Unit],
    problems: Problems,
    document_no: str,
) -> tuple[int, int]:
    codes = Counter(row.code for _, row in rows)
    new_districts = {row.code for _, row in rows if row.kind == "district"}
    for number, row in rows:
        if codes[row.code] > 1:
            problems.add(number, "code", f"the code {row.code} appears more than once")
        if row.kind == "school":
            if not row.district_code:
                problems.add(number, "district_code", "a school needs its district's code")
            elif row.district_code not in new_districts and (
                units.get(row.district_code) is None or units[row.district_code].kind != "district"
            ):
                problems.add(number, "district_code", f"no district {row.district_code}")
            if not row.stages:
                problems.add(number, "stages", "a school teaches at least one stage")
        located = location_problem(row.kind, row.lat, row.lon)
        if located is not None:
            problems.add(number, *located)
        existing = units.get(row.code)
        if existing is not None and existing.kind != row.kind:
            problems.add(number, "kind", f"{row.code} is a {existing.kind}")
        elif existing is not None:
            dropped = await check_stages_dropped(session, existing, list(row.stages))
            if dropped:
                problems.add(number, "stages", dropped)
        if existing is not None:
            for quota_type in QUOTA_COLUMNS:
                target = getattr(row, quota_type)
                quota = await quotas.lock_quota(session, existing.id, quota_type)
                floor = max(quota.occupied + quota.reserved, quota.borrowed) if quota else 0
                if target is not None and target < floor:
                    problems.add(number, quota_type, f"below the {floor} posts already held")
    problems.raise_any()
    created = updated = 0
    for _, row in sorted(rows, key=lambda r: r[1].kind != "district"):
        unit = units.get(row.code)
        if unit is None:
            district = units.get(row.district_code or "")
            unit = Unit(
                kind=row.kind,
                code=row.code,
                name=row.name,
                district_id=district.id if district else None,
                stages=list(row.stages),
                lat=row.lat,
                lon=row.lon,
            )
            units[row.code] = await add_unit(session, unit)
            created += 1
        else:
            unit.name, unit.stages, unit.lat, unit.lon = (
                row.name,
                list(row.stages),
                row.lat,
                row.lon,
            )
            await outbox.add(session, UnitUpdated(**facts(unit)), subject=str(unit.id))
            updated += 1
        targets = {q: getattr(row, q) for q in QUOTA_COLUMNS if getattr(row, q) is not None}
        await quotas.ensure_quotas(session, [(unit.id, q) for q in targets])
        why = Movement.of("adjustment", principal.sub, document_no=document_no, reason="import")
        for quota_type, target in targets.items():
            quota = await quotas.lock_quota(session, unit.id, quota_type)
            assert quota is not None
            if target != quota.approved:
                move(session, quota, "approved", target - quota.approved, why)
    await session.flush()
    return created, updated


async def _enrolment(
    session: AsyncSession,
    rows: list[tuple[int, EnrolmentRow]],
    units: dict[str, Unit],
    problems: Problems,
) -> tuple[int, int]:
    for number, row in rows:
        school = units.get(row.school_code)
        if school is None or school.kind != "school":
            problems.add(number, "school_code", f"no school {row.school_code}")
        elif row.stage not in school.stages:
            problems.add(number, "stage", f"{row.school_code} does not teach {row.stage}")
    problems.raise_any()
    created = updated = 0
    for _, row in rows:
        unit_id = units[row.school_code].id
        found = await session.get(Enrolment, (unit_id, row.school_year, row.stage))
        if found is None:
            session.add(
                Enrolment(
                    unit_id=unit_id,
                    school_year=row.school_year,
                    stage=row.stage,
                    pupils=row.pupils,
                    forecast=row.forecast,
                    source="import" if row.forecast else "count",
                )
            )
            created += 1
        else:
            found.pupils, found.forecast = row.pupils, row.forecast
            found.source = "import" if row.forecast else "count"
            updated += 1
    await session.flush()
    return created, updated


async def _roster(
    session: AsyncSession,
    principal: Principal,
    rows: list[tuple[int, RosterRow]],
    units: dict[str, Unit],
    problems: Problems,
) -> tuple[int, int]:
    taken: Counter[tuple[str, str]] = Counter()
    for number, row in rows:
        school = units.get(row.school_code)
        if school is None:
            problems.add(number, "school_code", f"no unit {row.school_code}")
            continue
        if row.hire_date <= row.birth_date:
            problems.add(number, "hire_date", "hire_date must come after birth_date")
        taken[(row.school_code, row.quota_type)] += 1
        quota = await quotas.lock_quota(session, school.id, row.quota_type)
        vacant = quota.vacant if quota else 0
        if taken[(row.school_code, row.quota_type)] > vacant:
            problems.add(
                number,
                "school_code",
                f"{row.school_code} has {vacant} vacant {row.quota_type} posts; "
                "this row would hire beyond them",
            )
    problems.raise_any()
    why = Movement.of("hire", principal.sub, reason="roster import")
    for _, row in rows:
        unit = units[row.school_code]
        staff = Staff(unit_id=unit.id, status="active", **row.model_dump(exclude={"school_code"}))
        await hire_into_vacancy(session, unit, staff, why)
    return len(rows), 0


def workbook(title: str, header: list[str], rows: list[list[Any]]) -> bytes:
    """One sheet with a header row, as xlsx bytes."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    sheet.append(safe_row(sheet, header))
    for row in rows:
        sheet.append(safe_row(sheet, [_cell(v) for v in row]))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date | int | float | str) or value is None:
        return value
    return str(value)


EXPORT_LIMIT = 100_000


async def export_rows(
    session: AsyncSession,
    principal: Principal,
    kind: ExportKind,
    district_id: uuid.UUID | None,
    today: date,
) -> tuple[list[str], list[list[Any]]]:
    """The header and rows of an export: the area's summary, the loans, or the ledger."""
    header: list[str]
    rows: list[list[Any]]
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
            session, pool.visible_loans(principal).order_by(col(Loan.due_date)), EXPORT_LIMIT
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
                loan.is_overdue(today),
            ]
            for loan in loans
        ]
    else:
        entries = await repository.all_rows(
            session,
            ledger.visible(principal, unit_id=None).order_by(col(LedgerEntry.id)),
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
    return header, rows


#: One example row per import kind, in the columns' order, for the template.
EXAMPLES: dict[str, dict[str, Any]] = {
    "units": {
        "code": "QY-S001",
        "name": "成都市青羊区示例小学",
        "kind": "school",
        "district_code": "510105",
        "stages": "primary",
        "lat": 30.67,
        "lon": 104.05,
        "bianzhi": 60,
    },
    "enrolment": {
        "school_code": "QY-S001",
        "school_year": 2027,
        "stage": "primary",
        "pupils": 1240,
        "forecast": True,
    },
    "roster": {
        "school_code": "QY-S001",
        "name": "张三",
        "sex": "female",
        "birth_date": "1990-05-01",
        "hire_date": "2014-09-01",
        "quota_type": "bianzhi",
        "subject": "数学",
        "stage": "primary",
        "title": "一级教师",
        "post_category": "professional",
    },
}


def template(kind: str) -> bytes:
    """The header row of an import kind and one example row."""
    header = list(ROW_MODELS[kind].model_fields)
    example = EXAMPLES.get(kind, {})
    return workbook(kind, header, [[example.get(name, "") for name in header]])
