"""考核评价 in the UI: the host school evaluates on the form in use, the home school and the
teacher read it, the teacher responds; HR downloads the term report for 年度考核."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from common.clock import local_today
from gateway.ui.client import ApiProblem
from gateway.ui.forms import FormErrors, explain, invalid
from gateway.ui.pages.library import teacher_names
from gateway.ui.session import HR_DESK, HR_ROLES, Page, signed_in

router = APIRouter()
READERS = HR_DESK | {"school_admin", "teacher"}


@router.get("/sharing/evaluations")
async def evaluations(page: Annotated[Page, Depends(signed_in)]) -> Any:
    page.require(READERS)
    found, form = await asyncio.gather(
        page.api.get_or_none("sharing", "/v1/evaluations", limit=200),
        page.api.get_or_none("sharing", "/v1/evaluation-form"),
    )
    rows = (found or {"data": []})["data"]
    due: list[dict[str, Any]] = []
    if page.role == "school_admin":
        hosted = await page.api.get_or_none(
            "sharing", "/v1/assignments", unit_id=str(page.user.unit_id), limit=200
        )
        done = {(e["assignment_id"], e["period"]) for e in rows}
        today = local_today().isoformat()
        due = [
            a
            for a in (hosted or {"data": []})["data"]
            if (a["status"] == "ended" or a["ends_on"] <= today) and (a["id"], "final") not in done
        ]
    names = await teacher_names(
        page, {e["teacher_id"] for e in rows} | {a["teacher_id"] for a in due}
    )
    items = (form or {"items": []})["items"]
    return page.html(
        "evaluations.html",
        evaluations=rows,
        due=due,
        items=items,
        item_names={i["key"]: (i["en"] if page.lang == "en" else i["zh"]) for i in items},
        names=names,
        today=local_today(),
    )


@router.post("/sharing/evaluations/assignments/{assignment_id}")
async def evaluate(assignment_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    """The host school scores each item 1-5 with a comment."""
    page.require(frozenset({"school_admin"}))
    form = await page.api.get("sharing", "/v1/evaluation-form")
    scores: dict[str, int] = {}
    comments: dict[str, str] = {}
    for item in form["items"]:
        value = page.value(f"score_{item['key']}")
        if value.isdigit():
            scores[item["key"]] = int(value)
        if page.value(f"comment_{item['key']}"):
            comments[item["key"]] = page.value(f"comment_{item['key']}")
    body = {"period": "final", "scores": scores, "comments": comments}
    try:
        await page.api.post("sharing", f"/v1/assignments/{assignment_id}/evaluations", body)
    except ApiProblem as problem:
        return page.redirect_with_error("/sharing/evaluations", explain(problem, page._))
    return page.redirect("/sharing/evaluations", done="evaluated")


@router.post("/sharing/evaluations/{evaluation_id}/response")
async def respond(evaluation_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    page.require(frozenset({"teacher"}))
    try:
        await page.api.post(
            "sharing",
            f"/v1/evaluations/{evaluation_id}/response",
            {"response": page.value("response")},
        )
    except ApiProblem as problem:
        return page.redirect_with_error("/sharing/evaluations", explain(problem, page._))
    return page.redirect("/sharing/evaluations", done="saved")


@router.get("/sharing/evaluations/report")
async def report(
    page: Annotated[Page, Depends(signed_in)], since: str = "", until: str = ""
) -> Any:
    """The term report per teacher as the service's xlsx."""
    page.require(HR_ROLES)
    answer = await page.api.call(
        "GET", "sharing", "/v1/evaluations/report", params={"since": since, "until": until}
    )
    return Response(
        answer.content,
        media_type=answer.headers.get("content-type", "application/octet-stream"),
        headers={
            "content-disposition": answer.headers.get(
                "content-disposition", 'attachment; filename="evaluations.xlsx"'
            )
        },
    )


#: At most this many items on the form, as the service allows.
FORM_ITEMS = 12


async def form_view(page: Page, errors: FormErrors | None = None, code: int = 200) -> Any:
    current = await page.api.get_or_none("sharing", "/v1/evaluation-form")
    items = (current or {"items": []})["items"]
    if errors:
        rows = [
            {f: page.value(f"item_{f}_{n}") for f in ("key", "zh", "en")} for n in range(FORM_ITEMS)
        ]
    else:
        rows = items + [{"key": "", "zh": "", "en": ""}] * (FORM_ITEMS - len(items))
    return page.html(
        "evaluation_form.html",
        status=code,
        current=current,
        rows=rows,
        may_replace=page.may("sharing", "POST", "/v1/evaluation-form"),
        errors=errors,
    )


@router.get("/sharing/evaluations/form")
async def evaluation_form(page: Annotated[Page, Depends(signed_in)]) -> Any:
    """The items the host schools score, and where they come from; city HR replaces them."""
    page.require(HR_DESK)
    return await form_view(page)


@router.post("/sharing/evaluations/form")
async def replace_evaluation_form(page: Annotated[Page, Depends(signed_in)]) -> Any:
    """A new version of the form: evaluations made before keep the items they were scored on."""
    page.require_api("sharing", "POST", "/v1/evaluation-form")
    items = [
        {f: page.value(f"item_{f}_{n}").strip() for f in ("key", "zh", "en")}
        for n in range(FORM_ITEMS)
    ]
    items = [i for i in items if any(i.values())]
    if not items:
        errors = invalid(page._, items=page._("Give the form at least one item."))
        return await form_view(page, errors, 422)
    try:
        await page.api.post(
            "sharing", "/v1/evaluation-form", {"items": items, "source": page.value("source")}
        )
    except ApiProblem as problem:
        return await form_view(page, explain(problem, page._), problem.status)
    return page.redirect("/sharing/evaluations/form", done="saved")
