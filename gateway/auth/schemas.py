"""Request and response models of the auth API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

UserRole = Literal[
    "city_hr", "staffing_commission", "district_hr", "school_admin", "teacher", "auditor"
]
PartnerScope = Literal[
    "postings:read",
    "candidates:write",
    "applications:write",
    "applications:read",
    "webhooks:manage",
]
PASSWORD = Field(min_length=10, max_length=200)


class Credentials(BaseModel):
    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=200)


class Scope(BaseModel):
    """Where a role applies: one district for district HR, one school for a school admin."""

    role: UserRole
    district_id: uuid.UUID | None = None
    unit_id: uuid.UUID | None = None
    teacher_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _scope_fits_role(self) -> Scope:
        if self.role == "district_hr" and self.district_id is None:
            raise ValueError("district HR needs district_id")
        if self.role in ("school_admin", "teacher") and self.unit_id is None:
            raise ValueError(f"{self.role} needs unit_id (the school)")
        if self.role == "teacher" and self.teacher_id is None:
            raise ValueError("a teacher needs teacher_id")
        return self


class UserCreate(Scope):
    username: str = Field(min_length=3, max_length=80, pattern=r"^[a-z0-9._-]+$")
    display_name: str = Field(min_length=1, max_length=120)
    password: str = PASSWORD


class PasswordReset(BaseModel):
    password: str = PASSWORD


class UserPublic(BaseModel):
    id: uuid.UUID
    username: str
    display_name: str
    role: str
    district_id: uuid.UUID | None
    unit_id: uuid.UUID | None
    teacher_id: uuid.UUID | None
    disabled: bool
    locked_until: datetime | None
    created_at: datetime


class UsersPublic(BaseModel):
    data: list[UserPublic]
    next_cursor: str | None = None


class SessionPublic(BaseModel):
    user: UserPublic
    csrf_token: str
    expires_at: datetime


class TokenPair(BaseModel):
    """The OAuth2 token response (RFC 6749 §5.1)."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 the OAuth2 token type, not a secret
    expires_in: int
    refresh_token: str


class PartnerCreate(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    scopes: list[PartnerScope] = Field(min_length=1)


class PartnerPublic(BaseModel):
    id: uuid.UUID
    name: str
    scopes: list[str]
    disabled: bool
    created_at: datetime


class PartnersPublic(BaseModel):
    data: list[PartnerPublic]
    next_cursor: str | None = None


class KeyCreate(BaseModel):
    label: str = Field(default="", max_length=120)


class KeyPublic(BaseModel):
    id: uuid.UUID
    prefix: str
    label: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class KeyCreated(KeyPublic):
    """The new key: `api_key` is shown this once and never stored."""

    api_key: str


class KeysPublic(BaseModel):
    data: list[KeyPublic]
