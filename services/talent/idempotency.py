"""`Idempotency-Key` on POSTs: a retry with the same key and body gets the first response."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from common.auth import Principal
from common.errors import InvalidInput
from services.talent.models import IdempotencyRecord

MAX_KEY_LENGTH = 200


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an operation answered: the status, the body, and the resource it concerns."""

    status_code: int
    body: BaseModel
    resource_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class Idempotency:
    """The key of this request (if any) and a fingerprint of what was asked."""

    key: str | None
    fingerprint: str

    async def run(
        self,
        session: AsyncSession,
        principal: Principal,
        operation: Callable[[], Awaitable[Outcome]],
    ) -> JSONResponse:
        """Do `operation` once per key: its response is stored in the same transaction."""
        if self.key is None:
            return _respond(await operation())
        owner = principal.sub
        stored = await _find(session, owner, self.key)
        if stored is None:
            claim = IdempotencyRecord(
                owner=owner, key=self.key, request_hash=self.fingerprint, status_code=0, body=""
            )
            try:
                # A concurrent request with the same key waits here for the first to finish
                # (PostgreSQL) or never runs beside it (SQLite writers queue), then replays.
                async with session.begin_nested():
                    session.add(claim)
                    await session.flush()
            except IntegrityError:
                stored = await _find(session, owner, self.key)
                if stored is None:
                    raise
            else:
                outcome = await operation()
                claim.status_code = outcome.status_code
                claim.body = outcome.body.model_dump_json()
                claim.resource_id = outcome.resource_id
                await session.flush()
                return _respond(outcome)
        if stored.request_hash != self.fingerprint:
            raise InvalidInput.field(
                "header.Idempotency-Key",
                "this key was used for a different request; use a new key for a new request",
            )
        return JSONResponse(
            json.loads(stored.body),
            status_code=stored.status_code,
            headers={"Idempotent-Replayed": "true"},
        )


async def forget_resource(session: AsyncSession, resource_id: uuid.UUID) -> None:
    """Drop stored responses about a resource (they may carry what erasure must remove)."""
    await session.execute(
        delete(IdempotencyRecord).where(col(IdempotencyRecord.resource_id) == resource_id)
    )


async def _find(session: AsyncSession, owner: str, key: str) -> IdempotencyRecord | None:
    stmt = (
        select(IdempotencyRecord)
        .where(col(IdempotencyRecord.owner) == owner, col(IdempotencyRecord.key) == key)
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


def _respond(outcome: Outcome) -> JSONResponse:
    return JSONResponse(outcome.body.model_dump(mode="json"), status_code=outcome.status_code)


async def get_idempotency(
    request: Request,
    idempotency_key: Annotated[str | None, Header(max_length=MAX_KEY_LENGTH)] = None,
) -> Idempotency:
    body = await request.body()
    try:
        canonical: Any = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"))
    except ValueError:
        canonical = body.decode(errors="replace")
    fingerprint = hashlib.sha256(
        f"{request.method} {request.url.path}\n{canonical}".encode()
    ).hexdigest()
    return Idempotency(
        key=idempotency_key.strip() if idempotency_key else None, fingerprint=fingerprint
    )


IdempotencyDep = Annotated[Idempotency, Depends(get_idempotency)]
