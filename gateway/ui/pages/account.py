"""Log-in, log-out, the language switch, and each role's home page."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gateway.ui.client import ApiProblem, own_api
from gateway.ui.i18n import LANGUAGE_COOKIE, LANGUAGES
from gateway.ui.render import render, translator
from gateway.ui.session import HR_DESK, Page, language, signed_in

router = APIRouter()
LOGIN_CSRF_COOKIE = "tp_login_csrf"
HOME = {"school_admin": "/school", "teacher": "/teacher"}


def safe_next(url: str | None) -> str:
    """Only a path on this site, never another host (an open redirect)."""
    if not url or not url.startswith("/") or url.startswith("//") or urlsplit(url).netloc:
        return "/"
    return url


@router.get("/")
async def home(page: Annotated[Page, Depends(signed_in)]) -> Response:
    return RedirectResponse(HOME.get(page.role, "/dashboard"), status_code=303)


def _login_page(
    request: Request, *, status: int = 200, error: str = "", username: str = ""
) -> HTMLResponse:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    body = render(
        "login.html",
        language(request),
        csrf=token,
        error=error,
        username=username,
        next=safe_next(request.query_params.get("next")),
        full_path=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
    )
    response = HTMLResponse(body, status_code=status, headers={"cache-control": "no-store"})
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        path="/login",
        secure=request.app.state.settings.https,
    )
    return response


@router.get("/login")
async def login_form(request: Request) -> Response:
    return _login_page(request)


@router.post("/login")
async def log_in(
    request: Request,
    username: Annotated[str, Form(max_length=80)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    """Log in through the gateway's own session endpoint, then go where the user was going."""
    _ = translator(language(request))
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected.encode(), csrf_token.encode()):
        return _login_page(
            request,
            status=403,
            error=_("The form had expired. Please try again."),
            username=username,
        )
    if not username or not password:
        return _login_page(
            request, status=422, error=_("Enter your user name and password."), username=username
        )
    try:
        answer = await own_api(
            request, "POST", "/api/auth/v1/session", {"username": username, "password": password}
        )
    except ApiProblem as problem:
        message = {
            423: _("The account is locked for a while after too many failed attempts."),
            429: _("Too many attempts. Please wait a minute."),
        }.get(problem.status, _("The user name or password is wrong."))
        return _login_page(request, status=problem.status, error=message, username=username)
    response = RedirectResponse(safe_next(next), status_code=303)
    for name, value in answer.cookies.items():
        response.set_cookie(
            name,
            value,
            httponly=True,
            samesite="lax",
            path="/",
            max_age=request.app.state.settings.session_ttl_seconds,
            secure=request.app.state.settings.https,
        )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
async def log_out(page: Annotated[Page, Depends(signed_in)]) -> Response:
    await page.api.own("DELETE", "/api/auth/v1/session")
    response = RedirectResponse("/login", status_code=303)
    settings = page.request.app.state.settings
    response.delete_cookie(settings.session_cookie_name, path="/", secure=settings.https)
    return response


@router.get("/lang/{code}")
async def switch_language(code: str, request: Request) -> Response:
    """Remember the language for a year and go back to the page."""
    response = RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    if code in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE, code, max_age=365 * 24 * 3600, samesite="lax", path="/"
        )
    return response


@router.get("/ui/me")
async def who_am_i(page: Annotated[Page, Depends(signed_in)]) -> dict[str, object]:
    """The signed-in user, for the page's scripts: identity, home and CSRF token."""
    return {
        **page.user.model_dump(mode="json"),
        "home": HOME.get(page.role, "/dashboard"),
        "hr": page.role in HR_DESK,
        "csrf_token": page.caller.csrf_token,
    }
