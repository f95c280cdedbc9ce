"""HTTP for log-in, tokens, users and partner clients (`/api/auth/v1`)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request, Response, status
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from common.db import Database
from common.deps import DEFAULT_LIMIT, Cursor, Limit, SessionDep
from common.errors import InvalidInput, Unauthorized
from common.pagination import paginate
from gateway.auth import service
from gateway.auth.callers import Authenticator
from gateway.auth.schemas import (
    Credentials,
    KeyCreate,
    KeyCreated,
    KeyPublic,
    KeysPublic,
    PartnerCreate,
    PartnerPublic,
    PartnersPublic,
    PasswordReset,
    Scope,
    SessionPublic,
    TokenPair,
    UserCreate,
    UserPublic,
    UsersPublic,
)
from gateway.auth.throttle import request_source
from gateway.auth.tokens import ApiTokens
from gateway.deps import CityHr, CurrentCaller, LoginLimited
from gateway.models import ApiKey, PartnerClient, User
from gateway.settings import GatewaySettings

router = APIRouter(prefix="/api/auth/v1", tags=["auth"])


def _settings(request: Request) -> GatewaySettings:
    return request.app.state.settings


def _db(request: Request) -> Database:
    return request.app.state.db


async def _login(request: Request, username: str, password: str) -> User:
    """Check the password; every refusal is the same 401 (see gateway.auth.throttle)."""
    request.state.audit_actor = f"user:{username}"
    async with _db(request).session() as session:
        found = await service.user_named(session, username)
    # No database connection is held while argon2 runs.
    user = await service.check_login(
        found,
        username,
        password,
        request_source(request),
        throttle=request.app.state.login_throttle,
        passwords=request.app.state.passwords,
    )
    if user is None:
        raise Unauthorized(service.BAD_CREDENTIALS)
    return user


@router.post("/session", response_model=SessionPublic, dependencies=[LoginLimited])
async def log_in(body: Credentials, request: Request, response: Response) -> SessionPublic:
    """Log in to the admin UI: sets the HttpOnly session cookie and returns the CSRF token."""
    settings = _settings(request)
    user = await _login(request, body.username, body.password)
    async with _db(request).session() as session:
        secret, web = await service.open_web_session(session, user, settings.session_ttl_seconds)
    response.set_cookie(
        settings.session_cookie_name,
        secret,
        max_age=settings.session_ttl_seconds,
        httponly=True,
        secure=settings.https,
        samesite="lax",
        path="/",
    )
    return SessionPublic(
        user=UserPublic.model_validate(user, from_attributes=True),
        csrf_token=web.csrf_token,
        expires_at=web.expires_at,
    )


@router.get("/session", response_model=SessionPublic)
async def current_session(request: Request, session: SessionDep) -> SessionPublic:
    """The signed-in user of this browser session and its CSRF token."""
    secret = request.cookies.get(_settings(request).session_cookie_name)
    found = await service.find_web_session(session, secret) if secret else None
    if found is None:
        raise Unauthorized("not logged in")
    web, user = found
    return SessionPublic(
        user=UserPublic.model_validate(user, from_attributes=True),
        csrf_token=web.csrf_token,
        expires_at=web.expires_at,
    )


@router.delete("/session", status_code=status.HTTP_204_NO_CONTENT)
async def log_out(caller: CurrentCaller, request: Request, session: SessionDep) -> Response:
    """End this browser session (needs the CSRF token like every change)."""
    settings = _settings(request)
    secret = request.cookies.get(settings.session_cookie_name)
    if caller.via != "cookie" or not secret:
        raise Unauthorized("no browser session to end")
    await service.close_web_session(session, secret)
    auth: Authenticator = request.app.state.auth
    auth.revoke_after_commit(session, ref=caller.ref)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(settings.session_cookie_name, path="/", secure=settings.https)
    return response


@router.post("/token", response_model=TokenPair, dependencies=[LoginLimited])
async def token(
    request: Request,
    grant_type: Annotated[Literal["password", "refresh_token"], Form()],
    username: Annotated[str | None, Form(max_length=80)] = None,
    password: Annotated[str | None, Form(max_length=200)] = None,
    refresh_token: Annotated[str | None, Form(max_length=200)] = None,
) -> TokenPair:
    """OAuth2 token endpoint: the password grant, and the refresh grant (rotated on use)."""
    settings = _settings(request)
    tokens: ApiTokens = request.app.state.tokens
    if grant_type == "password":
        if not username or not password:
            raise InvalidInput.field("body.password", "username and password are required")
        user = await _login(request, username, password)
        async with _db(request).session() as session:
            refresh, family = await service.start_token_family(
                session, user, settings.refresh_token_ttl_seconds
            )
    else:
        if not refresh_token:
            raise InvalidInput.field("body.refresh_token", "refresh_token is required")
        async with _db(request).session() as session:
            outcome = await service.rotate_refresh(
                session,
                refresh_token,
                settings.refresh_token_ttl_seconds,
                settings.refresh_family_max_seconds,
            )
        if outcome.error is not None:
            if outcome.family is not None:
                request.app.state.auth.revoked(ref=outcome.family.id)
            raise outcome.error
        assert outcome.user and outcome.family and outcome.refresh_token
        user, family, refresh = outcome.user, outcome.family, outcome.refresh_token
    request.state.principal = service.user_principal(user)
    return TokenPair(
        access_token=tokens.issue(service.user_principal(user), family.id),
        expires_in=tokens.ttl,
        refresh_token=refresh,
    )


@router.post("/revoke", status_code=status.HTTP_200_OK)
async def revoke(
    request: Request, session: SessionDep, token: Annotated[str, Form(max_length=200)]
) -> dict[str, str]:
    """Log-out of an API client (RFC 7009): the refresh token's whole family is revoked."""
    family_id = await service.revoke_family_of(session, token)
    if family_id is not None:
        request.app.state.auth.revoke_after_commit(session, ref=family_id)
    return {"status": "revoked"}


@router.get("/jwks.json")
async def key_set(request: Request) -> dict[str, object]:
    """The public keys tokens are signed with, by `kid` (RFC 7517): old and new during a
    rotation, so a verifier can be checked against what the gateway holds."""
    tokens: ApiTokens = request.app.state.tokens
    return {**tokens.keys.jwks()}


@router.get("/me")
async def me(caller: CurrentCaller) -> dict[str, object]:
    """Who the gateway takes you for."""
    return caller.principal.model_dump(mode="json")


@router.get("/users", response_model=UsersPublic)
async def list_users(
    _: CityHr, session: SessionDep, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT
) -> UsersPublic:
    """Users by username."""
    rows, next_cursor = await paginate(
        session,
        select(User),
        order_by=[col(User.username)],
        cursor=cursor,
        limit=limit,
    )
    return UsersPublic(
        data=[UserPublic.model_validate(r, from_attributes=True) for r in rows],
        next_cursor=next_cursor,
    )


@router.post("/users", response_model=UserPublic, status_code=status.HTTP_201_CREATED)
async def create_user(body: UserCreate, _: CityHr, session: SessionDep) -> User:
    """Create a user with a role and its scope."""
    return await service.create_user(session, body)


@router.get("/users/{user_id}", response_model=UserPublic)
async def get_user(user_id: uuid.UUID, _: CityHr, session: SessionDep) -> User:
    return await service.get_user(session, user_id)


@router.post("/users/{user_id}/disable", response_model=UserPublic)
async def disable_user(
    user_id: uuid.UUID, _: CityHr, request: Request, session: SessionDep
) -> User:
    """Disable a user; their sessions and tokens end."""
    user = await service.set_disabled(session, await service.get_user(session, user_id), True)
    return _logins_ended(request, session, user)


@router.post("/users/{user_id}/enable", response_model=UserPublic)
async def enable_user(user_id: uuid.UUID, _: CityHr, session: SessionDep) -> User:
    return await service.set_disabled(session, await service.get_user(session, user_id), False)


@router.post("/users/{user_id}/password", response_model=UserPublic)
async def reset_password(
    user_id: uuid.UUID, body: PasswordReset, _: CityHr, request: Request, session: SessionDep
) -> User:
    """Set a new password; this also lifts a lock-out and ends the user's log-ins."""
    user = await service.get_user(session, user_id)
    user = await service.reset_password(session, user, body.password)
    return _logins_ended(request, session, user)


@router.put("/users/{user_id}/scope", response_model=UserPublic)
async def set_scope(
    user_id: uuid.UUID, body: Scope, _: CityHr, request: Request, session: SessionDep
) -> User:
    """Change a user's role and scope; their log-ins end so the change applies at once."""
    user = await service.set_scope(session, await service.get_user(session, user_id), body)
    return _logins_ended(request, session, user)


def _logins_ended(request: Request, session: AsyncSession, user: User) -> User:
    """Every replica drops the user's cached log-ins once the change commits."""
    auth: Authenticator = request.app.state.auth
    auth.revoke_after_commit(session, sub=service.user_principal(user).sub)
    return user


def _partner_public(client: PartnerClient) -> PartnerPublic:
    return PartnerPublic.model_validate(client, from_attributes=True)


@router.get("/partners", response_model=PartnersPublic)
async def list_partners(
    _: CityHr, session: SessionDep, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT
) -> PartnersPublic:
    rows, next_cursor = await paginate(
        session,
        select(PartnerClient),
        order_by=[col(PartnerClient.name)],
        cursor=cursor,
        limit=limit,
    )
    return PartnersPublic(data=[_partner_public(r) for r in rows], next_cursor=next_cursor)


@router.post("/partners", response_model=PartnerPublic, status_code=status.HTTP_201_CREATED)
async def create_partner(body: PartnerCreate, caller: CityHr, session: SessionDep) -> PartnerPublic:
    """Register a partner client (such as the recruitment site) with its scopes."""
    return _partner_public(await service.create_partner(session, body, caller.principal.sub))


@router.get("/partners/{client_id}", response_model=PartnerPublic)
async def get_partner(client_id: uuid.UUID, _: CityHr, session: SessionDep) -> PartnerPublic:
    return _partner_public(await service.get_partner(session, client_id))


@router.get("/partners/{client_id}/keys", response_model=KeysPublic)
async def list_keys(client_id: uuid.UUID, _: CityHr, session: SessionDep) -> KeysPublic:
    """The client's keys by prefix; never the keys themselves."""
    client = await service.get_partner(session, client_id)
    rows = (
        await session.execute(
            select(ApiKey)
            .where(col(ApiKey.client_id) == client.id)
            .order_by(col(ApiKey.created_at))
        )
    ).scalars()
    return KeysPublic(data=[KeyPublic.model_validate(r, from_attributes=True) for r in rows])


@router.post(
    "/partners/{client_id}/keys", response_model=KeyCreated, status_code=status.HTTP_201_CREATED
)
async def create_key(
    client_id: uuid.UUID, body: KeyCreate, _: CityHr, session: SessionDep
) -> KeyCreated:
    """A new key for the client, shown in this answer only."""
    client = await service.get_partner(session, client_id)
    api_key, row = await service.issue_key(session, client, body)
    return KeyCreated(
        **KeyPublic.model_validate(row, from_attributes=True).model_dump(), api_key=api_key
    )


@router.delete("/partners/{client_id}/keys/{key_id}", response_model=KeyPublic)
async def revoke_key(
    client_id: uuid.UUID, key_id: uuid.UUID, _: CityHr, request: Request, session: SessionDep
) -> ApiKey:
    """Revoke a key; calls with it fail from now on."""
    client = await service.get_partner(session, client_id)
    key = await service.revoke_key(session, client, key_id)
    request.app.state.auth.revoke_after_commit(session, ref=key.id)
    return key
