"""The user's notifications: the inbox, marking read, and the email preference (通知)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from gateway.ui.client import ApiProblem
from gateway.ui.forms import FormErrors, explain, invalid
from gateway.ui.i18n import LANGUAGES
from gateway.ui.pages.account import safe_next
from gateway.ui.session import Page, signed_in

router = APIRouter()
API = "/api/notifications/v1"
PAGE_SIZE = 50


@router.get("/inbox")
async def inbox(
    page: Annotated[Page, Depends(signed_in)], unread: bool = False, cursor: str = ""
) -> Any:
    found = await page.api.own("GET", API, unread=unread or None, cursor=cursor, limit=PAGE_SIZE)
    return page.html(
        "inbox.html",
        notifications=found["data"],
        next_cursor=found.get("next_cursor"),
        only_unread=unread,
    )


@router.post("/inbox/read-all")
async def mark_all_read(page: Annotated[Page, Depends(signed_in)]) -> Any:
    await page.api.own("POST", f"{API}/read-all")
    return page.redirect("/inbox", done="all_read")


@router.post("/inbox/{notification_id}/read")
async def mark_read(notification_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    await page.api.own("POST", f"{API}/{notification_id}/read")
    return page.redirect("/inbox", done="read")


@router.post("/inbox/{notification_id}/open")
async def open_notification(notification_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    """Mark it read and go to the thing to act on."""
    found = await page.api.own("POST", f"{API}/{notification_id}/read")
    return page.redirect(safe_next(found.get("link")))


async def preferences_view(page: Page, errors: FormErrors | None = None, code: int = 200) -> Any:
    prefs = await page.api.own("GET", f"{API}/preferences")
    return page.html(
        "inbox_preferences.html",
        status=code,
        prefs=prefs,
        errors=errors,
        language_options=list(LANGUAGES.items()),
    )


@router.get("/inbox/preferences")
async def preferences(page: Annotated[Page, Depends(signed_in)]) -> Any:
    return await preferences_view(page)


@router.post("/inbox/preferences")
async def save_preferences(page: Annotated[Page, Depends(signed_in)]) -> Any:
    """Mail on or off, the address, and the language of mails."""
    body = {
        "email": page.value("email") or None,
        "email_enabled": page.value("email_enabled") == "on",
        "language": page.value("language") or None,
    }
    if body["email_enabled"] and not body["email"]:
        errors = invalid(page._, email=page._("Give an address before turning mail on."))
        return await preferences_view(page, errors, 422)
    try:
        await page.api.own("PUT", f"{API}/preferences", body)
    except ApiProblem as problem:
        return await preferences_view(page, explain(problem, page._), problem.status)
    return page.redirect("/inbox/preferences", done="saved")
