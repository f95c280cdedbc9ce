"""The rules of identity: log-in with lock-out, sessions, refresh rotation, users, partner keys."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from common.auth import Principal
from common.clock import LOCAL_TIME
from common.db import utcnow
from common.errors import AlreadyTaken, NotFound, Unauthorized
from gateway.auth.schemas import KeyCreate, PartnerCreate, Scope, UserCreate
from gateway.auth.secrets import (
    digest,
    hash_password,
    key_prefix,
    new_api_key,
    new_secret,
    same_digest,
)
from gateway.auth.throttle import LoginThrottle, PasswordWork
from gateway.models import ApiKey, PartnerClient, RefreshToken, TokenFamily, User, WebSession

SHANGHAI = LOCAL_TIME
BAD_CREDENTIALS = "wrong username or password"


def user_principal(user: User) -> Principal:
    return Principal(
        sub=f"user:{user.username}",
        kind="user",
        role=user.role,
        name=user.display_name,
        unit_id=user.unit_id,
        district_id=user.district_id,
        teacher_id=user.teacher_id,
    )


def partner_principal(client: PartnerClient) -> Principal:
    return Principal(
        sub=f"partner:{client.id}",
        kind="partner",
        role="partner",
        name=client.name,
        scopes=tuple(sorted(client.scopes)),
    )


async def user_named(session: AsyncSession, username: str) -> User | None:
    return (
        await session.execute(select(User).where(col(User.username) == username))
    ).scalar_one_or_none()


async def check_login(
    user: User | None,
    username: str,
    password: str,
    source: str,
    *,
    throttle: LoginThrottle,
    passwords: PasswordWork,
) -> User | None:
    """The user when the password is right, the account enabled and the (account, source) pair
    not being slowed down; None otherwise, whatever the reason, so that no answer tells an
    unknown user from a wrong password, a disabled account or a throttled source."""
    if throttle.wait_seconds(username, source) > 0:
        throttle.failed(username, source)
        return None
    # One argon2 check whether or not the user exists, so a miss takes as long as a wrong password.
    matches = await passwords.verify(user.password_hash if user else None, password)
    if user is None or not matches or user.disabled:
        throttle.failed(username, source)
        return None
    throttle.succeeded(username, source)
    return user


async def open_web_session(session: AsyncSession, user: User, ttl: int) -> tuple[str, WebSession]:
    """A new browser session; returns the cookie secret (stored only as its hash)."""
    secret = new_secret()
    row = WebSession(
        id=digest(secret),
        user_id=user.id,
        csrf_token=new_secret(),
        expires_at=utcnow() + timedelta(seconds=ttl),
    )
    session.add(row)
    await session.flush()
    return secret, row


async def find_web_session(session: AsyncSession, secret: str) -> tuple[WebSession, User] | None:
    """The live session behind a cookie and its (enabled) user."""
    found = (
        await session.execute(
            select(WebSession, User)
            .join(User, col(User.id) == col(WebSession.user_id))
            .where(col(WebSession.id) == digest(secret))
        )
    ).first()
    if found is None:
        return None
    web, user = found
    if web.revoked_at is not None or web.expires_at <= utcnow() or user.disabled:
        return None
    return web, user


async def close_web_session(session: AsyncSession, secret: str) -> None:
    await session.execute(
        update(WebSession)
        .where(col(WebSession.id) == digest(secret), col(WebSession.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )


async def start_token_family(
    session: AsyncSession, user: User, ttl: int
) -> tuple[str, TokenFamily]:
    """A new refresh-token family for an API log-in; returns its first refresh token."""
    family = TokenFamily(user_id=user.id)
    session.add(family)
    await session.flush()
    return await _new_refresh(session, family, ttl), family


async def _new_refresh(session: AsyncSession, family: TokenFamily, ttl: int) -> str:
    secret = new_secret()
    session.add(
        RefreshToken(
            id=digest(secret), family_id=family.id, expires_at=utcnow() + timedelta(seconds=ttl)
        )
    )
    await session.flush()
    return secret


@dataclass(frozen=True, slots=True)
class RotationOutcome:
    user: User | None
    family: TokenFamily | None
    refresh_token: str | None
    error: Unauthorized | None


async def rotate_refresh(
    session: AsyncSession, secret: str, ttl: int, max_family_seconds: int
) -> RotationOutcome:
    """Spend a refresh token for a new one; a token spent before revokes its whole family, and
    a family older than `max_family_seconds` renews no more."""
    token = (
        await session.execute(
            select(RefreshToken).where(col(RefreshToken.id) == digest(secret)).with_for_update()
        )
    ).scalar_one_or_none()
    if token is None:
        return RotationOutcome(None, None, None, Unauthorized("unknown refresh token"))
    family = await session.get(TokenFamily, token.family_id)
    assert family is not None
    now = utcnow()
    if token.used_at is not None:
        # Someone holds a copy of a spent token: end the log-in for both holders.
        if family.revoked_at is None:
            family.revoked_at, family.revoked_reason = now, "refresh token reused"
        return RotationOutcome(
            None, family, None, Unauthorized("refresh token reused; this log-in is revoked")
        )
    if family.revoked_at is not None or token.expires_at <= now:
        return RotationOutcome(
            None, None, None, Unauthorized("the refresh token is no longer valid")
        )
    if family.created_at + timedelta(seconds=max_family_seconds) <= now:
        return RotationOutcome(
            None, None, None, Unauthorized("this log-in has reached its lifetime; log in again")
        )
    user = await session.get(User, family.user_id)
    if user is None or user.disabled:
        return RotationOutcome(None, None, None, Unauthorized("this account is disabled"))
    token.used_at = now
    return RotationOutcome(user, family, await _new_refresh(session, family, ttl), None)


async def revoke_family_of(session: AsyncSession, refresh_secret: str) -> uuid.UUID | None:
    """Log-out of an API client: the refresh token's family ends."""
    token = await session.get(RefreshToken, digest(refresh_secret))
    if token is None:
        return None
    await revoke_family(session, token.family_id, "logged out")
    return token.family_id


async def revoke_family(session: AsyncSession, family_id: uuid.UUID, reason: str) -> None:
    await session.execute(
        update(TokenFamily)
        .where(col(TokenFamily.id) == family_id, col(TokenFamily.revoked_at).is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason)
    )


async def login_is_live(session: AsyncSession, via: str, ref: uuid.UUID | str) -> bool:
    """Whether the session, token family or key behind a caller still stands, read afresh."""
    now = utcnow()
    if via == "cookie":
        found = (
            await session.execute(
                select(WebSession, User)
                .join(User, col(User.id) == col(WebSession.user_id))
                .where(col(WebSession.id) == str(ref))
            )
        ).first()
        if found is None:
            return False
        web, user = found
        return web.revoked_at is None and web.expires_at > now and not user.disabled
    if via == "bearer":
        return await family_is_live(session, uuid.UUID(str(ref)))
    key = await session.get(ApiKey, uuid.UUID(str(ref)))
    if key is None or key.revoked_at is not None:
        return False
    client = await session.get(PartnerClient, key.client_id)
    return client is not None and not client.disabled


async def family_is_live(session: AsyncSession, family_id: uuid.UUID) -> bool:
    family = await session.get(TokenFamily, family_id)
    return family is not None and family.revoked_at is None


async def end_all_logins(session: AsyncSession, user: User, reason: str) -> None:
    """Revoke every session and token family of a user (disabled, new password, new role)."""
    now = utcnow()
    await session.execute(
        update(WebSession)
        .where(col(WebSession.user_id) == user.id, col(WebSession.revoked_at).is_(None))
        .values(revoked_at=now)
    )
    await session.execute(
        update(TokenFamily)
        .where(col(TokenFamily.user_id) == user.id, col(TokenFamily.revoked_at).is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )


async def create_user(session: AsyncSession, data: UserCreate) -> User:
    user = User(
        username=data.username,
        display_name=data.display_name,
        password_hash=hash_password(data.password),
        role=data.role,
        district_id=data.district_id,
        unit_id=data.unit_id,
        teacher_id=data.teacher_id,
    )
    session.add(user)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as error:
        raise AlreadyTaken("body.username", f"the username {data.username} is taken") from error
    return user


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("no such user")
    return user


async def set_disabled(session: AsyncSession, user: User, disabled: bool) -> User:
    user.disabled = disabled
    user.updated_at = utcnow()
    if disabled:
        await end_all_logins(session, user, "account disabled")
    return user


async def reset_password(session: AsyncSession, user: User, password: str) -> User:
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    user.updated_at = utcnow()
    await end_all_logins(session, user, "password reset")
    return user


async def set_scope(session: AsyncSession, user: User, scope: Scope) -> User:
    user.role = scope.role
    user.district_id = scope.district_id
    user.unit_id = scope.unit_id
    user.teacher_id = scope.teacher_id
    user.updated_at = utcnow()
    await end_all_logins(session, user, "role or scope changed")
    return user


async def create_partner(session: AsyncSession, data: PartnerCreate, actor: str) -> PartnerClient:
    client = PartnerClient(name=data.name, scopes=sorted(set(data.scopes)), created_by=actor)
    session.add(client)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as error:
        raise AlreadyTaken("body.name", f"a partner named {data.name} exists") from error
    return client


async def get_partner(session: AsyncSession, client_id: uuid.UUID) -> PartnerClient:
    client = await session.get(PartnerClient, client_id)
    if client is None:
        raise NotFound("no such partner client")
    return client


async def issue_key(
    session: AsyncSession, client: PartnerClient, data: KeyCreate
) -> tuple[str, ApiKey]:
    """A new key for the client; the plain key is returned once and only its hash is kept."""
    api_key, prefix = new_api_key()
    row = ApiKey(client_id=client.id, prefix=prefix, secret_hash=digest(api_key), label=data.label)
    session.add(row)
    await session.flush()
    return api_key, row


async def revoke_key(session: AsyncSession, client: PartnerClient, key_id: uuid.UUID) -> ApiKey:
    key = await session.get(ApiKey, key_id)
    if key is None or key.client_id != client.id:
        raise NotFound("no such key for this partner")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
    return key


async def find_key(session: AsyncSession, api_key: str) -> tuple[ApiKey, PartnerClient] | None:
    """The live key and its enabled client for a presented key, compared in constant time."""
    prefix = key_prefix(api_key)
    if prefix is None:
        return None
    found = (
        await session.execute(
            select(ApiKey, PartnerClient)
            .join(PartnerClient, col(PartnerClient.id) == col(ApiKey.client_id))
            .where(col(ApiKey.prefix) == prefix)
        )
    ).first()
    if found is None:
        same_digest(api_key, "0" * 64)
        return None
    key, client = found
    if not same_digest(api_key, key.secret_hash):
        return None
    if key.revoked_at is not None or client.disabled:
        return None
    return key, client


async def record_key_use(session: AsyncSession, key_id: uuid.UUID, at: datetime) -> None:
    await session.execute(update(ApiKey).where(col(ApiKey.id) == key_id).values(last_used_at=at))
