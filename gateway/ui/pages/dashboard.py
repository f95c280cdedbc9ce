"""The HR dashboard: the pool, loans, shortages, sharing and talent at a glance, events live."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse
from sqlalchemy import select
from sqlmodel import col

from common.db import Database
from gateway.models import EventRecord
from gateway.ui.charts import bars
from gateway.ui.i18n import N_
from gateway.ui.render import SHANGHAI, local_time
from gateway.ui.session import HR_DESK, Page, signed_in

router = APIRouter()
#: Loans falling due within this many days count as "due soon".
DUE_SOON_DAYS = 180
EVENT_POLL_SECONDS = 1.0
RECENT_EVENTS = 15
FUNNEL = ("applied", "screened", "exam", "interview", "assessment", "offered", "hired")

EVENT_TEXT = {
    "staffing.application.submitted": N_("Pool application submitted"),
    "staffing.application.decided": N_("Pool application decided"),
    "staffing.loan.granted": N_("Loan granted from the pool"),
    "staffing.loan.overdue": N_("Loan overdue"),
    "staffing.loan.due_approached": N_("Loan falling due"),
    "staffing.loan.repaid": N_("Loan repaid"),
    "staffing.pool.deposited": N_("Posts deposited into the pool"),
    "staffing.quota.adjusted": N_("Approved posts adjusted"),
    "staffing.reservation.confirmed": N_("Posts reserved for a posting"),
    "staffing.reservation.rejected": N_("Reservation refused: no vacancy"),
    "staffing.reservation.released": N_("Reserved posts released"),
    "staffing.staff.hired": N_("Staff member hired"),
    "staffing.staff.left": N_("Staff member left"),
    "staffing.staff.transferred": N_("Staff member transferred"),
    "staffing.unit.registered": N_("Unit registered"),
    "staffing.unit.updated": N_("Unit updated"),
    "sharing.request.opened": N_("Sharing request opened"),
    "sharing.request.approved": N_("Sharing request approved"),
    "sharing.request.cancelled": N_("Sharing request cancelled"),
    "sharing.request.filled": N_("Sharing request filled"),
    "sharing.request.reopened": N_("Sharing request reopened"),
    "sharing.offer.sent": N_("Sharing offer sent"),
    "sharing.offer.consented": N_("Home school consented"),
    "sharing.offer.accepted": N_("Teacher accepted an offer"),
    "sharing.offer.declined": N_("Teacher declined an offer"),
    "sharing.offer.expired": N_("Offer expired"),
    "sharing.assignment.started": N_("Shared teaching started"),
    "sharing.assignment.ended": N_("Shared teaching ended"),
    "sharing.lesson.confirmed": N_("Lesson confirmed"),
    "sharing.settlement.issued": N_("Monthly settlement issued"),
    "sharing.library.applied": N_("Teacher applied to the sharing library"),
    "sharing.library.consented": N_("School answered a library application"),
    "sharing.library.decided": N_("Library application decided"),
    "sharing.library.left": N_("Teacher paused or left the library"),
    "sharing.lessons.rescheduled": N_("Lessons rescheduled by a calendar change"),
    "sharing.teacher.evaluated": N_("Shared teacher evaluated"),
    "talent.posting.opened": N_("Posting opened"),
    "talent.posting.published": N_("Posting published"),
    "talent.posting.blocked": N_("Posting blocked: no vacant posts"),
    "talent.posting.closed": N_("Posting closed"),
    "talent.application.status_changed": N_("Application moved in the pipeline"),
    "talent.candidate.hired": N_("Candidate hired"),
    "talent.candidate.erased": N_("Candidate's personal data erased"),
    "talent.webhook.disabled": N_("Webhook endpoint disabled"),
}


def _visible(page: Page, record: EventRecord) -> bool:
    """District HR sees events of its own district; city roles see all."""
    if page.role != "district_hr":
        return True
    mine = str(page.user.district_id)
    data = record.data or {}
    return mine in (str(data.get("district_id")), str(data.get("unit_id")), record.entity_id)


def _event_row(page: Page, record: EventRecord) -> dict[str, str]:
    text = EVENT_TEXT.get(record.type)
    name = (record.data or {}).get("name") or (record.data or {}).get("unit_name") or ""
    shown = page.translate(text) if text else record.type
    return {
        "seq": str(record.seq),
        "time": local_time(record.time, "%m-%d %H:%M:%S"),
        "text": f"{shown}{' · ' + name if name else ''}",
    }


async def _events(page: Page, *, after: int | None = None) -> list[EventRecord]:
    """The latest events (newest first), or those after `after` (oldest first), in scope."""
    db: Database = page.request.app.state.db
    stmt = select(EventRecord)
    if after is None:
        stmt = stmt.order_by(col(EventRecord.seq).desc()).limit(RECENT_EVENTS * 5)
    else:
        stmt = stmt.where(col(EventRecord.seq) > after).order_by(col(EventRecord.seq)).limit(200)
    async with db.session(read_only=True) as session:
        rows = list((await session.execute(stmt)).scalars())
    return [r for r in rows if _visible(page, r)]


async def dashboard_data(page: Page) -> dict[str, Any]:
    """Everything the dashboard shows, fetched from the services at once."""
    api = page.api
    district = str(page.user.district_id) if page.role == "district_hr" else None
    today = datetime.now(SHANGHAI).date()
    (
        summary,
        loans,
        warnings,
        districts,
        requests,
        applications,
        place_warnings,
    ) = await asyncio.gather(
        api.get_or_none("staffing", "/v1/summary", district_id=district),
        api.get_or_none("staffing", "/v1/loans", state="open", limit=500),
        api.get_or_none("staffing", "/v1/warnings", district_id=district, limit=500),
        api.get_or_none("staffing", "/v1/units", kind="district", limit=100),
        api.get_or_none("sharing", "/v1/requests", status="open", limit=500),
        api.get_or_none("talent", "/v1/applications", limit=500),
        api.get_or_none("staffing", "/v1/place-warnings", district_id=district),
    )
    _ = page._
    data: dict[str, Any] = {"summary": summary}

    balances = (summary or {}).get("pool_balances") or {}
    pool_rows = [(page.label("quota", k), v) for k, v in sorted(balances.items())]
    data["pool_rows"] = pool_rows
    data["pool_chart"] = bars(_("Pool balance by quota type"), pool_rows) if pool_rows else None

    if loans is not None:
        open_loans = loans["data"]
        soon = today + timedelta(days=DUE_SOON_DAYS)
        overdue = [x for x in open_loans if x["overdue"]]
        due = [
            x for x in open_loans if not x["overdue"] and date.fromisoformat(x["due_date"]) <= soon
        ]
        loan_rows = [
            (_("Overdue"), len(overdue)),
            (_("Due within %(days)s days", days=DUE_SOON_DAYS), len(due)),
            (_("Other open loans"), len(open_loans) - len(overdue) - len(due)),
        ]
        data["loan_rows"] = loan_rows
        data["loan_chart"] = bars(_("Open loans by due date"), loan_rows)
        data["overdue_count"] = len(overdue)
    if warnings is not None and districts is not None:
        names = {d["id"]: d["name"] for d in districts["data"]}
        short = Counter(
            names.get(w["district_id"], "—")
            for w in warnings["data"]
            if (w["shortage_now"] or 0) > 0
        )
        forecast = Counter(
            names.get(w["district_id"], "—")
            for w in warnings["data"]
            if (w["shortage_now"] or 0) <= 0 and (w["shortage_forecast"] or 0) > 0
        )
        rows = sorted(short.items(), key=lambda kv: (-kv[1], kv[0]))[:12]
        data["short_rows"] = rows
        data["short_forecast"] = sum(forecast.values())
        data["short_total"] = sum(short.values())
        data["short_chart"] = (
            bars(_("Schools short of the standard by district"), rows) if rows else None
        )
    if warnings is not None and place_warnings is not None:
        posts_by_year = Counter(w["bites_in"] for w in warnings["data"] if w.get("bites_in"))
        places_by_year = Counter(w["bites_in"] for w in place_warnings["data"])
        years = sorted(set(posts_by_year) | set(places_by_year))
        data["warning_years"] = [(y, places_by_year[y], posts_by_year[y]) for y in years]
        data["place_warnings"] = sorted(
            place_warnings["data"], key=lambda w: (w["bites_in"], -w["shortfall"])
        )[:8]
    if requests is not None:
        by_subject = Counter(r["subject"] for r in requests["data"])
        rows = [
            (page.label("subject", s) if page.lang == "en" else s, n)
            for s, n in by_subject.most_common(10)
        ]
        data["request_rows"] = rows
        data["request_chart"] = (
            bars(_("Unfilled sharing requests by subject"), rows) if rows else None
        )
    if applications is not None:
        counts = Counter(a["status"] for a in applications["data"])
        # The funnel counts everyone who reached a step, including those who went further.
        reached = [
            (page.label("pipeline", step), sum(counts[s] for s in FUNNEL[i:]) + counts["onboarded"])
            for i, step in enumerate(FUNNEL)
        ]
        data["funnel_rows"] = reached
        data["funnel_chart"] = bars(_("Talent funnel"), reached)
    return data


@router.get("/dashboard")
async def dashboard(page: Annotated[Page, Depends(signed_in)]) -> Any:
    page.require(HR_DESK)
    data = await dashboard_data(page)
    recent = await _events(page)
    events = [_event_row(page, r) for r in recent[:RECENT_EVENTS]]
    last = max((r.seq or 0 for r in recent), default=0)
    return page.html("dashboard.html", events=events, last_seq=last, **data)


@router.get("/dashboard/events")
async def live_events(
    page: Annotated[Page, Depends(signed_in)], after: int = 0
) -> StreamingResponse:
    """Server-sent events: each new domain event the gateway records, as it arrives."""
    page.require(HR_DESK)
    request = page.request

    auth = request.app.state.auth
    recheck = request.app.state.settings.stream_recheck_seconds

    async def stream() -> AsyncIterator[str]:
        last = after
        checked = time.monotonic()
        yield "retry: 3000\n\n"
        while not await request.is_disconnected():
            if time.monotonic() - checked >= recheck:
                # A revoked log-in (log-out, disabled user) ends its stream within seconds.
                if not await auth.still_valid(page.caller):
                    return
                checked = time.monotonic()
            for record in await _events(page, after=last):
                last = max(last, record.seq or 0)
                payload = json.dumps(_event_row(page, record), ensure_ascii=False)
                yield f"id: {record.seq}\nevent: event\ndata: {payload}\n\n"
            yield ": keep-alive\n\n"
            await asyncio.sleep(EVENT_POLL_SECONDS)

    return StreamingResponse(
        stream(), media_type="text/event-stream", headers={"cache-control": "no-store"}
    )
