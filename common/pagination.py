"""Cursor (keyset) pagination: stable under inserts, cheap at any depth."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import Select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, QueryableAttribute
from sqlalchemy.sql.elements import ColumnElement

from common.errors import InvalidInput

T = TypeVar("T")
#: A column to order a page by: a model attribute (`col(Model.field)`) or a column expression.
OrderColumn = Mapped[Any] | ColumnElement[Any]
DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class Page(BaseModel, Generic[T]):
    """One page of a list, and the cursor of the next one (absent on the last page)."""

    data: list[T]
    next_cursor: str | None = None


def _encode(values: list[Any]) -> str:
    plain = [
        v.isoformat() if isinstance(v, date) else str(v) if isinstance(v, uuid.UUID) else v
        for v in values
    ]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


def _described(column: OrderColumn) -> QueryableAttribute[Any] | ColumnElement[Any]:
    """The column with its SQL type and key (`col()` types a model attribute as `Mapped`)."""
    assert isinstance(column, QueryableAttribute | ColumnElement)
    return column


def _decode(cursor: str, columns: Sequence[OrderColumn]) -> list[Any]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(raw, list) or len(raw) != len(columns):
            raise ValueError("shape")
        values: list[Any] = []
        for column, value in zip(columns, raw, strict=True):
            python_type = _described(column).type.python_type
            if python_type is datetime:
                values.append(datetime.fromisoformat(value))
            elif python_type is date:
                values.append(date.fromisoformat(value))
            elif python_type is uuid.UUID:
                values.append(uuid.UUID(value))
            else:
                values.append(python_type(value))
        return values
    except (ValueError, TypeError, NotImplementedError) as error:
        raise InvalidInput.field("query.cursor", "the cursor is not valid") from error


async def paginate(
    session: AsyncSession,
    stmt: Select[Any],
    *,
    order_by: Sequence[OrderColumn],
    cursor: str | None,
    limit: int = DEFAULT_LIMIT,
) -> tuple[list[Any], str | None]:
    """Rows after `cursor` in `order_by` order (last column unique), and the next cursor."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput.field("query.limit", f"limit must be between 1 and {MAX_LIMIT}")
    if cursor:
        stmt = stmt.where(tuple_(*order_by) > tuple_(*_decode(cursor, order_by)))
    rows = list((await session.execute(stmt.order_by(*order_by).limit(limit + 1))).scalars())
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    return rows, _encode([getattr(last, str(_described(column).key)) for column in order_by])


async def paged(
    session: AsyncSession,
    stmt: Select[Any],
    *,
    order_by: Sequence[OrderColumn],
    cursor: str | None,
    limit: int = DEFAULT_LIMIT,
    shape: Callable[[Any], T],
) -> Page[T]:
    """One page of `stmt` (see `paginate`), each row shaped for the response by `shape`."""
    rows, next_cursor = await paginate(session, stmt, order_by=order_by, cursor=cursor, limit=limit)
    return Page[T](data=[shape(row) for row in rows], next_cursor=next_cursor)
