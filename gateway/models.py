"""Tables of the gateway: users, sessions, tokens, partner keys, audit, event log, notifications."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from common.db import UTCDateTime, utcnow
from common.models import messaging_tables, new_registry
from common.projections import UnitProjectionFields


class GatewayBase(SQLModel, registry=new_registry()):
    """The base of the gateway tables, with metadata of their own."""


messaging = messaging_tables(GatewayBase.metadata)


def _at(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(
        default_factory=utcnow if not nullable else None,
        sa_column=Column(UTCDateTime(), nullable=nullable, index=index),
    )


class User(GatewayBase, table=True):
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


class WebSession(GatewayBase, table=True):
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


class TokenFamily(GatewayBase, table=True):
    """One log-in of an API client: its refresh tokens rotate inside it, and die with it."""

    __tablename__ = "token_families"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    created_at: datetime = _at()
    revoked_at: datetime | None = _at(nullable=True)
    revoked_reason: str | None = Field(default=None, sa_column=Column(String(80), nullable=True))


class RefreshToken(GatewayBase, table=True):
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


class PartnerClient(GatewayBase, table=True):
    """An outside system such as the recruitment site, with the scopes city HR granted it."""

    __tablename__ = "partner_clients"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(sa_column=Column(String(120), nullable=False, unique=True))
    scopes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    disabled: bool = False
    created_by: str = Field(sa_column=Column(String(120), nullable=False))
    created_at: datetime = _at()


class ApiKey(GatewayBase, table=True):
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


class AuditEntry(GatewayBase, table=True):
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


class EventRecord(GatewayBase, table=True):
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


class Unit(GatewayBase, UnitProjectionFields, table=True):
    """The gateway's copy of the units, from `staffing.unit.*`: which district a school is in."""

    __tablename__ = "units"


class Notification(GatewayBase, table=True):
    """A message to one user about something to act on, in both languages; made once per event."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint(
            "event_id", "recipient_id", "kind", name="uq_notifications_event_recipient_kind"
        ),
        Index("ix_notifications_recipient_created", "recipient_id", "created_at", "id"),
        Index("ix_notifications_recipient_read", "recipient_id", "read_at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    recipient_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    event_id: str = Field(sa_column=Column(String(36), nullable=False))
    kind: str = Field(sa_column=Column(String(60), nullable=False))
    title_zh: str = Field(sa_column=Column(String(200), nullable=False))
    title_en: str = Field(sa_column=Column(String(200), nullable=False))
    body_zh: str = Field(sa_column=Column(Text, nullable=False))
    body_en: str = Field(sa_column=Column(Text, nullable=False))
    link: str = Field(sa_column=Column(String(500), nullable=False))
    created_at: datetime = _at()
    read_at: datetime | None = _at(nullable=True)
    mail_delivery_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(
            ForeignKey("mail_deliveries.id", ondelete="SET NULL"), nullable=True, index=True
        ),
    )


class NotificationPreference(GatewayBase, table=True):
    """How a user wants to hear: the language of mails, and whether to mail at all, and where."""

    __tablename__ = "notification_preferences"

    user_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    )
    email: str | None = Field(default=None, sa_column=Column(String(254), nullable=True))
    email_enabled: bool = False
    language: str = Field(default="zh_CN", sa_column=Column(String(8), nullable=False))
    updated_at: datetime = _at()


class MailDelivery(GatewayBase, table=True):
    """One mail to send (a single notification or a digest of several), retried until it goes."""

    __tablename__ = "mail_deliveries"
    __table_args__ = (Index("ix_mail_deliveries_due", "status", "next_attempt_at"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    recipient_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    to_address: str = Field(sa_column=Column(String(254), nullable=False))
    language: str = Field(sa_column=Column(String(8), nullable=False))
    #: pending (collecting or waiting to be sent), sending (claimed by a worker), sent, failed
    status: str = Field(default="pending", sa_column=Column(String(20), nullable=False))
    created_at: datetime = _at()
    next_attempt_at: datetime = _at()
    lease_until: datetime | None = _at(nullable=True)
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    sent_at: datetime | None = _at(nullable=True)
