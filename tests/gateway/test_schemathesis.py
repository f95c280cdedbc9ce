"""The whole system fuzzed through the gateway with schemathesis, as city HR and as a partner key:
each operation on its own, then the stateful phase (calls chained by the links schemathesis infers
from the merged document). No answer may be a 5xx or break its own schema, and the city-wide reads
still answer afterwards.

`TP_FUZZ_EXAMPLES` sets the examples per operation (a few in the normal suite; `make fuzz` runs
40), `TP_FUZZ_PHASES` the phases (`make fuzz`: fuzzing,stateful) and `TP_FUZZ_SEED` the seed (fixed
by default, so a failure repeats).

What it found, each now a regression test of its own:
- PATCH /api/staffing/v1/units/{id} with `stages: null` or `name: null` answered 500, with
  `lat, lon: null` 200 (a school lost its location):
  tests/staffing/test_invariants.py::TestUnitPatch.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.gateway.platform import Platform, platform
from tests.support import Databases, Identity
from tests.talent.support import SCHOOL

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
EXAMPLES = int(os.environ.get("TP_FUZZ_EXAMPLES", "3"))
SEED = os.environ.get("TP_FUZZ_SEED", "20261130")
PHASES = os.environ.get("TP_FUZZ_PHASES", "stateful")
# Users, sessions, partner keys and the endless notification stream are left out, so the caller's
# token or key stays valid through the run.
LEFT_OUT = r"^/api/auth/|/stream$"
CITY_READS = ("/api/staffing/v1/summary", "/api/staffing/v1/warnings")


@pytest.fixture(scope="module")
def system(databases: Databases, identity: Identity) -> Iterator[Platform]:
    for running in platform(
        databases,
        identity,
        access_token_ttl_seconds=3600,
        rate_limit_user_per_minute=1_000_000,
        rate_limit_key_per_minute=1_000_000,
    ):
        seed(running)
        yield running


def seed(system: Platform) -> None:
    """A district, a school and a posting, so the fuzzer's calls reach real records from the
    start (lists hand their ids to the operations that take one)."""

    def created(path: str, body: dict[str, object]) -> dict[str, object]:
        response = httpx.post(f"{system.url}{path}", json=body, headers=system.hr, timeout=60)
        assert response.status_code == 201, response.text
        return dict(response.json())

    district = created("/api/staffing/v1/units", {"kind": "district", "code": "F1", "name": "区"})
    created(
        "/api/staffing/v1/units",
        {"kind": "school", "code": "F1-S1", "name": "校", "district_id": district["id"]}
        | {"stages": ["primary", "junior"], "lat": 30.66, "lon": 104.06},
    )
    created(
        "/api/talent/v1/postings",
        {"unit_id": str(SCHOOL), "title": "数学教师", "subject": "数学", "stage": "senior"}
        | {"count": 1, "quota_type": "control"},
    )


def fuzz(system: Platform, folder: Path, header: str, *extra: str) -> str:
    """Run schemathesis against the gateway; the report, or the failures it found."""
    spec = folder / "openapi.json"
    spec.write_text(json.dumps(system.document))
    command = [
        *(str(SCHEMATHESIS), "run", str(spec), "--url", system.url, "-H", header),
        *("--phases", PHASES, "-n", str(EXAMPLES), "--seed", SEED),
        *("-c", "not_a_server_error,response_schema_conformance"),
        *("--exclude-path-regex", LEFT_OUT, "--continue-on-failure", "--max-failures", "100"),
        *("--request-timeout", "60", "--generation-database", "none", "--no-color"),
        *("--suppress-health-check", "all", "--warnings", "off", "--output-truncate", "false"),
        *extra,
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.gateway.fuzz_hooks", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=folder)
    report = done.stdout + done.stderr
    assert done.returncode == 0, report[report.find("FAILURES") - 40 :]
    # What was run, for `make fuzz -s`: test cases per phase and operations covered.
    print(report[report.find("SUMMARY") :])
    return report


def city_reads_answer(system: Platform) -> None:
    for path in CITY_READS:
        response = httpx.get(f"{system.url}{path}", headers=system.hr, timeout=60)
        assert response.status_code == 200, (path, response.text)


def test_city_hr_meets_no_server_error_and_no_answer_off_its_schema(
    system: Platform, tmp_path: Path
) -> None:
    report = fuzz(system, tmp_path, f"Authorization: Bearer {system.hr_token}")
    assert "Stateful" in report
    city_reads_answer(system)


def test_a_partner_key_meets_none_either(system: Platform, tmp_path: Path) -> None:
    fuzz(
        system,
        tmp_path,
        f"X-API-Key: {system.partner_key}",
        *("--include-path-regex", "^/api/talent/"),
    )
    city_reads_answer(system)
