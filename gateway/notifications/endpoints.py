"""HTTP for the signed-in user's notifications (`/api/notifications/v1`), and their live stream."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse

from common.db import Database, utcnow
from common.deps import DEFAULT_LIMIT, Cursor, Limit, SessionDep
from common.errors import Forbidden, Unauthorized
from gateway.deps import CurrentCaller
from gateway.models import User
from gateway.notifications import repository, service
from gateway.notifications.schemas import (
    Language,
    MarkedRead,
    NotificationPublic,
    NotificationsPublic,
    PreferencesPublic,
    PreferencesUpdate,
    UnreadCount,
)
from gateway.notifications.service import Hub

router = APIRouter(prefix="/api/notifications/v1", tags=["notifications"])

LANGUAGE_COOKIE = "tp_lang"
#: A comment line this often keeps proxies from closing an idle stream.
HEARTBEAT_SECONDS = 15.0
#: Notifications committed out of their creation order are still caught within this window.
LOOKBACK = timedelta(seconds=60)


async def current_user(caller: CurrentCaller, session: SessionDep) -> User:
    """The signed-in person (partner keys have no inbox)."""
    if caller.principal.kind != "user":
        raise Forbidden("notifications are for people, not partner keys")
    username = caller.principal.sub.removeprefix("user:")
    user = await repository.user_by_username(session, username)
    if user is None:
        raise Unauthorized("the user no longer exists")
    return user


CurrentUser = Annotated[User, Depends(current_user)]
LanguageQuery = Annotated[
    Language | None, Query(description="zh_CN or en; else the UI's language, else your preference")
]


async def language_of(
    request: Request, user: CurrentUser, session: SessionDep, lang: LanguageQuery = None
) -> str:
    if lang:
        return lang
    cookie = request.cookies.get(LANGUAGE_COOKIE)
    if cookie in ("zh_CN", "en"):
        return cookie
    pref = await repository.preference(session, user.id)
    return pref.language if pref else "zh_CN"


ReaderLanguage = Annotated[str, Depends(language_of)]


def _hub(request: Request) -> Hub:
    hub: Hub = request.app.state.notifications
    return hub


@router.get("", response_model=NotificationsPublic)
async def list_notifications(
    user: CurrentUser,
    session: SessionDep,
    language: ReaderLanguage,
    unread: bool = False,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> NotificationsPublic:
    """Your notifications, newest first; `unread=true` for the unread ones only."""
    rows, next_cursor = await repository.page(
        session, user.id, unread=unread, cursor=cursor, limit=limit
    )
    return NotificationsPublic(
        data=[NotificationPublic.of(r, language) for r in rows], next_cursor=next_cursor
    )


@router.get("/unread-count", response_model=UnreadCount)
async def unread_count(user: CurrentUser, session: SessionDep) -> UnreadCount:
    """How many of your notifications are unread (the badge in the header)."""
    return UnreadCount(unread=await repository.unread_count(session, user.id))


@router.post("/{notification_id}/read", response_model=NotificationPublic)
async def mark_read(
    notification_id: uuid.UUID,
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    language: ReaderLanguage,
) -> NotificationPublic:
    """Mark one of your notifications read (again is fine)."""
    row = await service.mark_read(session, _hub(request), user.id, notification_id)
    return NotificationPublic.of(row, language)


@router.post("/read-all", response_model=MarkedRead)
async def mark_all_read(request: Request, user: CurrentUser, session: SessionDep) -> MarkedRead:
    """Mark all your notifications read."""
    marked = await service.mark_all_read(session, _hub(request), user.id)
    return MarkedRead(marked=marked, unread=0)


@router.get("/preferences", response_model=PreferencesPublic)
async def get_preferences(user: CurrentUser, session: SessionDep) -> PreferencesPublic:
    """Whether and where you get mail, and in which language."""
    return PreferencesPublic.of(await repository.preference(session, user.id))


@router.put("/preferences", response_model=PreferencesPublic)
async def put_preferences(
    data: PreferencesUpdate, user: CurrentUser, session: SessionDep
) -> PreferencesPublic:
    """Turn mail on or off, set the address, choose the language of mails."""
    return PreferencesPublic.of(await service.update_preferences(session, user.id, data))


@router.get("/stream", response_class=StreamingResponse)
async def stream(
    request: Request,
    caller: CurrentCaller,
    user: CurrentUser,
    language: ReaderLanguage,
    last_event_id: Annotated[str | None, Header()] = None,
) -> StreamingResponse:
    """Server-sent events: `notification` for each new one, `unread` when the count changes.

    Reconnecting with `Last-Event-ID` replays what was missed in between. The stream ends
    within `TP_GATEWAY_STREAM_RECHECK_SECONDS` of its log-in being revoked.
    """
    db: Database = request.app.state.db
    auth = request.app.state.auth
    recheck = request.app.state.settings.stream_recheck_seconds
    hub = _hub(request)
    user_id = user.id
    connected_at = utcnow()
    after: uuid.UUID | None = None
    if last_event_id:
        try:
            after = uuid.UUID(last_event_id)
        except ValueError:
            after = None

    async def events() -> AsyncIterator[str]:
        with hub.listen(user_id) as waiter:
            yield "retry: 3000\n\n"
            since = connected_at
            # What existed at connect time the page has listed already, unless the client says
            # (Last-Event-ID) that it saw less: those are replayed.
            async with db.session(read_only=True) as session:
                marker = await repository.get_mine(session, user_id, after) if after else None
                known = await repository.since(session, user_id, since - LOOKBACK)
                sent = {
                    r.id: r.created_at
                    for r in known
                    if marker is None or r.created_at <= marker.created_at
                }
            if marker is not None:
                since = marker.created_at
            shown_unread: int | None = None
            while True:
                waiter.clear()
                async with db.session(read_only=True) as session:
                    rows = await repository.since(session, user_id, since - LOOKBACK)
                    unread = await repository.unread_count(session, user_id)
                    fresh = [(r.id, r.created_at, NotificationPublic.of(r, language)) for r in rows]
                for ident, created, public in fresh:
                    if ident in sent:
                        continue
                    sent[ident] = created
                    since = max(since, created)
                    yield _sse("notification", public.model_dump_json(), str(ident))
                if unread != shown_unread:
                    shown_unread = unread
                    yield _sse("unread", UnreadCount(unread=unread).model_dump_json())
                horizon = since - LOOKBACK
                sent = {i: c for i, c in sent.items() if c >= horizon}
                quiet = 0.0
                while True:
                    try:
                        await asyncio.wait_for(waiter.wait(), recheck)
                        woken = True
                    except TimeoutError:
                        woken, quiet = False, quiet + recheck
                    if not await auth.still_valid(caller):
                        return
                    if woken:
                        break
                    if quiet >= HEARTBEAT_SECONDS:
                        yield ": keep-alive\n\n"
                        quiet = 0.0

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"cache-control": "no-store", "x-accel-buffering": "no"},
    )


def _sse(event: str, data: str, ident: str | None = None) -> str:
    head = f"id: {ident}\n" if ident else ""
    return f"{head}event: {event}\ndata: {data}\n\n"
