"""The baselines of the HTTP benchmarks: bare FastAPI answering from memory, or making one plain
single-row update.

`uvicorn bench.bare_app:app` with TP_BENCH_BARE_BODY naming a JSON file (the page the service
answered): `GET /v1/units` returns it as a plain dict, as any FastAPI endpoint would, so the
figure is the framework's own cost of one JSON answer on this machine. With
TP_BENCH_BARE_DATABASE_URL naming a database that has `bench_counter (id, n)`, `POST
/v1/counters/{id}` adds one to a row through the project's own `Database` (the same engine and
pool as a service's) in a session of one write, as a hire does: on PostgreSQL one statement
committed by itself. It answers 204. FastAPI's OpenTelemetry hooks are off, as in the services.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Response
from sqlalchemy import text

from common.db import Database
from common.observability import FASTAPI_TELEMETRY

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


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}
