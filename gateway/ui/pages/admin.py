"""City HR's administration: the audit history of any entity, and the users (审计与用户管理)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from common.auth import ACCOUNT_ADMIN_ROLES, AUDIT_ROLES
from common.errors import ServiceUnavailable
from gateway.ui.client import ApiProblem
from gateway.ui.forms import FormErrors, explain
from gateway.ui.labels import LABELS
from gateway.ui.pages.dashboard import EVENT_TEXT
from gateway.ui.pages.units import district_options
from gateway.ui.session import Page, signed_in

router = APIRouter()
ENTITY = re.compile(r"^[a-z_]{1,40}$")


@router.get("/audit")
async def audit_entries(
    page: Annotated[Page, Depends(signed_in)],
    actor: str = "",
    outcome: str = "",
    cursor: str = "",
    entity_type: str = "",
    entity_id: str = "",
) -> Any:
    """Every change made through the gateway, and a way to any entity's history."""
    page.require(AUDIT_ROLES)
    if ENTITY.match(entity_type) and entity_id.strip():
        return page.redirect(f"/audit/{entity_type}/{entity_id.strip()}")
    found = await page.api.own(
        "GET", "/api/audit/v1/entries", actor=actor, outcome=outcome, cursor=cursor, limit=100
    )
    return page.html(
        "audit.html",
        entries=found["data"],
        next_cursor=found.get("next_cursor"),
        actor=actor,
        outcome=outcome,
    )


@router.get("/audit/{entity_type}/{entity_id}")
async def entity_history(
    entity_type: str, entity_id: str, page: Annotated[Page, Depends(signed_in)], cursor: str = ""
) -> Any:
    """Everything that happened to one entity, oldest first, from the domain events."""
    page.require(AUDIT_ROLES)
    found = await page.api.own(
        "GET",
        f"/api/audit/v1/entities/{entity_type}/{entity_id}/history",
        cursor=cursor,
        limit=200,
    )
    return page.html(
        "audit_history.html",
        entity_type=entity_type,
        entity_id=entity_id,
        items=found["data"],
        next_cursor=found.get("next_cursor"),
        event_text={k: page.translate(v) for k, v in EVENT_TEXT.items()},
    )


async def users_view(page: Page, errors: FormErrors | None = None, code: int = 200) -> Any:
    found = await page.api.own("GET", "/api/auth/v1/users", limit=500)
    districts = await district_options(page)
    try:
        schools = await page.api.get_all("staffing", "/v1/units", kind="school", cap=5000)
    except (ApiProblem, ServiceUnavailable):
        schools = []
    return page.html(
        "users.html",
        status=code,
        users=found["data"],
        errors=errors,
        roles=page.options("role"),
        districts=districts,
        district_names=dict(districts),
        schools=[(s["id"], f"{s['name']}（{s['code']}）") for s in schools],
        school_names={s["id"]: s["name"] for s in schools},
        role_codes=list(LABELS["role"]),
    )


@router.get("/users")
async def users(page: Annotated[Page, Depends(signed_in)]) -> Any:
    page.require(ACCOUNT_ADMIN_ROLES)
    return await users_view(page)


@router.post("/users")
async def create_user(page: Annotated[Page, Depends(signed_in)]) -> Any:
    """A new user with a role and its scope (a district for district HR, a school below)."""
    page.require(ACCOUNT_ADMIN_ROLES)
    body = {
        "username": page.value("username"),
        "display_name": page.value("display_name"),
        "password": page.value("password"),
        "role": page.value("role"),
        "district_id": page.value("district_id") or None,
        "unit_id": page.value("unit_id") or None,
        "teacher_id": page.value("teacher_id") or None,
    }
    try:
        await page.api.own("POST", "/api/auth/v1/users", body)
    except ApiProblem as problem:
        errors = explain(problem, page._)
        if "password" in errors.fields and body["password"]:
            errors.fields["password"] = page._("At least 10 characters.")
        return await users_view(page, errors, problem.status)
    return page.redirect("/users", done="created")


@router.post("/users/{user_id}/disable")
async def disable_user(user_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    page.require(ACCOUNT_ADMIN_ROLES)
    enable = page.value("enable") == "1"
    await page.api.own("POST", f"/api/auth/v1/users/{user_id}/{'enable' if enable else 'disable'}")
    return page.redirect("/users", done="enabled" if enable else "disabled")


@router.post("/users/{user_id}/password")
async def reset_password(user_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    """Set a new password; this also lifts a lock-out and ends the user's log-ins."""
    page.require(ACCOUNT_ADMIN_ROLES)
    try:
        await page.api.own(
            "POST", f"/api/auth/v1/users/{user_id}/password", {"password": page.value("password")}
        )
    except ApiProblem as problem:
        return page.redirect_with_error("/users", explain(problem, page._))
    return page.redirect("/users", done="password")
