"""FastAPI dependencies shared by every service: the request's session and the caller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.db import Database
from common.errors import Unauthorized
from common.pagination import DEFAULT_LIMIT, MAX_LIMIT

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: committed when the endpoint returns, rolled back on error."""
    db: Database = request.app.state.db
    async with db.session(read_only=request.method in READ_METHODS) as session:
        yield session


async def get_principal(request: Request) -> Principal:
    """The caller, from the gateway-signed bearer token; 401 without a valid one.

    Async although it awaits nothing: FastAPI runs a plain function dependency in a worker
    thread, a thread hop per request for a check that takes microseconds."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized()
    principal = request.app.state.verifier.verify(token.strip())
    request.state.principal = principal
    return principal


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
Cursor = Annotated[str | None, Query(description="the next_cursor of the previous page")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
__all__ = [
    "DEFAULT_LIMIT",
    "CurrentPrincipal",
    "Cursor",
    "Limit",
    "SessionDep",
]
