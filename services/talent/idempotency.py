"""`Idempotency-Key` on POSTs: a retry with the same key and body gets the first response."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy import CTE, Executable, Select, bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from common.auth import Principal
from common.db import insert_for, table_of, utcnow
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
        guess: Guess | None = None,
    ) -> Response:
        """Do `operation` once per key: its response is stored in the same transaction.

        The key is claimed first with an insert that skips a row already there: a concurrent
        request with the same key waits on it for the first to finish (PostgreSQL) or never
        runs beside it (SQLite writers queue), then finds the stored answer and replays it.

        With a `guess`, the claim stores the guessed answer and makes the guessed writes in
        the same statement; when the key was new but the guess did not hold, `operation` runs
        and its answer replaces the guessed one before the transaction commits."""
        if self.key is None:
            outcome = await operation()
            return _respond(outcome, outcome.body.model_dump_json())
        owner = principal.sub
        if guess is not None:
            body = guess.outcome.body.model_dump_json()
            claim = _claim_values(owner, self.key, self.fingerprint, guess.outcome, body)
            claimed, held = (await session.execute(guess.statement, guess.params | claim)).one()
            if claimed and held:
                return _respond(guess.outcome, body)
            if claimed:
                return await self._answer(session, owner, operation)
        elif await _claim(session, owner, self.key, self.fingerprint):
            return await self._answer(session, owner, operation)
        stored = await _find(session, owner, self.key)
        if stored is None:
            raise AssertionError("an idempotency key was neither claimed nor found")
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

    async def _answer(
        self, session: AsyncSession, owner: str, operation: Callable[[], Awaitable[Outcome]]
    ) -> Response:
        """Run `operation` under the key this request claimed, and store its answer."""
        outcome = await operation()
        body = outcome.body.model_dump_json()
        connection = await session.connection()
        await connection.execute(
            _ANSWERING,
            {
                "claim_owner": owner,
                "claim_key": self.key,
                "status_code": outcome.status_code,
                "body": body,
                "resource_id": outcome.resource_id,
            },
        )
        return _respond(outcome, body)


@dataclass(frozen=True, slots=True)
class Guess:
    """An operation's likely answer and the writes that make it so, for PostgreSQL to do with
    the key's claim in one statement.

    `statement` is `claimed_and(writes)`: its writes select from `CLAIM`, so they happen only
    when the key is new. Whether they happened is the guess holding; `params` are theirs."""

    outcome: Outcome
    statement: Executable
    params: dict[str, Any]


async def forget_resource(session: AsyncSession, resource_id: uuid.UUID) -> None:
    """Drop stored responses about a resource (they may carry what erasure must remove)."""
    await session.execute(
        delete(IdempotencyRecord).where(col(IdempotencyRecord.resource_id) == resource_id)
    )


async def _claim(session: AsyncSession, owner: str, key: str, fingerprint: str) -> bool:
    """Insert the key's row unless it is there; whether this request inserted it."""
    connection = await session.connection()
    result = await connection.execute(
        _claiming(connection.dialect.name),
        {
            "owner": owner,
            "key": key,
            "request_hash": fingerprint,
            "status_code": 0,
            "body": "",
            "created_at": utcnow(),
        },
    )
    return result.first() is not None


# The statements of every request with a key, built once (building one costs more than sending).
_TABLE = table_of(IdempotencyRecord)
_ANSWERING = update(_TABLE).where(
    _TABLE.c.owner == bindparam("claim_owner"), _TABLE.c.key == bindparam("claim_key")
)


#: PostgreSQL: the claim as a CTE of a larger statement, storing the answer given with it.
CLAIM = (
    pg_insert(_TABLE)
    .values(
        {column.name: bindparam(f"claim_{column.name}", type_=column.type) for column in _TABLE.c}
    )
    .on_conflict_do_nothing(index_elements=["owner", "key"])
    .returning(_TABLE.c.key)
    .cte("claim")
)


def claimed_and(writes: Sequence[CTE], held: CTE) -> Select[tuple[int, int]]:
    """A statement making the claim and `writes` (which select from `CLAIM`); it returns whether
    the key was claimed and the rows `held` (one of the writes) returned."""
    count = func.count()
    return select(
        select(count).select_from(CLAIM).scalar_subquery(),
        select(count).select_from(held).scalar_subquery(),
    ).add_cte(*writes)


def _claim_values(
    owner: str, key: str, fingerprint: str, outcome: Outcome, body: str
) -> dict[str, Any]:
    return {
        "claim_owner": owner,
        "claim_key": key,
        "claim_request_hash": fingerprint,
        "claim_status_code": outcome.status_code,
        "claim_body": body,
        "claim_resource_id": outcome.resource_id,
        "claim_created_at": utcnow(),
    }


@cache
def _claiming(dialect: str) -> Executable:
    return (
        insert_for(dialect)(_TABLE)
        .on_conflict_do_nothing(index_elements=["owner", "key"])
        .returning(_TABLE.c.key)
    )


async def _find(session: AsyncSession, owner: str, key: str) -> IdempotencyRecord | None:
    stmt = (
        select(IdempotencyRecord)
        .where(col(IdempotencyRecord.owner) == owner, col(IdempotencyRecord.key) == key)
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


def _respond(outcome: Outcome, body: str) -> Response:
    return Response(body, status_code=outcome.status_code, media_type="application/json")


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
