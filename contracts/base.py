"""The CloudEvents-shaped envelope and the registry of versioned event schemas."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.config import JsonDict

SUBJECT_PARTS = 3


class Event(BaseModel):
    """Base of every event payload: a past-tense fact, immutable once published."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    event_version: ClassVar[int] = 1

    @classmethod
    def schema_uri(cls) -> str:
        return f"urn:teacherpool:event:{cls.event_type}:v{cls.event_version}"


REGISTRY: dict[str, type[Event]] = {}

#: `Field(json_schema_extra=PERSONAL)` marks personal information (PIPL): consumers that keep
#: events for history (the gateway) drop these fields; only the owning service stores them.
PERSONAL: JsonDict = {"personal": True}


def personal_fields(model: type[BaseModel]) -> frozenset[str]:
    """The fields of an event that carry personal information."""
    return frozenset(
        name
        for name, field in model.model_fields.items()
        if isinstance(field.json_schema_extra, dict) and field.json_schema_extra.get("personal")
    )


def without_personal(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """The event's data less its personal fields, for stores that must not keep them."""
    model = REGISTRY.get(event_type)
    dropped = personal_fields(model) if model is not None else frozenset()
    return {k: v for k, v in data.items() if k not in dropped}


EventClass = TypeVar("EventClass", bound="type[Event]")


def event_model(event_type: str, version: int = 1) -> Callable[[EventClass], EventClass]:
    """Register an event class under its subject `<service>.<entity>.<verb_past>`."""
    parts = event_type.split(".")
    if len(parts) != SUBJECT_PARTS or not all(p and p.replace("_", "").isalnum() for p in parts):
        raise ValueError(f"event type {event_type!r} is not <service>.<entity>.<verb_past>")

    def register(cls: EventClass) -> EventClass:
        if event_type in REGISTRY:
            raise ValueError(f"event type {event_type!r} registered twice")
        cls.event_type = event_type
        cls.event_version = version
        REGISTRY[event_type] = cls
        return cls

    return register


def registered_events(service: str | None = None) -> list[type[Event]]:
    """The registered event classes, optionally only those one service publishes."""
    return [
        cls
        for event_type, cls in sorted(REGISTRY.items())
        if service is None or event_type.split(".", 1)[0] == service
    ]


class Envelope(BaseModel):
    """CloudEvents 1.0 attributes around an event's data; `traceparent` is the W3C extension."""

    model_config = ConfigDict(extra="forbid")

    specversion: Literal["1.0"] = "1.0"
    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    source: str = Field(min_length=1, max_length=120)
    type: str = Field(min_length=1, max_length=120)
    subject: str = Field(min_length=1, max_length=200)
    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    datacontenttype: Literal["application/json"] = "application/json"
    dataschema: str
    traceparent: str | None = None
    data: dict[str, Any]

    @field_validator("time")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("time must carry a timezone")
        return value

    @classmethod
    def wrap(
        cls, event: Event, *, source: str, subject: str, traceparent: str | None = None
    ) -> Envelope:
        return cls(
            source=source,
            type=event.event_type,
            subject=subject,
            dataschema=event.schema_uri(),
            traceparent=traceparent,
            data=event.model_dump(mode="json"),
        )

    def parse_data(self) -> Event:
        """The typed event; raises KeyError for an unknown type, ValidationError for bad data."""
        return REGISTRY[self.type].model_validate(self.data)
