"""The school administrator's pages: their school, requests, their teachers' offers, lessons."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from common.clock import local_today
from gateway.ui.client import ApiProblem
from gateway.ui.forms import FormErrors, explain
from gateway.ui.labels import SUBJECTS
from gateway.ui.pages.moves import PERIOD_CHOICES, waiting_moves
from gateway.ui.pages.pool import unit_names
from gateway.ui.pages.sharing import (
    CANCELLABLE,
    PERIODS,
    WEEKDAYS,
    ticked_slots,
    timetable_page,
)
from gateway.ui.pages.units import unit_view
from gateway.ui.session import Page, signed_in

router = APIRouter()
SCHOOL = frozenset({"school_admin"})
#: How far ahead the host's lessons page lists scheduled lessons, to cover or move them.
UPCOMING_DAYS = 14


@router.get("/school")
async def school_home(page: Annotated[Page, Depends(signed_in)], tab: str = "summary") -> Any:
    page.require(SCHOOL)
    return await unit_view(page, str(page.user.unit_id), tab)


async def request_form(
    page: Page, errors: FormErrors | None = None, code: int = 200, error_for: str = ""
) -> Any:
    mine = await page.api.get_or_none(
        "sharing", "/v1/requests", unit_id=str(page.user.unit_id), limit=100
    )
    picked = {tuple(s) for s in ticked_slots(page)}
    return page.html(
        "school_request.html",
        status=code,
        errors=errors,
        picked=picked,
        subjects=[(s, page.label("subject", s)) for s in SUBJECTS],
        stages=page.options("stage"),
        modes=page.options("mode"),
        weekdays=WEEKDAYS,
        periods=PERIODS,
        requests=(mine or {"data": []})["data"],
        cancellable=CANCELLABLE,
        may_cancel=page.may("sharing", "POST", "/v1/requests/{request_id}/cancel"),
        error_for=error_for,
    )


@router.get("/school/request")
async def new_request(page: Annotated[Page, Depends(signed_in)]) -> Any:
    page.require(SCHOOL)
    return await request_form(page)


@router.post("/school/request")
async def send_request(page: Annotated[Page, Depends(signed_in)]) -> Any:
    """Ask for a shared teacher at the periods picked on the weekly grid."""
    page.require(SCHOOL)
    body = {
        "subject": page.value("subject"),
        "stage": page.value("stage") or None,
        "slots": ticked_slots(page),
        "term_start": page.value("term_start") or None,
        "term_end": page.value("term_end") or None,
        "mode": page.value("mode", "in_person"),
        "reason": page.value("reason"),
        "class_name": page.value("class_name") or None,
    }
    try:
        await page.api.post("sharing", "/v1/requests", body)
    except ApiProblem as problem:
        return await request_form(page, explain(problem, page._), problem.status)
    return page.redirect("/school/request", done="requested")


@router.post("/school/requests/{request_id}/cancel")
async def cancel_request(request_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    """Withdraw one of our requests not yet filled, with a reason."""
    page.require(SCHOOL)
    page.require_api("sharing", "POST", "/v1/requests/{request_id}/cancel")
    try:
        await page.api.post(
            "sharing", f"/v1/requests/{request_id}/cancel", {"reason": page.value("reason")}
        )
    except ApiProblem as problem:
        return await request_form(page, explain(problem, page._), problem.status, request_id)
    return page.redirect("/school/request", done="cancelled")


@router.get("/school/offers")
async def our_offers(page: Annotated[Page, Depends(signed_in)]) -> Any:
    """Offers for our teachers to go out, waiting for the home school's word."""
    page.require(SCHOOL)
    found = await page.api.get("sharing", "/v1/offers", limit=200)
    offers = [o for o in found["data"] if o["home_unit_id"] == str(page.user.unit_id)]
    teachers = await asyncio.gather(
        *(page.api.get_or_none("sharing", f"/v1/teachers/{o['teacher_id']}") for o in offers)
    )
    names = await unit_names(page, {o["host_unit_id"] for o in offers})
    return page.html(
        "school_offers.html",
        offers=offers,
        teachers={t["id"]: t for t in teachers if t},
        names=names,
    )


@router.post("/school/offers/{offer_id}")
async def answer_offer(offer_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    """Consent (派出学校同意) or refuse, with a reason."""
    page.require(SCHOOL)
    consent = page.value("answer") == "consent"
    body = {"consent": consent, "reason": page.value("reason") or None}
    try:
        await page.api.post("sharing", f"/v1/offers/{offer_id}/consent", body)
    except ApiProblem as problem:
        errors = explain(problem, page._)
        return page.redirect_with_error("/school/offers", errors)
    return page.redirect("/school/offers", done="consented" if consent else "refused")


@router.get("/school/lessons")
async def lessons_to_confirm(page: Annotated[Page, Depends(signed_in)]) -> Any:
    """Lessons our shared teachers marked given, those due or coming in the next two weeks (to
    cover or move), and moves waiting for an answer; with teacher, subject and date."""
    page.require(SCHOOL)
    unit = str(page.user.unit_id)
    today = local_today()
    found, scheduled, hosted, moves = await asyncio.gather(
        page.api.get_or_none("sharing", "/v1/lessons", status="given", limit=200),
        page.api.get_or_none(
            "sharing",
            "/v1/lessons",
            status="scheduled",
            until=str(today + timedelta(days=UPCOMING_DAYS)),
            limit=200,
        ),
        page.api.get_or_none("sharing", "/v1/assignments", unit_id=unit, limit=200),
        waiting_moves(page),
    )
    lessons = [
        x
        for x in (found or {"data": []})["data"] + (scheduled or {"data": []})["data"]
        if x["host_unit_id"] == unit
    ]
    assignments = {a["id"]: a for a in (hosted or {"data": []})["data"]}
    teachers = await asyncio.gather(
        *(
            page.api.get_or_none("sharing", f"/v1/teachers/{t}")
            for t in {x["teacher_id"] for x in lessons}
        )
    )
    return page.html(
        "lessons.html",
        lessons=sorted(lessons, key=lambda x: (x["taught_on"], x["period"])),
        host=True,
        assignments=assignments,
        teacher_names={t["id"]: t["name"] for t in teachers if t},
        moves=moves,
        side="host",
        unit_id=unit,
        periods_choice=PERIOD_CHOICES,
        today=today.isoformat(),
    )


@router.post("/school/lessons/week")
async def confirm_week(page: Annotated[Page, Depends(signed_in)]) -> Any:
    """Confirm every lesson of a week marked given, each recorded on its own."""
    page.require(SCHOOL)
    try:
        await page.api.post(
            "sharing", "/v1/lessons/week-confirm", {"week_of": page.value("week_of")}
        )
    except ApiProblem as problem:
        return page.redirect_with_error("/school/lessons", explain(problem, page._))
    return page.redirect("/school/lessons", done="confirmed")


@router.post("/school/lessons/{lesson_id}/cover")
async def cover_lesson(lesson_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    """Record who covered a lesson the shared teacher missed (代课): it is not paid to them."""
    page.require(SCHOOL)
    body = {"covered_by": page.value("covered_by"), "note": page.value("note") or None}
    try:
        await page.api.post("sharing", f"/v1/lessons/{lesson_id}/cover", body)
    except ApiProblem as problem:
        return page.redirect_with_error("/school/lessons", explain(problem, page._))
    return page.redirect("/school/lessons", done="saved")


@router.post("/school/lessons/{lesson_id}")
async def confirm_lesson(lesson_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    page.require(SCHOOL)
    confirmed = page.value("answer") == "confirm"
    body = {"confirmed": confirmed, "reason": page.value("reason") or None}
    try:
        await page.api.post("sharing", f"/v1/lessons/{lesson_id}/confirm", body)
    except ApiProblem as problem:
        return page.redirect_with_error("/school/lessons", explain(problem, page._))
    return page.redirect("/school/lessons", done="confirmed")


@router.get("/school/timetable")
async def school_timetable(page: Annotated[Page, Depends(signed_in)], on: str = "") -> Any:
    """The shared teachers our school hosts this week."""
    page.require(SCHOOL)
    unit = str(page.user.unit_id)
    found = await page.api.get_or_none("sharing", f"/v1/schools/{unit}/timetable", on=on or None)
    return await timetable_page(page, found, on, units={unit})
