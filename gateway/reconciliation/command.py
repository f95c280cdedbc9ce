"""`teacherpool reconcile`: the report on a terminal, with an exit code for scripts."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta
from typing import Any

import httpx
import nats

from common.auth import Principal, load_signer
from common.bus import tls_context
from common.natsauth import inbox_prefix
from common.settings import CommonSettings
from gateway.reconciliation.report import CHECKS, Discrepancy, Report
from gateway.reconciliation.sources import PATH, build_report
from gateway.settings import GatewaySettings

#: Who the command is to the services when it signs its own token: it reads and never writes.
RECONCILER = Principal(sub="teacherpool-reconcile", role="auditor", name="teacherpool reconcile")


async def _report(gateway: str | None, token: str | None, grace: timedelta) -> Report:
    common = CommonSettings()
    services = ("staffing", "sharing", "talent")
    if gateway:
        bases = {s: f"{gateway.rstrip('/')}/api/{s}" for s in services}
        bearers = dict.fromkeys(services, token or "")
    else:
        bases = GatewaySettings().upstreams()
        signer = load_signer(common)
        bearers = {s: signer.sign(RECONCILER, audience=s) for s in services}
    async with httpx.AsyncClient(timeout=60) as client:

        async def fetch(service: str) -> Any:
            response = await client.get(
                f"{bases[service].rstrip('/')}{PATH}",
                headers={"authorization": f"Bearer {bearers[service]}"},
            )
            response.raise_for_status()
            return response.json()

        # The report reads what the gateway reads: its own NATS user.
        nc = await nats.connect(
            common.nats_url_for("gateway"),
            inbox_prefix=inbox_prefix("gateway"),
            tls=tls_context(common.nats_tls_ca_file),
            connect_timeout=3,
            max_reconnect_attempts=0,
            allow_reconnect=False,
        )
        try:
            return await build_report(fetch, nc.jetstream(timeout=5), grace=grace)
        finally:
            await nc.close()


def render(report: Report, grace: timedelta) -> str:
    lines = [f"teacherpool reconcile, as of {report.as_of:%Y-%m-%d %H:%M:%S} UTC"]
    lines.append("checked: " + ", ".join(f"{n} {what}" for what, n in report.counts.items()))
    if report.in_flight:
        moving = ", ".join(f"{where} {n}" for where, n in sorted(report.in_flight.items()))
        lines.append(f"in flight: {moving}")
    else:
        lines.append("in flight: nothing")
    for check, found in report.by_check().items():
        if check not in CHECKS and not found:
            continue
        lines.append(f"{check}: {'ok' if not found else f'{len(found)} discrepancies'}")
        lines.extend(f"  {d.line()}" for d in found)
    errors, pending = len(report.errors), len(report.pending)
    if report.clean:
        lines.append("every side agrees")
    else:
        lines.append(
            f"{errors} error(s), {pending} pending (pending: events still in flight and the rows"
            f" changed less than {grace.total_seconds():g} s ago; run again to see them settle)"
        )
    return "\n".join(lines)


def as_json(report: Report) -> str:
    def one(d: Discrepancy) -> dict[str, Any]:
        return {
            "check": d.check,
            "code": d.code,
            "left": d.left,
            "right": d.right,
            "detail": d.detail,
            "at": d.at.isoformat() if d.at else None,
            "pending": d.pending,
        }

    return json.dumps(
        {
            "as_of": report.as_of.isoformat(),
            "counts": report.counts,
            "in_flight": report.in_flight,
            "discrepancies": [one(d) for d in report.discrepancies],
        },
        ensure_ascii=False,
        indent=2,
    )


def run(
    *,
    gateway: str | None = None,
    token: str | None = None,
    grace_seconds: float = 120.0,
    wait_seconds: float = 0.0,
    json_output: bool = False,
) -> int:
    """Print the report; with `wait_seconds`, look again until all agree or the time is up."""
    grace = timedelta(seconds=grace_seconds)
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            report = asyncio.run(_report(gateway, token, grace))
        except (httpx.HTTPError, nats.errors.Error, OSError) as error:
            if time.monotonic() < deadline:
                time.sleep(1.0)
                continue
            print(f"teacherpool reconcile: a side could not be read: {error!r}")
            return 1
        if report.clean or time.monotonic() >= deadline:
            break
        time.sleep(1.0)
    print(as_json(report) if json_output else render(report, grace))
    return report.exit_code()
