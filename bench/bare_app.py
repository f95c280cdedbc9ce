"""The baselines of the HTTP benchmarks: bare FastAPI answering from memory, or making one plain
single-row update.

`uvicorn bench.bare_app:app` with TP_BENCH_BARE_BODY naming a JSON file (the page the service
answered): `GET /v1/units` returns it as a plain dict, as any FastAPI endpoint would, so the
figure is the framework's own cost of one JSON answer on this machine. With
TP_BENCH_BARE_DATABASE_URL naming a database that has `bench_counter (id, n)`, `POST
/v1/counters/{id}` adds one to a row through the project's own `Database` (the same engine and
pool as a service's) in a session of one write, as a hire does: on PostgreSQL one statement
committed by itself. It answers 204. When that database is staffing's, `POST
/v1/units/{unit_id}/hires` makes a hire's writes and nothing else: the same person as the hire
benchmark's, put into the unit by `roster.service.hire_into_vacancy` (the event, the person, the
ledger entry and the balance row in one statement on PostgreSQL) with the unit's identity as
staffing keeps it, in a session of one write; no caller, no validation of a body, no answer
but 204, and no relay publishing the event. FastAPI's OpenTelemetry hooks are off, as in the
services.
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Response
from sqlalchemy import text

from common.clock import local_today
from common.db import Database
from common.observability import FASTAPI_TELEMETRY
from services.staffing.ledger.service import Movement
from services.staffing.models import StaffColumns
from services.staffing.roster.service import hire_into_vacancy
from services.staffing.units.repository import identity

app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None, telemetry=FASTAPI_TELEMETRY)
_BODY = os.environ.get("TP_BENCH_BARE_BODY")
PAGE: dict[str, Any] = json.loads(Path(_BODY).read_text()) if _BODY else {}
_DATABASE_URL = os.environ.get("TP_BENCH_BARE_DATABASE_URL")
DB = (
    Database(_DATABASE_URL, pool_size=int(os.environ.get("TP_BENCH_BARE_POOL_SIZE", "10")))
    if _DATABASE_URL
    else None
)
_ADD_ONE = text("UPDATE bench_counter SET n = n + 1 WHERE id = :id")


@app.get("/v1/units")
async def units() -> dict[str, Any]:
    return PAGE


@app.post("/v1/counters/{counter_id}", status_code=204)
async def add_one(counter_id: int) -> Response:
    assert DB is not None, "TP_BENCH_BARE_DATABASE_URL is not set"
    async with DB.session(one_write=True) as session:
        await session.execute(_ADD_ONE, {"id": counter_id})
    return Response(status_code=204)


@app.post("/v1/units/{unit_id}/hires", status_code=204)
async def hire(unit_id: uuid.UUID) -> Response:
    assert DB is not None, "TP_BENCH_BARE_DATABASE_URL is not set"
    async with DB.session(one_write=True) as session:
        unit = await identity(session, unit_id)
        assert unit is not None, f"no unit {unit_id}"
        person = StaffColumns(
            unit_id=unit.id,
            quota_type="bianzhi",
            name="压测",
            sex="female",
            birth_date=date(1990, 1, 1),
            hire_date=local_today(),
            subject="数学",
            stage="primary",
            status="active",
        )
        await hire_into_vacancy(session, unit, person, Movement.of("hire", "bench:bare"))
    return Response(status_code=204)


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}
