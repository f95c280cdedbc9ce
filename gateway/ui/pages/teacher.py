"""The teacher's pages: offers to accept or decline, the timetable, lessons to mark as given."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from common.clock import local_today
from gateway.ui.client import ApiProblem
from gateway.ui.forms import explain
from gateway.ui.pages.moves import PERIOD_CHOICES, waiting_moves
from gateway.ui.pages.sharing import PERIODS, WEEKDAYS, timetable_page
from gateway.ui.session import Page, signed_in

router = APIRouter()
TEACHER = frozenset({"teacher"})


@router.get("/teacher")
async def my_offers(page: Annotated[Page, Depends(signed_in)]) -> Any:
    page.require(TEACHER)
    found = await page.api.get("sharing", "/v1/offers", limit=100)
    offers = found["data"]
    requests = {
        o["request_id"]: await page.api.get_or_none("sharing", f"/v1/requests/{o['request_id']}")
        for o in offers
    }
    return page.html(
        "teacher_offers.html",
        offers=offers,
        requests=requests,
        slots={i: {tuple(s) for s in r["slots"]} for i, r in requests.items() if r},
        weekdays=WEEKDAYS,
        periods=PERIODS,
    )


@router.post("/teacher/offers/{offer_id}")
async def answer_offer(offer_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    page.require(TEACHER)
    accept = page.value("answer") == "accept"
    try:
        if accept:
            await page.api.post("sharing", f"/v1/offers/{offer_id}/accept")
        else:
            body = {"reason": page.value("reason") or None}
            await page.api.post("sharing", f"/v1/offers/{offer_id}/decline", body)
    except ApiProblem as problem:
        return page.redirect_with_error("/teacher", explain(problem, page._))
    return page.redirect("/teacher", done="accepted" if accept else "declined")


@router.get("/teacher/timetable")
async def my_timetable(page: Annotated[Page, Depends(signed_in)], on: str = "") -> Any:
    page.require(TEACHER)
    found = None
    if page.user.teacher_id:
        found = await page.api.get_or_none(
            "sharing", f"/v1/teachers/{page.user.teacher_id}/timetable", on=on or None
        )
    return await timetable_page(page, found, on)


@router.get("/teacher/lessons")
async def my_lessons(page: Annotated[Page, Depends(signed_in)]) -> Any:
    page.require(TEACHER)
    found = await page.api.get_or_none("sharing", "/v1/lessons", limit=200)
    return page.html(
        "lessons.html",
        lessons=(found or {"data": []})["data"],
        host=False,
        moves=await waiting_moves(page),
        side="teacher",
        periods_choice=PERIOD_CHOICES,
        today=local_today().isoformat(),
    )


@router.post("/teacher/lessons/week")
async def mark_week_given(page: Annotated[Page, Depends(signed_in)]) -> Any:
    """Mark every lesson of a week given at once (each still recorded on its own)."""
    page.require(TEACHER)
    try:
        await page.api.post("sharing", "/v1/lessons/week-given", {"week_of": page.value("week_of")})
    except ApiProblem as problem:
        return page.redirect_with_error("/teacher/lessons", explain(problem, page._))
    return page.redirect("/teacher/lessons", done="given")


@router.post("/teacher/lessons/{lesson_id}")
async def mark_given(lesson_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    page.require(TEACHER)
    try:
        await page.api.post("sharing", f"/v1/lessons/{lesson_id}/given")
    except ApiProblem as problem:
        return page.redirect_with_error("/teacher/lessons", explain(problem, page._))
    return page.redirect("/teacher/lessons", done="given")
