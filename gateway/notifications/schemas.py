"""Requests and responses of the notifications API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from gateway.models import Notification, NotificationPreference

Language = Literal["zh_CN", "en"]


class NotificationPublic(BaseModel):
    """A notification in the reader's language."""

    id: uuid.UUID
    kind: str
    title: str
    body: str
    link: str
    created_at: datetime
    read_at: datetime | None

    @classmethod
    def of(cls, row: Notification, language: str) -> NotificationPublic:
        english = language == "en"
        return cls(
            id=row.id,
            kind=row.kind,
            title=row.title_en if english else row.title_zh,
            body=row.body_en if english else row.body_zh,
            link=row.link,
            created_at=row.created_at,
            read_at=row.read_at,
        )


class NotificationsPublic(BaseModel):
    data: list[NotificationPublic]
    next_cursor: str | None = None


class UnreadCount(BaseModel):
    unread: int


class MarkedRead(BaseModel):
    marked: int
    unread: int


class PreferencesPublic(BaseModel):
    """How the user hears of notifications besides the inbox."""

    email: str | None = None
    email_enabled: bool = False
    language: Language = "zh_CN"

    @classmethod
    def of(cls, row: NotificationPreference | None) -> PreferencesPublic:
        if row is None:
            return cls()
        return cls(email=row.email, email_enabled=row.email_enabled, language=row.language)


class PreferencesUpdate(BaseModel):
    """Change some of the preferences; mail needs an address before it can be turned on."""

    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    email_enabled: bool | None = None
    language: Language | None = None
