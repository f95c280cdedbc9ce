"""Domain errors and their one mapping to RFC 9457 problem+json."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


class DomainError(Exception):
    """An error a caller can act on; subclasses fix the status and the problem type."""

    status: int = 400
    slug: str = "bad-request"
    title: str = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.extra = extra or {}
        self.headers = headers or {}


class InvalidInput(DomainError):
    status, slug, title = 422, "invalid-input", "The input is not valid"

    @classmethod
    def field(cls, field: str, message: str, **extra: Any) -> InvalidInput:
        return cls(message, errors=[{"field": field, "message": message}], extra=extra)

    @classmethod
    def coded(cls, field: str, message: str, code: str, **values: Any) -> InvalidInput:
        """A field at fault with a code of the service's own and the values its message names,
        as members of the field's entry, so a client words it in its own language."""
        entry = {"field": field, "message": message, "code": code, **values}
        return cls(message, errors=[entry])


class Unauthorized(DomainError):
    status, slug, title = 401, "unauthorized", "Authentication required"

    def __init__(self, detail: str = "a valid bearer token is required", **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": 'Bearer realm="teacherpool"'})
        super().__init__(detail, **kwargs)


class Forbidden(DomainError):
    status, slug, title = 403, "forbidden", "Not allowed"


class NotFound(DomainError):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(DomainError):
    status, slug, title = 409, "conflict", "Conflict with the current state"


class RateLimited(DomainError):
    """Too many requests from one caller; the answer says when to retry (Retry-After)."""

    status, slug, title = 429, "rate-limited", "Too many requests"


class IllegalTransition(Conflict):
    """The step does not apply in the current state (deciding an application already decided).

    `state` is the current state and `state_of` what is in it (`lesson`, `offer`…), so a client
    can name both in its own words."""

    slug, title = "illegal-transition", "Not possible in the current state"

    def __init__(
        self, detail: str, *, state: str | None = None, state_of: str | None = None
    ) -> None:
        extra = {"state": state, "state_of": state_of}
        super().__init__(detail, extra={k: v for k, v in extra.items() if v is not None})


class AlreadyTaken(Conflict):
    """A name, code or key that must be unique is in use; names the field."""

    slug, title = "already-taken", "Already taken"

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail, errors=[{"field": field, "message": "already taken"}])


class ServiceUnavailable(DomainError):
    status, slug, title = 503, "unavailable", "Service unavailable"


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    slug: str,
    instance: str,
    errors: list[dict[str, Any]] | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"/problems/{slug}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    if errors:
        body["errors"] = errors
    if extra:
        body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def problem_for(error: DomainError, instance: str) -> JSONResponse:
    """The problem+json answer for a domain error."""
    return problem(
        error.status,
        error.title,
        error.detail,
        slug=error.slug,
        instance=instance,
        errors=error.errors,
        extra=error.extra,
        headers=error.headers,
    )


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc)


def install_problem_handlers(app: FastAPI) -> None:
    """Every error leaves the service as problem+json, and none carries a stack trace."""

    @app.exception_handler(DomainError)
    async def _domain(request: Request, error: DomainError) -> JSONResponse:
        return problem_for(error, request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, error: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": _field_path(e["loc"]), "message": e["msg"], "code": e["type"]}
            for e in error.errors()
        ]
        first = errors[0]["field"] if errors else "request"
        return problem(
            422,
            InvalidInput.title,
            f"{len(errors)} field(s) are not valid, first: {first}",
            slug=InvalidInput.slug,
            instance=request.url.path,
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        slug = {404: "not-found", 405: "method-not-allowed", 401: "unauthorized"}.get(
            error.status_code, "http-error"
        )
        return problem(
            error.status_code,
            str(error.detail) if error.status_code < 500 else "Server error",
            str(error.detail),
            slug=slug,
            instance=request.url.path,
            headers=getattr(error, "headers", None),
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(
            500,
            "Server error",
            "an unexpected error occurred; quote the request id when reporting it",
            slug="server-error",
            instance=request.url.path,
            extra={"request_id": request.scope.get("state", {}).get("request_id")},
        )
