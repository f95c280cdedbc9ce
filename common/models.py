"""Table bases: each service gets its own metadata, with the outbox and inbox tables in it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Column, Index, Integer, MetaData, String, Table, Text
from sqlalchemy.orm import registry

from common.db import UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


@dataclass(frozen=True, slots=True)
class MessagingTables:
    """The outbox (events to publish) and the inbox (events already applied) of one service."""

    outbox: Table
    inbox: Table


def new_registry() -> registry:
    """A registry and metadata of a service's own, so services never share tables.

    Each service declares its base as `class StaffingBase(SQLModel, registry=new_registry())`,
    a class mypy can check its tables against."""
    return registry(metadata=MetaData(naming_convention=NAMING_CONVENTION))


def messaging_tables(metadata: MetaData) -> MessagingTables:
    """Add the outbox and inbox tables to a service's metadata."""
    outbox = Table(
        "outbox_events",
        metadata,
        Column("id", String(36), primary_key=True),
        Column("type", String(120), nullable=False),
        Column("subject", String(200), nullable=False),
        Column("envelope", Text, nullable=False),
        Column("created_at", UTCDateTime(), nullable=False),
        Column("published_at", UTCDateTime(), nullable=True),
        Column("attempts", Integer, nullable=False, default=0),
        Column("last_error", Text, nullable=True),
        Index("ix_outbox_events_pending", "published_at", "created_at"),
    )
    inbox = Table(
        "inbox_events",
        metadata,
        Column("event_id", String(36), primary_key=True),
        Column("type", String(120), nullable=False),
        Column("source", String(120), nullable=False),
        Column("received_at", UTCDateTime(), nullable=False),
    )
    return MessagingTables(outbox=outbox, inbox=inbox)
