"""The UI's routes, its static files, and how it answers when a page cannot be shown."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from gateway.ui.client import ApiProblem
from gateway.ui.i18n import N_
from gateway.ui.pages import (
    account,
    admin,
    calendar,
    dashboard,
    evaluations,
    imports,
    inbox,
    library,
    lifecycle,
    moves,
    places,
    pool,
    profiles,
    rates,
    reconciliation,
    reports,
    school,
    sharing,
    staff,
    standards,
    talent,
    teacher,
    units,
)
from gateway.ui.render import render
from gateway.ui.session import LoginRequired, NotForYou, language

STATIC = Path(__file__).parent / "static"
STATIC_URL = "/ui/static"


def install(app: FastAPI) -> None:
    """Serve the UI at `/` and its static files at `/ui/static`."""
    router = APIRouter(include_in_schema=False)
    for module in (
        account,
        dashboard,
        units,
        standards,
        lifecycle,
        moves,
        places,
        pool,
        sharing,
        rates,
        profiles,
        staff,
        talent,
        imports,
        inbox,
        library,
        calendar,
        evaluations,
        admin,
        reconciliation,
        reports,
        school,
        teacher,
    ):
        router.include_router(module.router)
    app.include_router(router)
    app.mount(STATIC_URL, StaticFiles(directory=STATIC), name="ui-static")
    app.add_exception_handler(LoginRequired, _to_login)  # type: ignore[arg-type]  # Starlette types the handler's exception as Exception
    app.add_exception_handler(NotForYou, _not_for_you)  # type: ignore[arg-type]  # Starlette types the handler's exception as Exception
    app.add_exception_handler(ApiProblem, _problem_page)  # type: ignore[arg-type]  # Starlette types the handler's exception as Exception


async def _to_login(request: Request, error: LoginRequired) -> Response:
    return RedirectResponse(f"/login?next={quote(error.next_url)}", status_code=303)


async def _not_for_you(request: Request, error: NotForYou) -> Response:
    return _error_page(request, 403, N_("This page is not for your role."))


async def _problem_page(request: Request, error: ApiProblem) -> Response:
    message = {
        404: N_("It no longer exists, or it is not in your scope."),
        403: N_("Your role may not do this."),
    }.get(error.status, N_("A service refused the request."))
    return _error_page(request, error.status, message, detail=error.detail)


def _error_page(request: Request, status: int, message: str, detail: str = "") -> Response:
    body = render(
        "error.html",
        language(request),
        status=status,
        message=message,
        detail=detail,
        path=request.url.path,
        full_path=request.url.path,
    )
    return HTMLResponse(body, status_code=status)
