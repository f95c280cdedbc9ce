"""The talent pool (人才库): postings and their posts, masked candidates, the pipeline board,
partner clients with their keys, and the webhook delivery log."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends

from common.auth import ACCOUNT_ADMIN_ROLES, PERSONNEL_ROLES
from gateway.ui.client import ApiProblem
from gateway.ui.forms import FormErrors, explain, invalid
from gateway.ui.labels import SUBJECTS
from gateway.ui.pages.pool import school_options, unit_names
from gateway.ui.pages.units import district_options
from gateway.ui.session import HR_DESK, Page, signed_in

router = APIRouter()
PIPELINE = ("applied", "screened", "exam", "interview", "assessment", "offered", "hired")
EXITS = ("rejected", "withdrawn")
#: Columns of the board in order: the hire waits for staffing (hiring) or failed (hire_failed).
BOARD = (*PIPELINE[:-1], "hiring", "hire_failed", "hired", *EXITS)
#: Moves that end an application or hire someone: the UI asks before making them.
FINAL = frozenset({"hired", *EXITS})
#: Roles the talent service lets see a candidate's personal fields whole.
PARTNER_SCOPES = (
    "postings:read",
    "candidates:write",
    "applications:write",
    "applications:read",
    "webhooks:manage",
)
#: The talent tiers (人才层次) a posting may ask for, as the talent service lists them.
TALENT_TIERS = ("A", "B", "C", "D", "E")


def legal_moves(status: str) -> tuple[str, ...]:
    """The statuses an application may move to next: one step on, or out."""
    if status in (*EXITS, "hired", "onboarded", "hiring"):
        return ()
    if status == "hire_failed":
        return ("hired", *EXITS)  # retry once the cause is fixed
    return (PIPELINE[PIPELINE.index(status) + 1], *EXITS)


async def unblocking_applications(page: Page, posting: dict[str, Any]) -> list[dict[str, Any]]:
    """The unit's pool applications that would give a blocked posting its posts: pending
    ones first, then those granted (which make reopening worth it)."""
    if posting["status"] != "blocked":
        return []
    found = await page.api.get_or_none(
        "staffing",
        "/v1/pool-applications",
        unit_id=posting["unit_id"],
        quota_type=posting["quota_type"],
        limit=50,
    )
    rows = [a for a in (found or {"data": []})["data"] if a["status"] != "rejected"]
    return sorted(rows, key=lambda a: (a["status"] != "pending", a.get("created_at", "")))


@router.get("/talent")
async def postings(
    page: Annotated[Page, Depends(signed_in)], status: str = "", cursor: str = ""
) -> Any:
    page.require(HR_DESK)
    found = await page.api.get(
        "talent", "/v1/postings", status=status or None, cursor=cursor, limit=100
    )
    names = await unit_names(page, {p["unit_id"] for p in found["data"]})
    return page.html(
        "talent_postings.html",
        postings=found["data"],
        next_cursor=found.get("next_cursor"),
        names=names,
        status_filter=status,
        statuses=page.options("posting_status"),
    )


async def posting_view(
    page: Page, posting_id: str, errors: FormErrors | None = None, code: int = 200
) -> Any:
    posting, applications = await asyncio.gather(
        page.api.get("talent", f"/v1/postings/{posting_id}"),
        page.api.get_all("talent", "/v1/applications", posting_id=posting_id, cap=1000),
    )
    people = await asyncio.gather(
        *(
            page.api.get_or_none("talent", f"/v1/candidates/{a['candidate_id']}")
            for a in applications
        )
    )
    board: dict[str, list[dict[str, Any]]] = {s: [] for s in BOARD}
    for application in applications:
        board.setdefault(application["status"], []).append(application)
    names = await unit_names(page, {posting["unit_id"]})
    unblocking = await unblocking_applications(page, posting)
    return page.html(
        "talent_posting.html",
        status=code,
        posting=posting,
        board=board,
        candidates={c["id"]: c for c in people if c},
        moves=legal_moves,
        final=FINAL,
        may_move=page.may("talent", "POST", "/v1/applications/{application_id}/transitions"),
        may_reopen=reopenable(posting)
        and page.may("talent", "POST", "/v1/postings/{posting_id}/reopen"),
        may_edit=posting["status"] == "draft"
        and page.may("talent", "PATCH", "/v1/postings/{posting_id}"),
        may_open=posting["status"] == "draft"
        and page.may("talent", "POST", "/v1/postings/{posting_id}/open"),
        may_close=posting["status"] != "closed"
        and page.may("talent", "POST", "/v1/postings/{posting_id}/close"),
        unblocking=unblocking,
        names=names,
        errors=errors,
    )


def reopenable(posting: dict[str, Any]) -> bool:
    """Blocked, or a control posting opened before staffing held control numbers."""
    legacy = posting["status"] == "open" and posting["reservation"] == "not_needed"
    return bool(posting["status"] == "blocked" or legacy)


@router.post("/talent/postings/{posting_id}/reopen")
async def reopen_posting(posting_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    """Ask staffing again for the posting's posts, once a loan or an adjustment made them."""
    page.require_api("talent", "POST", "/v1/postings/{posting_id}/reopen")
    try:
        await page.api.post("talent", f"/v1/postings/{posting_id}/reopen", {})
    except ApiProblem as problem:
        return await posting_view(page, posting_id, explain(problem, page._), problem.status)
    return page.redirect(f"/talent/postings/{posting_id}", done="reopened")


@router.post("/talent/postings/{posting_id}/open")
async def open_posting(posting_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    """Open a draft: staffing is asked to hold its posts, then it takes applications."""
    page.require_api("talent", "POST", "/v1/postings/{posting_id}/open")
    try:
        await page.api.post("talent", f"/v1/postings/{posting_id}/open")
    except ApiProblem as problem:
        return await posting_view(page, posting_id, explain(problem, page._), problem.status)
    return page.redirect(f"/talent/postings/{posting_id}", done="posting_opened")


@router.post("/talent/postings/{posting_id}/close")
async def close_posting(posting_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    """Close a posting, with a reason; the posts staffing held for it are released."""
    page.require_api("talent", "POST", "/v1/postings/{posting_id}/close")
    body = {"reason": page.value("reason") or "closed"}
    try:
        await page.api.post("talent", f"/v1/postings/{posting_id}/close", body)
    except ApiProblem as problem:
        return await posting_view(page, posting_id, explain(problem, page._), problem.status)
    return page.redirect(f"/talent/postings/{posting_id}", done="posting_closed")


def posting_fields(page: Page) -> tuple[dict[str, Any], FormErrors | None]:
    """The posting form as the service's body; an empty optional field clears it."""
    count = page.value("count")
    if not count.isdigit():
        return {}, invalid(page._, count=page._("Enter a whole number."))
    requirements = {
        "degree": page.value("degree") or None,
        "major": page.value("major") or None,
        "certificate": page.value("certificate") or None,
        "talent_tier": page.value("talent_tier") or None,
    }
    return {
        "title": page.value("title"),
        "count": int(count),
        "quota_type": page.value("quota_type", "bianzhi"),
        "stage": page.value("stage") or None,
        "subject": page.value("subject") or None,
        "apply_from": page.value("apply_from") or None,
        "apply_until": page.value("apply_until") or None,
        "requirements": requirements,
    }, None


async def posting_form(
    page: Page,
    posting: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    code: int = 200,
    district_id: str = "",
) -> Any:
    """The form for a new posting (`posting` None) or a draft's changes."""
    districts: list[tuple[str, str]] = []
    schools: list[tuple[str, str]] = []
    names: dict[str, str] = {}
    if posting is None:
        if page.role != "district_hr":
            districts = await district_options(page)
        schools = await school_options(page, district_id)
    else:
        names = await unit_names(page, {posting["unit_id"]})
    return page.html(
        "talent_posting_form.html",
        status=code,
        posting=posting,
        districts=districts,
        district_id=district_id,
        schools=schools,
        names=names,
        stages=page.options("stage"),
        subjects=[(s, page.label("subject", s)) for s in SUBJECTS],
        quotas=page.options("quota"),
        degrees=page.options("degree"),
        certificates=page.options("certificate"),
        tiers=[(t, t) for t in TALENT_TIERS],
        errors=errors,
    )


@router.get("/talent/postings/new")
async def new_posting(page: Annotated[Page, Depends(signed_in)], district_id: str = "") -> Any:
    page.require_api("talent", "POST", "/v1/postings")
    return await posting_form(page, district_id=district_id)


@router.post("/talent/postings")
async def create_posting(page: Annotated[Page, Depends(signed_in)]) -> Any:
    """A new posting at a school, as a draft to check before it is opened."""
    page.require_api("talent", "POST", "/v1/postings")
    district_id = page.value("district_id")
    body, errors = posting_fields(page)
    if errors:
        return await posting_form(page, errors=errors, code=422, district_id=district_id)
    body["unit_id"] = page.value("unit_id") or None
    try:
        created = await page.api.post("talent", "/v1/postings", body)
    except ApiProblem as problem:
        return await posting_form(
            page, errors=explain(problem, page._), code=problem.status, district_id=district_id
        )
    return page.redirect(f"/talent/postings/{created['id']}", done="posting_created")


@router.get("/talent/postings/{posting_id}/edit")
async def edit_posting(posting_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    page.require_api("talent", "PATCH", "/v1/postings/{posting_id}")
    posting = await page.api.get("talent", f"/v1/postings/{posting_id}")
    return await posting_form(page, posting)


@router.post("/talent/postings/{posting_id}/edit")
async def update_posting(posting_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    """Change a draft posting (a posting once opened is not changed, only closed)."""
    page.require_api("talent", "PATCH", "/v1/postings/{posting_id}")
    posting = await page.api.get("talent", f"/v1/postings/{posting_id}")
    body, errors = posting_fields(page)
    if errors:
        return await posting_form(page, posting, errors, 422)
    try:
        await page.api.patch("talent", f"/v1/postings/{posting_id}", body)
    except ApiProblem as problem:
        return await posting_form(page, posting, explain(problem, page._), problem.status)
    return page.redirect(f"/talent/postings/{posting_id}", done="saved")


@router.get("/talent/applications/{application_id}")
async def application_link(application_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    """An application, as a notification links to it: its posting's board."""
    page.require_api("talent", "GET", "/v1/applications/{application_id}")
    application = await page.api.get("talent", f"/v1/applications/{application_id}")
    return page.redirect(
        f"/talent/postings/{application['posting_id']}#application-{application_id}"
    )


@router.get("/talent/postings/{posting_id}")
async def posting_detail(posting_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    page.require(HR_DESK)
    return await posting_view(page, posting_id)


@router.post("/talent/applications/{application_id}/move")
async def move_application(application_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    """Move an application one legal step on the board; the service checks it again."""
    page.require_api("talent", "POST", "/v1/applications/{application_id}/transitions")
    posting_id = page.value("posting_id")
    body = {"to": page.value("to"), "note": page.value("note") or None}
    try:
        await page.api.post("talent", f"/v1/applications/{application_id}/transitions", body)
    except ApiProblem as problem:
        return await posting_view(page, posting_id, explain(problem, page._), problem.status)
    return page.redirect(f"/talent/postings/{posting_id}", done="moved")


@router.get("/talent/candidates")
async def candidates(page: Annotated[Page, Depends(signed_in)], cursor: str = "") -> Any:
    page.require(HR_DESK)
    found = await page.api.get("talent", "/v1/candidates", cursor=cursor, limit=100)
    return page.html(
        "talent_candidates.html",
        candidates=found["data"],
        next_cursor=found.get("next_cursor"),
    )


async def candidate_view(
    page: Page,
    candidate_id: str,
    whole: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    code: int = 200,
) -> Any:
    masked = whole or await page.api.get("talent", f"/v1/candidates/{candidate_id}")
    applications = await page.api.get_all(
        "talent", "/v1/applications", candidate_id=candidate_id, cap=200
    )
    return page.html(
        "talent_candidate.html",
        status=code,
        candidate=masked,
        whole=whole is not None,
        may_reveal=page.role in PERSONNEL_ROLES,
        may_erase=masked.get("erased_at") is None
        and page.may("talent", "POST", "/v1/candidates/{candidate_id}/erase"),
        may_merge=masked.get("erased_at") is None
        and page.may("talent", "POST", "/v1/candidates/merge"),
        applications=applications,
        errors=errors,
    )


@router.get("/talent/candidates/{candidate_id}")
async def candidate_detail(candidate_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    page.require(HR_DESK)
    return await candidate_view(page, candidate_id)


@router.post("/talent/candidates/{candidate_id}/reveal")
async def reveal_candidate(candidate_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    """The personal fields whole, for this answer only; the service records who looked and why."""
    page.require(PERSONNEL_ROLES)
    purpose = page.value("purpose")
    if not purpose:
        errors = invalid(page._, purpose=page._("Say why you need to see it."))
        return await candidate_view(page, candidate_id, errors=errors, code=422)
    try:
        whole = await page.api.get(
            "talent", f"/v1/candidates/{candidate_id}", reveal="true", purpose=purpose
        )
    except ApiProblem as problem:
        return await candidate_view(
            page, candidate_id, errors=explain(problem, page._), code=problem.status
        )
    return await candidate_view(page, candidate_id, whole=whole)


@router.post("/talent/candidates/{candidate_id}/erase")
async def erase_candidate(candidate_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    """Erase the person's personal information on their request (PIPL); statistics stay."""
    page.require_api("talent", "POST", "/v1/candidates/{candidate_id}/erase")
    try:
        await page.api.post("talent", f"/v1/candidates/{candidate_id}/erase", {})
    except ApiProblem as problem:
        return await candidate_view(
            page, candidate_id, errors=explain(problem, page._), code=problem.status
        )
    return page.redirect(f"/talent/candidates/{candidate_id}", done="erased")


@router.post("/talent/candidates/{candidate_id}/merge")
async def merge_candidate(candidate_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    """Fold a duplicate (a mistyped ID number, say) into this candidate; the duplicate is erased."""
    page.require_api("talent", "POST", "/v1/candidates/merge")
    body = {"keep_id": candidate_id, "merge_id": page.value("merge_id")}
    try:
        await page.api.post("talent", "/v1/candidates/merge", body)
    except ApiProblem as problem:
        errors = explain(problem, page._)
        for name in ("merge_id", "keep_id"):
            if name in errors.fields:
                errors.fields["merge_id"] = errors.fields.pop(name)
        return await candidate_view(page, candidate_id, errors=errors, code=problem.status)
    return page.redirect(f"/talent/candidates/{candidate_id}", done="merged")


async def partners_view(
    page: Page,
    *,
    errors: FormErrors | None = None,
    new_key: dict[str, Any] | None = None,
    key_for: str = "",
    code: int = 200,
) -> Any:
    found = await page.api.own("GET", "/api/auth/v1/partners", limit=200)
    partners = found["data"]
    keys = await asyncio.gather(
        *(page.api.own("GET", f"/api/auth/v1/partners/{p['id']}/keys") for p in partners)
    )
    return page.html(
        "talent_partners.html",
        status=code,
        partners=partners,
        keys={p["id"]: k["data"] for p, k in zip(partners, keys, strict=True)},
        scopes=PARTNER_SCOPES,
        errors=errors,
        new_key=new_key,
        key_for=key_for,
    )


@router.get("/talent/partners")
async def partners(page: Annotated[Page, Depends(signed_in)]) -> Any:
    page.require(ACCOUNT_ADMIN_ROLES)
    return await partners_view(page)


@router.post("/talent/partners")
async def create_partner(page: Annotated[Page, Depends(signed_in)]) -> Any:
    """Register a partner client (such as the recruitment site) with its scopes."""
    page.require(ACCOUNT_ADMIN_ROLES)
    body = {"name": page.value("name"), "scopes": page.values("scopes")}
    try:
        await page.api.own("POST", "/api/auth/v1/partners", body)
    except ApiProblem as problem:
        return await partners_view(page, errors=explain(problem, page._), code=problem.status)
    return page.redirect("/talent/partners", done="partner")


@router.post("/talent/partners/{client_id}/keys")
async def issue_key(client_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    """A new key, shown in this answer only: it is never stored and never shown again."""
    page.require(ACCOUNT_ADMIN_ROLES)
    try:
        created = await page.api.own(
            "POST", f"/api/auth/v1/partners/{client_id}/keys", {"label": page.value("label")}
        )
    except ApiProblem as problem:
        return await partners_view(
            page, errors=explain(problem, page._), key_for=client_id, code=problem.status
        )
    return await partners_view(page, new_key=created, key_for=client_id)


@router.post("/talent/partners/{client_id}/keys/{key_id}/revoke")
async def revoke_key(client_id: str, key_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    page.require(ACCOUNT_ADMIN_ROLES)
    await page.api.own("DELETE", f"/api/auth/v1/partners/{client_id}/keys/{key_id}")
    return page.redirect("/talent/partners", done="saved")


@router.get("/talent/webhooks")
async def webhooks(page: Annotated[Page, Depends(signed_in)], endpoint: str = "") -> Any:
    """Webhook endpoints and the delivery log of one of them."""
    page.require_api("talent", "GET", "/v1/webhooks")
    return await webhooks_view(page, endpoint)


async def webhooks_view(
    page: Page,
    endpoint: str,
    *,
    errors: FormErrors | None = None,
    error_for: str = "",
    code: int = 200,
) -> Any:
    found = await page.api.get_or_none("talent", "/v1/webhooks", limit=100)
    endpoints = (found or {"data": []})["data"]
    chosen = endpoint or (endpoints[0]["id"] if endpoints else "")
    deliveries = None
    if chosen:
        deliveries = await page.api.get_or_none(
            "talent", f"/v1/webhooks/{chosen}/deliveries", limit=200
        )
    return page.html(
        "talent_webhooks.html",
        status=code,
        available=found is not None,
        endpoints=endpoints,
        chosen=chosen,
        deliveries=(deliveries or {"data": []})["data"],
        may_redeliver=page.may("talent", "POST", "/v1/deliveries/{delivery_id}/redeliver"),
        errors=errors,
        error_for=error_for,
    )


@router.post("/talent/deliveries/{delivery_id}/redeliver")
async def redeliver(delivery_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    """Send a failed delivery again (重新投递), with a fresh retry schedule."""
    page.require_api("talent", "POST", "/v1/deliveries/{delivery_id}/redeliver")
    endpoint = page.value("endpoint")
    try:
        await page.api.post("talent", f"/v1/deliveries/{delivery_id}/redeliver")
    except ApiProblem as problem:
        return await webhooks_view(
            page,
            endpoint,
            errors=explain(problem, page._),
            error_for=delivery_id,
            code=problem.status,
        )
    return page.redirect(f"/talent/webhooks?endpoint={quote(endpoint)}", done="redelivered")
