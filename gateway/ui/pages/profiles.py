"""A teacher's sharing profile: the teacher keeps their modes, weekly cap and home timetable;
HR also the title. Subjects, stages and certificates come from the roster."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from common.auth import PERSONNEL_ROLES
from contracts.vocabulary import TITLES
from gateway.ui.client import ApiProblem
from gateway.ui.forms import FormErrors, explain, invalid
from gateway.ui.pages.pool import school_options, unit_names
from gateway.ui.pages.sharing import PERIODS, WEEKDAYS, ticked_slots
from gateway.ui.pages.units import district_options
from gateway.ui.session import HR_DESK, Page, signed_in

router = APIRouter()
#: What each may change here; the service refuses a teacher anything else (403).
TEACHER_FIELDS = ("modes", "weekly_cap", "home_timetable")
HR_FIELDS = (*TEACHER_FIELDS, "title")


async def profile_view(
    page: Page, teacher_id: str, errors: FormErrors | None = None, code: int = 200
) -> Any:
    teacher = await page.api.get("sharing", f"/v1/teachers/{teacher_id}")
    names = await unit_names(page, {teacher["unit_id"]})
    own = page.role == "teacher"
    editable = page.may("sharing", "PATCH", "/v1/teachers/{teacher_id}") and (
        own or page.role in PERSONNEL_ROLES
    )
    busy = (
        {tuple(s) for s in ticked_slots(page)}
        if errors
        else {tuple(s) for s in teacher["home_timetable"]}
    )
    return page.html(
        "teacher_profile.html",
        status=code,
        teacher=teacher,
        names=names,
        own=own,
        editable=editable,
        may_title=editable and page.role in PERSONNEL_ROLES,
        action="/teacher/profile" if own else f"/sharing/teachers/{teacher_id}",
        modes=page.options("mode"),
        picked_modes=set(page.values("modes")) if errors else set(teacher["modes"]),
        titles=[
            (t, page.label("title", t))
            for t in (
                *TITLES,
                *([teacher["title"]] if teacher["title"] not in (*TITLES, None) else []),
            )
        ],
        busy=busy,
        weekdays=WEEKDAYS,
        periods=PERIODS,
        errors=errors,
    )


def profile_changes(
    page: Page, fields: tuple[str, ...]
) -> tuple[dict[str, Any], FormErrors | None]:
    cap = page.value("weekly_cap")
    if not cap.isdigit():
        return {}, invalid(page._, weekly_cap=page._("Enter a whole number."))
    body: dict[str, Any] = {
        "modes": page.values("modes"),
        "weekly_cap": int(cap),
        "home_timetable": ticked_slots(page),
    }
    if "title" in fields:
        # An empty choice clears the title (未定职称).
        body["title"] = page.value("title") or None
    return body, None


async def save_profile(page: Page, teacher_id: str, fields: tuple[str, ...], back: str) -> Any:
    body, errors = profile_changes(page, fields)
    if errors:
        return await profile_view(page, teacher_id, errors, 422)
    try:
        await page.api.patch("sharing", f"/v1/teachers/{teacher_id}", body)
    except ApiProblem as problem:
        return await profile_view(page, teacher_id, explain(problem, page._), problem.status)
    return page.redirect(back, done="saved")


@router.get("/teacher/profile")
async def my_profile(page: Annotated[Page, Depends(signed_in)]) -> Any:
    page.require(frozenset({"teacher"}))
    if not page.user.teacher_id:
        return page.html("teacher_profile.html", teacher=None)
    return await profile_view(page, str(page.user.teacher_id))


@router.post("/teacher/profile")
async def save_my_profile(page: Annotated[Page, Depends(signed_in)]) -> Any:
    """The teacher changes their modes, weekly cap and home timetable; bookings must still fit."""
    page.require(frozenset({"teacher"}))
    page.require_api("sharing", "PATCH", "/v1/teachers/{teacher_id}")
    if not page.user.teacher_id:
        return page.redirect("/teacher/profile")
    return await save_profile(page, str(page.user.teacher_id), TEACHER_FIELDS, "/teacher/profile")


@router.get("/sharing/teachers")
async def teacher_list(
    page: Annotated[Page, Depends(signed_in)],
    district_id: str = "",
    unit_id: str = "",
    cursor: str = "",
) -> Any:
    """The sharing profiles in HR's scope, of one district or one school when chosen."""
    page.require(HR_DESK)
    if page.role == "district_hr":
        district_id = str(page.user.district_id)
    schools = await school_options(page, district_id)
    if unit_id not in dict(schools):
        unit_id = ""
    found = await page.api.get(
        "sharing",
        "/v1/teachers",
        district_id=district_id or None,
        unit_id=unit_id or None,
        cursor=cursor or None,
        limit=50,
    )
    names = (
        dict(schools)
        if district_id
        else await unit_names(page, {t["unit_id"] for t in found["data"]})
    )
    return page.html(
        "sharing_teachers.html",
        teachers=found["data"],
        next_cursor=found.get("next_cursor"),
        names=names,
        districts=[] if page.role == "district_hr" else await district_options(page),
        schools=schools,
        district_id=district_id,
        unit_id=unit_id,
    )


@router.get("/sharing/teachers/{teacher_id}")
async def teacher_profile(teacher_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    page.require(HR_DESK)
    return await profile_view(page, teacher_id)


@router.post("/sharing/teachers/{teacher_id}")
async def save_teacher_profile(teacher_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    """HR changes a teacher's title, modes, weekly cap or home timetable in its scope."""
    page.require(PERSONNEL_ROLES)
    page.require_api("sharing", "PATCH", "/v1/teachers/{teacher_id}")
    return await save_profile(page, teacher_id, HR_FIELDS, f"/sharing/teachers/{teacher_id}")
