"""Request and response models of webhook endpoints and deliveries."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from common.patch import MergePatch

WebhookType = Literal[
    "application.status_changed", "posting.opened", "posting.closed", "candidate.erased"
]
DeliveryStatus = Literal["pending", "delivered", "failed"]


class WebhookCreate(BaseModel):
    """An endpoint to receive the chosen event types (Standard Webhooks, signed)."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=8, max_length=2000)
    event_types: list[WebhookType] = Field(min_length=1, max_length=4)
    description: str | None = Field(default=None, max_length=200)


class WebhookUpdate(MergePatch):
    """Change an endpoint, or enable it again after it was disabled; the description may be
    cleared."""

    not_clearable = frozenset({"url", "event_types", "enabled"})

    url: str | None = Field(default=None, min_length=8, max_length=2000)
    event_types: list[WebhookType] | None = Field(default=None, min_length=1, max_length=4)
    description: str | None = Field(default=None, max_length=200)
    enabled: bool | None = None


class WebhookPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    url: str
    event_types: list[WebhookType]
    description: str | None
    disabled_at: datetime | None
    disabled_reason: str | None
    created_at: datetime

    @computed_field  # type: ignore[prop-decorator]  # mypy rejects decorators over @property
    @property
    def enabled(self) -> bool:
        return self.disabled_at is None


class WebhookCreated(WebhookPublic):
    """The new endpoint and its signing secret, shown this once."""

    secret: str


class DeliveryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    endpoint_id: uuid.UUID
    event_id: uuid.UUID
    event_type: WebhookType
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime
