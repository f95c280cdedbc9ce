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
from sqlalchemy import (
    CTE,
    Executable,
    Select,
    bindparam,
    delete,
    exists,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from common.auth import Principal
from common.db import Database, insert_for, prefixed, sqlstate, table_of, utcnow, values_from
from common.errors import InvalidInput
from services.talent.models import IdempotencyRecord

MAX_KEY_LENGTH = 200
UNIQUE_VIOLATION = "23505"


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
    ) -> Response:
        """Do `operation` once per key: its response is stored in the same transaction.

        The key is claimed first with an insert that skips a row already there: a concurrent
        request with the same key waits on it for the first to finish (PostgreSQL) or never
        runs beside it (SQLite writers queue), then finds the stored answer and replays it."""
        if self.key is None:
            outcome = await operation()
            return _respond(outcome, outcome.body.model_dump_json())
        owner = principal.sub
        if await _claim(session, owner, self.key, self.fingerprint):
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

    async def at_once(
        self, db: Database, principal: Principal, guessing: Callable[[], Guess]
    ) -> Response | None:
        """PostgreSQL, with a key: make the guessed writes and store the guessed answer under
        the key as one statement, committed by itself; the answer, or None when there is no
        guessing here (SQLite, no key) or the guess did not hold (the key was known, or the
        writes found nothing to do) and `run` must do the work. `guessing` makes the guess.

        The writes are guarded to skip a key already claimed, and the claim is inserted from
        what they wrote. A request racing this one with the same key makes the claim meet the
        key's unique index: it waits for the other to commit, then fails, and with it the whole
        statement; nothing of it stays, and `run` then replays the stored answer or refuses."""
        if self.key is None or db.is_sqlite:
            return None
        guess = guessing()
        body = guess.outcome.body.model_dump_json()
        claim = _claim_values(principal.sub, self.key, self.fingerprint, guess.outcome, body)
        try:
            claimed = await db.execute_once(guess.statement, guess.params | claim)
        except IntegrityError as error:
            if sqlstate(error) != UNIQUE_VIOLATION:
                raise
            return None
        return _respond(guess.outcome, body) if claimed else None


@dataclass(frozen=True, slots=True)
class Guess:
    """An operation's likely answer and the writes that make it so, for `Idempotency.at_once`.

    `statement` is `claimed_after(writes)`: the first write is guarded by `UNCLAIMED`, each
    next one selects from the one before; `params` are theirs."""

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


#: For the first write of a `Guess`: the caller has not used the key yet.
UNCLAIMED = ~exists().where(
    _TABLE.c.owner == bindparam("claim_owner"), _TABLE.c.key == bindparam("claim_key")
)


def claimed_after(writes: Sequence[CTE]) -> Select[Any]:
    """PostgreSQL: `writes`, then the key's claim inserted from the last one's row, as one
    statement returning whether the claim went in. The claim has no `ON CONFLICT`: if the key
    is claimed by then, the statement fails as a whole. Parameters: `claim_<column>`."""
    names = [column.name for column in _TABLE.c]
    claim = (
        insert(_TABLE)
        .from_select(names, values_from(writes[-1], _TABLE, "claim", names))
        .returning(_TABLE.c.key)
        .cte("claim")
    )
    return select(func.count()).select_from(claim).add_cte(*writes)


def _claim_values(
    owner: str, key: str, fingerprint: str, outcome: Outcome, body: str
) -> dict[str, Any]:
    """The parameters of `claimed_after`'s claim: the key's row with its answer."""
    return prefixed(
        "claim",
        {
            "owner": owner,
            "key": key,
            "request_hash": fingerprint,
            "status_code": outcome.status_code,
            "body": body,
            "resource_id": outcome.resource_id,
            "created_at": utcnow(),
        },
    )


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
    # The path as the scope has it: `request.url` would build and parse a whole URL for it (2 %
    # of a partner's push), and a routed path here holds nothing a URL would escape.
    fingerprint = hashlib.sha256(
        f"{request.method} {request.scope['path']}\n{canonical}".encode()
    ).hexdigest()
    return Idempotency(
        key=idempotency_key.strip() if idempotency_key else None, fingerprint=fingerprint
    )


IdempotencyDep = Annotated[Idempotency, Depends(get_idempotency)]
