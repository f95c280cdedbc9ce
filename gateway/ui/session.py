"""Who is using the UI: the session cookie, the form's CSRF token and the chosen language."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.datastructures import FormData

from common.auth import ACCOUNT_ADMIN_ROLES, AUDIT_ROLES, AUDITOR_ROLES, HR_ROLES, Principal
from common.errors import Unauthorized
from gateway.auth.callers import CSRF_HEADER, SAFE_METHODS, Caller
from gateway.deps import current_caller
from gateway.policy import Policy
from gateway.ui.client import Api, ApiProblem
from gateway.ui.forms import FormErrors
from gateway.ui.i18n import LANGUAGE_COOKIE, N_, language_of
from gateway.ui.labels import label, options
from gateway.ui.render import environment, render, translator

log = logging.getLogger(__name__)
CSRF_FIELD = "csrf_token"
FLASH_COOKIE = "tp_error"
HR_DESK = HR_ROLES | AUDITOR_ROLES
"""Who uses the HR pages: HR, and the auditor who reads them. What a page lets them do, the
policy table says (`Page.may`)."""

# The role sets the templates test (the menu, the audit links), from common.auth.
environment.globals["roles"] = {
    "hr_desk": HR_DESK,
    "audit": AUDIT_ROLES,
    "account_admin": ACCOUNT_ADMIN_ROLES,
}


#: What a page says after a change went through (Post/Redirect/Get with `?done=`).
DONE = {
    "applied": N_("The application was sent to the staffing commission."),
    "decided": N_("The decision was recorded."),
    "referred": N_("The application was passed on to the city pool."),
    "opened": N_("The district pool is open."),
    "projected": N_("The enrolment forecast was projected and stored."),
    "school_opened": N_("The school was opened with its staffing plan."),
    "school_merged": N_("The school was merged; its posts and staff moved."),
    "school_closed": N_("The school was closed; its staff moved and its posts returned."),
    "deposited": N_("The posts were deposited into the pool."),
    "repaid": N_("The repayment was recorded."),
    "requested": N_("The request was sent."),
    "offered": N_("The offer was sent."),
    "consented": N_("You consented; the teacher has been asked."),
    "refused": N_("You refused the offer."),
    "accepted": N_("You accepted the offer."),
    "declined": N_("You declined the offer."),
    "given": N_("The lesson was marked as given."),
    "confirmed": N_("The lesson was confirmed."),
    "imported": N_("The spreadsheet was imported."),
    "saved": N_("Saved."),
    "redelivered": N_("The delivery is queued to be sent again now."),
    "cancelled": N_("The request was cancelled."),
    "approved": N_("The request was approved."),
    "moved": N_("The application was moved."),
    "reopened": N_("The posting was reopened; staffing is asked for its posts."),
    "read": N_("Marked as read."),
    "all_read": N_("All notifications are marked as read."),
    "created": N_("The user was created."),
    "disabled": N_("The user was disabled."),
    "enabled": N_("The user was enabled again."),
    "password": N_("The password was reset; the user's log-ins ended."),
    "proposed": N_("The proposal is ready to review."),
    "partner": N_("The partner client was registered."),
    "library_applied": N_("Your application was sent to your school for consent."),
    "library_consented": N_("You consented; district HR reviews the application next."),
    "library_returned": N_("The application was returned with your reason."),
    "library_approved": N_("The teacher is listed in the sharing library."),
    "evaluated": N_("The evaluation was sent; the teacher and the home school can read it."),
    "replayed": N_("The service applied the event and took it off the list."),
    "ended": N_("The assignment was ended; its later lessons are cancelled."),
    "issued": N_("The settlements of the month were issued."),
    "rate_added": N_("The rate was added."),
    "posting_created": N_("The posting was created as a draft."),
    "posting_opened": N_("The posting was opened; staffing is asked for its posts."),
    "posting_closed": N_("The posting was closed."),
    "departed": N_("The departure was recorded; the post is freed."),
    "transferred": N_("The person was transferred; the post moved with them."),
    "hired": N_("The person was hired into a vacant post."),
    "adjusted": N_("The adjustment of approved posts was recorded."),
    "move_proposed": N_("The move was proposed; the other side is asked to answer."),
    "move_accepted": N_("The lesson was moved."),
    "move_declined": N_("The move was declined; the lesson stays where it was."),
    "move_withdrawn": N_("The move was withdrawn."),
    "erased": N_("The candidate's personal information was erased; the statistics stay."),
    "merged": N_("The duplicate was merged into this candidate and erased."),
}


class LoginRequired(Exception):
    """The browser has no live session: send it to the log-in page, then back."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class NotForYou(Exception):
    """The page is not for the user's role."""


def language(request: Request) -> str:
    return language_of(request.cookies.get(LANGUAGE_COOKIE))


@dataclass
class Page:
    """One request of a signed-in user: their identity, API access, language and form."""

    request: Request
    caller: Caller
    form: FormData | None = None
    lang: str = "zh_CN"
    #: Unread notifications for the header's badge; None when not known (a form's POST).
    unread: int | None = None
    api: Api = field(init=False)

    def __post_init__(self) -> None:
        self.api = Api(self.request, self.caller)
        self._ = translator(self.lang)
        #: The same function, for messages held in variables (kept apart from extraction).
        self.translate = self._

    def label(self, group: str, code: object) -> str:
        return label(group, code, self.translate, self.lang)

    def options(self, group: str) -> list[tuple[str, str]]:
        """A select's choices: each code of `group` with its name in the page's language."""
        return options(group, self.translate, self.lang)

    @property
    def user(self) -> Principal:
        return self.caller.principal

    @property
    def role(self) -> str:
        return self.user.role

    def value(self, name: str, default: str = "") -> str:
        if self.form is None:
            return default
        found = self.form.get(name)
        return found.strip() if isinstance(found, str) else default

    def values(self, name: str) -> list[str]:
        if self.form is None:
            return []
        return [v for v in self.form.getlist(name) if isinstance(v, str)]

    def _flash(self) -> FormErrors | None:
        raw = self.request.cookies.get(FLASH_COOKIE)
        if not raw:
            return None
        try:
            found = json.loads(unquote(raw))
            return FormErrors(summary=str(found["summary"]), detail=str(found.get("detail", "")))
        except (ValueError, KeyError, TypeError):
            return None

    def require(self, roles: frozenset[str] | set[str]) -> None:
        """Refuse the page to a role it is not for."""
        if self.role not in roles:
            raise NotForYou(self.role)

    def may(self, service: str, method: str, template: str) -> bool:
        """Whether the policy table lets this user's role use an API route."""
        policy: Policy = self.request.app.state.policy
        return policy.allows(self.role, service, method, template)

    def require_api(self, service: str, method: str, template: str) -> None:
        """Refuse an action whose API route the policy table closes to this user's role."""
        if not self.may(service, method, template):
            raise NotForYou(self.role)

    def html(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        body = render(
            template,
            self.lang,
            user=self.user,
            role=self.role,
            csrf=self.caller.csrf_token or "",
            path=self.request.url.path,
            full_path=str(self.request.url.path)
            + (f"?{self.request.url.query}" if self.request.url.query else ""),
            notice=self.translate(DONE[done])
            if (done := self.request.query_params.get("done")) in DONE
            else "",
            form=self.form,
            unread=self.unread,
            flash=self._flash(),
            value=self.value,
            may=self.may,
            **context,
        )
        response = HTMLResponse(body, status_code=status, headers={"cache-control": "no-store"})
        if FLASH_COOKIE in self.request.cookies:
            response.delete_cookie(FLASH_COOKIE, path="/")
        return response

    def redirect_with_error(self, url: str, errors: FormErrors) -> RedirectResponse:
        """Back to a list page, which shows the error once (an action's form was on the list)."""
        response = self.redirect(url)
        flash = json.dumps({"summary": errors.summary, "detail": errors.detail}, ensure_ascii=True)
        response.set_cookie(FLASH_COOKIE, quote(flash), max_age=60, httponly=True, path="/")
        return response

    def redirect(self, url: str, done: str | None = None) -> RedirectResponse:
        if done:
            url += ("&" if "?" in url else "?") + f"done={quote(done)}"
        return RedirectResponse(url, status_code=303)


async def signed_in(request: Request) -> Page:
    """The page's user; a form's CSRF token is checked like the API's X-CSRF-Token header."""
    form = None
    if request.method not in SAFE_METHODS:
        form = await request.form()
        token = form.get(CSRF_FIELD)
        request.scope["headers"] = [
            *[(k, v) for k, v in request.scope["headers"] if k != CSRF_HEADER.encode()],
            (CSRF_HEADER.encode(), (token if isinstance(token, str) else "").encode()),
        ]
        # Starlette caches parsed headers on the request: let it read them again.
        request.__dict__.pop("_headers", None)
    try:
        caller = await current_caller(request)
    except Unauthorized:
        target = request.url.path if request.method in SAFE_METHODS else "/"
        if request.method in SAFE_METHODS and request.url.query:
            target += f"?{request.url.query}"
        raise LoginRequired(target) from None
    if caller.via != "cookie":
        raise LoginRequired("/")
    page = Page(request, caller, form=form, lang=language(request))
    if request.method in SAFE_METHODS:
        page.unread = await unread_count(page)
    return page


async def unread_count(page: Page) -> int | None:
    """The badge's number from the notifications API; a page still shows when it fails."""
    try:
        found = await page.api.own("GET", "/api/notifications/v1/unread-count")
    except ApiProblem as problem:
        log.info("UI could not read the unread count: %s", problem.status)
        return None
    return int(found["unread"])
