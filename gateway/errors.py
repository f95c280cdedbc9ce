"""Errors only the gateway raises; they map to problem+json like every DomainError."""

from __future__ import annotations

from common.errors import DomainError, RateLimited

__all__ = ["RateLimited"]


class AccountLocked(DomainError):
    status, slug, title = 423, "account-locked", "The account is locked"


class RouteForbidden(DomainError):
    status, slug, title = 403, "route-forbidden", "Not allowed for your role"


class CsrfFailed(DomainError):
    status, slug, title = 403, "csrf-failed", "The CSRF token is missing or wrong"


class BodyTooLarge(DomainError):
    status, slug, title = 413, "body-too-large", "The request body is too large"
