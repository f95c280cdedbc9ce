"""City HR's reconciliation page (对账): every hand-over between the services, both sides,
and the dead letters, each replayable once its cause is fixed."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from common.bus import Bus
from common.deadletters import DeadLetterNotFound, DeadLetterStillFails, dead_letter, replay
from common.errors import ServiceUnavailable
from gateway.reconciliation.report import CHECKS
from gateway.reconciliation.sources import PATH, build_report
from gateway.ui.client import ApiProblem
from gateway.ui.forms import FormErrors
from gateway.ui.i18n import N_
from gateway.ui.session import Page, signed_in

log = logging.getLogger(__name__)
router = APIRouter()
READERS = frozenset({"city_hr", "auditor"})
#: Rows shown per check; the command lists every one.
SHOWN = 200
REPLAYERS = frozenset({"city_hr"})

CHECK_TEXT = {
    "hires": N_("Hires: talent ↔ roster"),
    "reservations": N_("Postings ↔ reserved posts"),
    "roster": N_("Roster ↔ sharing profiles"),
    "departures": N_("Departed staff ↔ running assignments"),
    "outbox": N_("Events not yet published"),
    "dead_letters": N_("Dead letters"),
}
COUNT_TEXT = {
    "staff": N_("staff records"),
    "reservations": N_("reservations"),
    "profiles": N_("sharing profiles"),
    "running assignments": N_("running assignments"),
    "postings": N_("postings"),
    "hires": N_("hires"),
}
CODE_TEXT = {
    "hired_without_staff_record": N_("Hired in talent, no staff record"),
    "hire_unanswered": N_("Hire not yet answered by staffing"),
    "staff_record_for_unhired": N_("Staff record for an application not hired"),
    "staff_record_not_confirmed": N_("Staff record not yet confirmed to talent"),
    "staff_record_differs": N_("Talent names another staff record"),
    "staff_record_without_hire": N_("Staff record from an unknown hire"),
    "hired_count_differs": N_("Hires counted differently"),
    "reservation_unanswered": N_("Posts asked for, no answer yet"),
    "reservation_answer_not_applied": N_("Staffing answered, talent not yet updated"),
    "no_reservation": N_("No reserved posts for the posting"),
    "open_without_reservation": N_("Open without asking staffing for posts"),
    "reservation_state_differs": N_("Posting and reservation disagree"),
    "posts_held_for_closed_posting": N_("Posts still held for a closed posting"),
    "posts_held": N_("Posts held for a blocked posting"),
    "count_differs": N_("Numbers of posts differ"),
    "reservation_without_posting": N_("Reserved posts without a posting"),
    "profile_missing": N_("No sharing profile"),
    "profile_inactive": N_("Sharing profile inactive"),
    "unit_differs": N_("Sharing profile at another unit"),
    "title_differs": N_("Title differs"),
    "subject_missing": N_("Subject missing from the profile"),
    "profile_active_without_staff": N_("Active profile without a staff record"),
    "profile_active_after_departure": N_("Profile still active after leaving"),
    "assignment_without_staff": N_("Assignment without a staff record"),
    "assignment_after_departure": N_("Assignment runs past the leaving day"),
    "unpublished_events": N_("Events waiting in the outbox"),
    "dead_letter": N_("Event parked as a dead letter"),
}


def _bus(page: Page) -> Bus | None:
    bus: Bus | None = page.request.app.state.bus
    return bus if bus is not None and bus.is_connected and bus.ready.is_set() else None


@router.get("/reconciliation")
async def reconciliation(page: Annotated[Page, Depends(signed_in)]) -> Any:
    """The report of `teacherpool reconcile`, for city HR and the auditor."""
    page.require(READERS)
    bus = _bus(page)

    async def fetch(service: str) -> Any:
        return await page.api.get(service, PATH)

    try:
        report = await build_report(fetch, bus.js if bus else None)
    except (ServiceUnavailable, ApiProblem) as error:
        # A service being down (or restarting) is an answer too: say which, on the page.
        detail = error.detail if isinstance(error, ApiProblem) else str(error)
        return page.html("reconciliation.html", status=503, report=None, unavailable=detail)
    return page.html(
        "reconciliation.html",
        report=report,
        groups=[(check, report.by_check().get(check, [])) for check in CHECKS],
        check_text={k: page.translate(v) for k, v in CHECK_TEXT.items()},
        code_text={k: page.translate(v) for k, v in CODE_TEXT.items()},
        count_text={k: page.translate(v) for k, v in COUNT_TEXT.items()},
        shown=SHOWN,
        nats=bus is not None,
        can_replay=page.role in REPLAYERS and bus is not None,
    )


@router.post("/reconciliation/dead-letters/{sequence}/replay")
async def replay_dead_letter(sequence: int, page: Annotated[Page, Depends(signed_in)]) -> Any:
    """Have the service that parked an event apply it again (once its cause is fixed).

    The gateway publishes nothing for it: its NATS user may not publish other services'
    events (`common.natsauth`). A service's letter is replayed by that service
    (`POST /v1/internal/dead-letters/{sequence}/replay`); the gateway's own, here."""
    page.require(REPLAYERS)
    bus = _bus(page)
    if bus is None:
        return page.redirect_with_error(
            "/reconciliation", FormErrors(summary=page._("NATS is not reachable; try again."))
        )
    gone = FormErrors(summary=page._("That dead letter is gone: replayed or expired already."))
    try:
        letter = await dead_letter(bus.js, sequence)
        if letter.service == "gateway":
            await replay(bus.js, sequence, page.request.app.state.consumers)
            await page.api.record(
                "POST",
                "/reconciliation/dead-letters/{sequence}/replay",
                f"/reconciliation/dead-letters/{sequence}/replay"
                f" ({letter.event_type} {letter.event_id})",
                200,
            )
        else:
            await page.api.post(letter.service, f"/v1/internal/dead-letters/{sequence}/replay")
    except DeadLetterNotFound:
        return page.redirect_with_error("/reconciliation", gone)
    except (DeadLetterStillFails, ApiProblem) as error:
        if isinstance(error, ApiProblem) and error.status == 404:
            return page.redirect_with_error("/reconciliation", gone)
        reason = (
            str(error.body.get("reason") or error.detail)
            if isinstance(error, ApiProblem)
            else str(error)
        )
        return page.redirect_with_error(
            "/reconciliation",
            FormErrors(summary=page._("The event still fails: %(reason)s", reason=reason)),
        )
    except ServiceUnavailable as error:
        return page.redirect_with_error("/reconciliation", FormErrors(summary=str(error)))
    log.info("dead letter %s replayed: %s %s", sequence, letter.event_type, letter.event_id)
    return page.redirect("/reconciliation", done="replayed")
