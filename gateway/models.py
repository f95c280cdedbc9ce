"""Tables of the gateway: users, sessions, tokens, partner clients and keys, audit, event log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Text
from sqlmodel import Field

from common.db import UTCDateTime, utcnow
from common.models import messaging_tables, new_base

GatewayBase = new_base("GatewayBase")
messaging = messaging_tables(GatewayBase.metadata)


def _at(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(
        default_factory=utcnow if not nullable else None,
        sa_column=Column(UTCDateTime(), nullable=nullable, index=index),
    )


class User(GatewayBase, table=True):  # type: ignore[call-arg]
    """A person who signs in: HR, the commission, a school admin, a teacher or an auditor."""

    __tablename__ = "users"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    username: str = Field(sa_column=Column(String(80), nullable=False, unique=True))
    display_name: str = Field(sa_column=Column(String(120), nullable=False))
    password_hash: str = Field(sa_column=Column(String(200), nullable=False))
    role: str = Field(sa_column=Column(String(40), nullable=False))
    district_id: uuid.UUID | None = None
    unit_id: uuid.UUID | None = None
    teacher_id: uuid.UUID | None = None
    disabled: bool = False
    failed_logins: int = 0
    locked_until: datetime | None = _at(nullable=True)
    created_at: datetime = _at()
    updated_at: datetime = _at()


class WebSession(GatewayBase, table=True):  # type: ignore[call-arg]
    """A browser session behind the cookie; the cookie holds a secret, the row its SHA-256."""

    __tablename__ = "web_sessions"

    id: str = Field(sa_column=Column(String(64), primary_key=True))
    user_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    csrf_token: str = Field(sa_column=Column(String(64), nullable=False))
    created_at: datetime = _at()
    expires_at: datetime = _at()
    revoked_at: datetime | None = _at(nullable=True)


class TokenFamily(GatewayBase, table=True):  # type: ignore[call-arg]
    """One log-in of an API client: its refresh tokens rotate inside it, and die with it."""

    __tablename__ = "token_families"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    created_at: datetime = _at()
    revoked_at: datetime | None = _at(nullable=True)
    revoked_reason: str | None = Field(default=None, sa_column=Column(String(80), nullable=True))


class RefreshToken(GatewayBase, table=True):  # type: ignore[call-arg]
    """A refresh token, stored as its SHA-256; usable once, then replaced by its successor."""

    __tablename__ = "refresh_tokens"

    id: str = Field(sa_column=Column(String(64), primary_key=True))
    family_id: uuid.UUID = Field(
        sa_column=Column(
            ForeignKey("token_families.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    created_at: datetime = _at()
    expires_at: datetime = _at()
    used_at: datetime | None = _at(nullable=True)


class PartnerClient(GatewayBase, table=True):  # type: ignore[call-arg]
    """An outside system such as the recruitment site, with the scopes city HR granted it."""

    __tablename__ = "partner_clients"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(sa_column=Column(String(120), nullable=False, unique=True))
    scopes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    disabled: bool = False
    created_by: str = Field(sa_column=Column(String(120), nullable=False))
    created_at: datetime = _at()


class ApiKey(GatewayBase, table=True):  # type: ignore[call-arg]
    """A partner's key: a visible prefix and the SHA-256 of its secret, never the secret."""

    __tablename__ = "api_keys"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    client_id: uuid.UUID = Field(
        sa_column=Column(
            ForeignKey("partner_clients.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    prefix: str = Field(sa_column=Column(String(40), nullable=False, unique=True))
    secret_hash: str = Field(sa_column=Column(String(64), nullable=False))
    label: str = Field(default="", sa_column=Column(String(120), nullable=False))
    created_at: datetime = _at()
    revoked_at: datetime | None = _at(nullable=True)
    last_used_at: datetime | None = _at(nullable=True)


class AuditEntry(GatewayBase, table=True):  # type: ignore[call-arg]
    """One state-changing request as the gateway saw it; rows are only ever added."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_actor_at", "actor", "at"),)

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    at: datetime = _at(index=True)
    actor: str = Field(sa_column=Column(String(120), nullable=False))
    role: str = Field(sa_column=Column(String(40), nullable=False))
    action: str = Field(sa_column=Column(String(240), nullable=False))
    target: str = Field(sa_column=Column(String(500), nullable=False))
    status: int
    outcome: str = Field(sa_column=Column(String(20), nullable=False))
    request_id: str = Field(sa_column=Column(String(128), nullable=False))


class EventRecord(GatewayBase, table=True):  # type: ignore[call-arg]
    """A domain event as published, kept for entity histories."""

    __tablename__ = "event_log"
    __table_args__ = (Index("ix_event_log_entity", "entity_type", "entity_id", "time", "seq"),)

    seq: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    event_id: str = Field(sa_column=Column(String(36), nullable=False, unique=True))
    type: str = Field(sa_column=Column(String(120), nullable=False))
    source: str = Field(sa_column=Column(String(120), nullable=False))
    entity_type: str = Field(sa_column=Column(String(60), nullable=False))
    entity_id: str = Field(sa_column=Column(String(200), nullable=False))
    time: datetime = _at()
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    traceparent: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
