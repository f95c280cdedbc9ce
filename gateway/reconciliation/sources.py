"""Reading each side: the services' internal reconciliation endpoints, and NATS.

The report never opens another service's database: it asks each service for its own rows
(`GET /v1/internal/reconciliation`, city HR and the auditor only), and asks NATS what is
still in flight and what was dead-lettered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

from nats.js import JetStreamContext

from common.db import utcnow
from common.deadletters import consumer_backlogs, dead_letters
from contracts.reconciliation import SharingSide, StaffingSide, TalentSide
from gateway.reconciliation.report import DEFAULT_GRACE, Report, compare

PATH = "/v1/internal/reconciliation"

#: Fetches one service's answer to `GET /v1/internal/reconciliation` as parsed JSON.
Fetch = Callable[[str], Awaitable[Any]]


async def build_report(
    fetch: Fetch, js: JetStreamContext | None, *, grace: timedelta = DEFAULT_GRACE
) -> Report:
    """Ask the three services and NATS, compare; look twice before calling anything an error.

    The sides are read one after another, so an event can land between two reads and leave
    nothing in flight by the time NATS is asked. A second look settles it: what disagrees only
    in the second look is new and still moving, so pending; what disagrees in both is judged
    as the second look says.
    """
    first = await _once(fetch, js, grace)
    if first.clean:
        return first
    second = await _once(fetch, js, grace)
    seen = {d.key for d in first.discrepancies}
    return replace(
        second,
        discrepancies=[
            d if d.key in seen or d.check == "dead_letters" else replace(d, pending=True)
            for d in second.discrepancies
        ],
    )


async def _once(fetch: Fetch, js: JetStreamContext | None, grace: timedelta) -> Report:
    staffing, sharing, talent = await asyncio.gather(
        fetch("staffing"), fetch("sharing"), fetch("talent")
    )
    backlogs = await consumer_backlogs(js) if js is not None else []
    letters = await dead_letters(js) if js is not None else []
    return compare(
        StaffingSide.model_validate(staffing),
        SharingSide.model_validate(sharing),
        TalentSide.model_validate(talent),
        backlogs=backlogs,
        dead_letters=letters,
        now=utcnow(),
        grace=grace,
    )
