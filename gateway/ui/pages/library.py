"""The sharing library (入库) in the UI: the teacher applies and pauses or leaves, the home
school consents or returns, district HR approves or returns and flags honours."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from contracts.vocabulary import STAGES, SUBJECT_NAMES_EN, SUBJECT_STAGES, qualified
from gateway.ui.client import ApiProblem
from gateway.ui.forms import FormErrors, explain, invalid
from gateway.ui.session import HR_DESK, Page, signed_in

router = APIRouter()
TEACHER = frozenset({"teacher"})
SCHOOL = frozenset({"school_admin"})
HONOUR_KINDS = ("backbone", "subject_leader", "famous")


def subject_name(page: Page, subject: str) -> str:
    return SUBJECT_NAMES_EN.get(subject, subject) if page.lang == "en" else subject


def teachable(page: Page, profile: dict[str, Any]) -> list[tuple[str, str]]:
    """Every (subject, stage) the profile's certificates qualify for, as form options."""
    held = [(c.get("level", ""), c.get("subject", "")) for c in profile.get("certificates", [])]
    options = []
    for subject, stages in SUBJECT_STAGES.items():
        for stage in STAGES:
            if stage in stages and qualified(held, stage, subject):
                shown = f"{subject_name(page, subject)} · {page.label('stage', stage)}"
                options.append((f"{subject}|{stage}", shown))
    return options


async def area_options(page: Page) -> list[tuple[str, str]]:
    """Every district, as sharing lists them for anyone (a teacher sees no district elsewhere)."""
    found = await page.api.get_or_none("sharing", "/v1/library/areas")
    return [(d["id"], d["name"]) for d in found or []]


async def teacher_names(page: Page, ids: set[str]) -> dict[str, str]:
    found = await asyncio.gather(
        *(page.api.get_or_none("sharing", f"/v1/teachers/{i}") for i in ids)
    )
    return {t["id"]: t["name"] for t in found if t}


@router.get("/teacher/library")
async def my_library(page: Annotated[Page, Depends(signed_in)]) -> Any:
    page.require(TEACHER)
    return await library_form(page)


async def library_form(page: Page, errors: FormErrors | None = None, code: int = 200) -> Any:
    teacher_id = str(page.user.teacher_id or "")
    profile, applications, districts = await asyncio.gather(
        page.api.get_or_none("sharing", f"/v1/teachers/{teacher_id}") if teacher_id else _none(),
        page.api.get_or_none("sharing", "/v1/library/applications", limit=50),
        area_options(page),
    )
    return page.html(
        "library_teacher.html",
        status=code,
        errors=errors,
        profile=profile,
        applications=(applications or {"data": []})["data"],
        teachable=teachable(page, profile) if profile else [],
        districts=districts,
        district_names=dict(districts),
        modes=page.options("mode"),
        picked=set(page.values("offered")),
        picked_modes=set(page.values("modes")),
        picked_areas=set(page.values("areas")),
    )


async def _none() -> None:
    return None


@router.post("/teacher/library")
async def apply(page: Annotated[Page, Depends(signed_in)]) -> Any:
    """Apply to join the library with the subjects, modes, cap and areas ticked."""
    page.require(TEACHER)
    cap = page.value("weekly_cap")
    if not cap.isdigit():
        return await library_form(
            page, invalid(page._, weekly_cap=page._("Enter a whole number.")), 422
        )
    offered = []
    for value in page.values("offered"):
        subject, _, stage = value.partition("|")
        offered.append({"subject": subject, "stage": stage})
    body = {
        "offered": offered,
        "modes": page.values("modes"),
        "weekly_cap": int(cap),
        "areas": page.values("areas"),
        "statement": page.value("statement") or None,
    }
    try:
        await page.api.post("sharing", "/v1/library/applications", body)
    except ApiProblem as problem:
        return await library_form(page, explain(problem, page._), problem.status)
    return page.redirect("/teacher/library", done="library_applied")


@router.post("/teacher/library/membership")
async def change_membership(page: Annotated[Page, Depends(signed_in)]) -> Any:
    page.require(TEACHER)
    body = {"action": page.value("action"), "reason": page.value("reason") or None}
    try:
        await page.api.post("sharing", f"/v1/teachers/{page.user.teacher_id}/membership", body)
    except ApiProblem as problem:
        return page.redirect_with_error("/teacher/library", explain(problem, page._))
    return page.redirect("/teacher/library", done="saved")


@router.post("/teacher/library/applications/{application_id}/withdraw")
async def withdraw(application_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    page.require(TEACHER)
    try:
        await page.api.post("sharing", f"/v1/library/applications/{application_id}/withdraw")
    except ApiProblem as problem:
        return page.redirect_with_error("/teacher/library", explain(problem, page._))
    return page.redirect("/teacher/library", done="saved")


async def review_page(page: Page, status: str, action: str) -> Any:
    found = await page.api.get_or_none(
        "sharing", "/v1/library/applications", status=status or None, limit=100
    )
    applications = (found or {"data": []})["data"]
    names, districts = await asyncio.gather(
        teacher_names(page, {a["teacher_id"] for a in applications}), area_options(page)
    )
    return page.html(
        "library_review.html",
        applications=applications,
        names=names,
        district_names=dict(districts),
        status_filter=status,
        action=action,
        honour_kinds=HONOUR_KINDS,
        subject_name=lambda s: subject_name(page, s),
    )


@router.get("/school/library")
async def school_library(page: Annotated[Page, Depends(signed_in)], status: str = "applied") -> Any:
    """Our teachers' applications to the library, for the school's consent."""
    page.require(SCHOOL)
    return await review_page(page, status, "/school/library")


@router.post("/school/library/{application_id}")
async def school_consent(application_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    page.require(SCHOOL)
    approve = page.value("answer") == "approve"
    body = {"approve": approve, "reason": page.value("reason") or None}
    try:
        await page.api.post("sharing", f"/v1/library/applications/{application_id}/consent", body)
    except ApiProblem as problem:
        return page.redirect_with_error("/school/library", explain(problem, page._))
    return page.redirect(
        "/school/library", done="library_consented" if approve else "library_returned"
    )


@router.get("/sharing/library")
async def hr_library(page: Annotated[Page, Depends(signed_in)], status: str = "consented") -> Any:
    """Applications the home schools consented to, for HR's decision; listed teachers' honours."""
    page.require(HR_DESK)
    return await review_page(page, status, "/sharing/library")


@router.post("/sharing/library/{application_id}")
async def hr_decide(application_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    page.require(HR_DESK)
    approve = page.value("answer") == "approve"
    body = {"approve": approve, "reason": page.value("reason") or None}
    try:
        await page.api.post("sharing", f"/v1/library/applications/{application_id}/decide", body)
    except ApiProblem as problem:
        return page.redirect_with_error("/sharing/library", explain(problem, page._))
    return page.redirect(
        "/sharing/library", done="library_approved" if approve else "library_returned"
    )


@router.post("/sharing/library/teachers/{teacher_id}/honours")
async def flag_honour(teacher_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    """Flag 骨干教师 / 学科带头人 / 名师 with the document that conferred it."""
    page.require(HR_DESK)
    body = {
        "kind": page.value("kind"),
        "document_no": page.value("document_no"),
        "conferred_on": page.value("conferred_on") or None,
        "conferred_by": page.value("conferred_by"),
    }
    try:
        await page.api.post("sharing", f"/v1/teachers/{teacher_id}/honours", body)
    except ApiProblem as problem:
        return page.redirect_with_error(
            "/sharing/library?status=approved", explain(problem, page._)
        )
    return page.redirect("/sharing/library?status=approved", done="saved")
