"""The baseline of the list-read benchmarks: bare FastAPI returning a page from memory.

`uvicorn bench.bare_app:app` with TP_BENCH_BARE_BODY naming a JSON file (the page the service
answered); the endpoint returns it as a plain dict, as any FastAPI endpoint would, so the
figure is the framework's own cost of one JSON answer on this machine.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from fastapi import FastAPI

app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
_BODY = os.environ.get("TP_BENCH_BARE_BODY")
PAGE: dict[str, Any] = json.loads(Path(_BODY).read_text()) if _BODY else {}


@app.get("/v1/units")
async def units() -> dict[str, Any]:
    return PAGE


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}
