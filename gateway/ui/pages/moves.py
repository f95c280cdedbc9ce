"""调课 in the UI: the shared teacher or the host school proposes moving a lesson, the other side
accepts or declines, the proposer may withdraw. Both lessons pages show the moves waiting."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from gateway.ui.client import ApiProblem
from gateway.ui.forms import explain
from gateway.ui.session import Page, signed_in

router = APIRouter()
PARTIES = frozenset({"teacher", "school_admin"})
#: The periods a lesson can be moved to (the timetable's eight).
PERIOD_CHOICES = [(p, str(p)) for p in range(1, 9)]


def lessons_page(page: Page) -> str:
    return "/teacher/lessons" if page.role == "teacher" else "/school/lessons"


async def waiting_moves(page: Page) -> list[dict[str, Any]]:
    """Moves proposed and not yet answered, for the lessons pages."""
    found = await page.api.get_or_none("sharing", "/v1/lesson-moves", status="proposed", limit=100)
    return list((found or {"data": []})["data"])


@router.post("/lessons/{lesson_id}/move")
async def propose_move(lesson_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    """Propose another school day and period for a scheduled lesson."""
    page.require(PARTIES)
    page.require_api("sharing", "POST", "/v1/lessons/{lesson_id}/moves")
    period = page.value("to_period")
    body = {
        "to_date": page.value("to_date") or None,
        "to_period": int(period) if period.isdigit() else period,
        "reason": page.value("reason"),
    }
    try:
        await page.api.post("sharing", f"/v1/lessons/{lesson_id}/moves", body)
    except ApiProblem as problem:
        return page.redirect_with_error(lessons_page(page), explain(problem, page._))
    return page.redirect(lessons_page(page), done="move_proposed")


@router.post("/lesson-moves/{move_id}")
async def answer_move(move_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    """Accept or decline a move the other side proposed, or withdraw one's own."""
    page.require(PARTIES)
    page.require_api("sharing", "POST", "/v1/lesson-moves/{move_id}/answer")
    answer = page.value("answer")
    body = {"accept": answer == "accept", "note": page.value("note") or None}
    try:
        await page.api.post("sharing", f"/v1/lesson-moves/{move_id}/answer", body)
    except ApiProblem as problem:
        return page.redirect_with_error(lessons_page(page), explain(problem, page._))
    done = {"accept": "move_accepted", "withdraw": "move_withdrawn"}.get(answer, "move_declined")
    return page.redirect(lessons_page(page), done=done)
