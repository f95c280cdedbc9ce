"""The turnover pool (编制周转池): applications and decisions, deposits, loans and repayments."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from common.auth import CITY_ROLES
from gateway.ui.client import ApiProblem
from gateway.ui.forms import FormErrors, explain, invalid
from gateway.ui.pages.units import district_options
from gateway.ui.session import HR_DESK, Page, signed_in

router = APIRouter()
POOLED_TYPES = ("bianzhi", "yuan_e", "control")
TABS = ("queue", "apply", "loans", "deposits")
#: Where posts may be deposited, and the route each takes: the UI offers only those the
#: policy table opens to the user's role.
DEPOSIT_ROUTES = {
    "city": "/v1/pools/{quota_type}/deposits",
    "district": "/v1/districts/{district_id}/pools/{quota_type}/deposits",
}


def deposit_targets(page: Page, district_pools: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The pools this user may deposit into, with their names. District HR deposits only into
    its own district's pool, so until that pool is open it is offered none."""
    names = {"city": page._("City pool"), "district": page._("The school's district pool")}
    targets = [
        (target, names[target])
        for target, route in DEPOSIT_ROUTES.items()
        if page.may("staffing", "POST", route)
    ]
    if page.role == "district_hr":
        own = str(page.user.district_id)
        if not any(d["district_id"] == own for d in district_pools):
            return []
    return targets


async def school_options(page: Page, district_id: str | None) -> list[tuple[str, str]]:
    """Schools the user may act for: their district's, or the chosen district's."""
    if page.role == "district_hr":
        district_id = str(page.user.district_id)
    if not district_id:
        return []
    rows = await page.api.get_all("staffing", "/v1/units", kind="school", district_id=district_id)
    return [(u["id"], f"{u['name']}（{u['code']}）") for u in rows]


async def unit_names(page: Page, ids: set[str]) -> dict[str, str]:
    """Names of the units behind `ids`, one call each (a page shows few units)."""
    found = await asyncio.gather(
        *(page.api.get_or_none("staffing", f"/v1/units/{i}") for i in sorted(ids))
    )
    return {u["id"]: u["name"] for u in found if u}


async def pool_view(
    page: Page,
    tab: str = "queue",
    *,
    status_filter: str = "pending",
    district_id: str = "",
    errors: FormErrors | None = None,
    error_for: str = "",
    code: int = 200,
) -> Any:
    page.require(HR_DESK)
    tab = tab if tab in TABS else "queue"
    pools, district_pools, districts = await asyncio.gather(
        asyncio.gather(*(page.api.get_or_none("staffing", f"/v1/pools/{t}") for t in POOLED_TYPES)),
        page.api.get_or_none("staffing", "/v1/district-pools"),
        district_options(page),
    )
    own_district = str(page.user.district_id) if page.role == "district_hr" else ""
    context: dict[str, Any] = {
        "pools": [p for p in pools if p],
        "district_pools": (district_pools or {"data": []})["data"],
        "district_names": dict(districts),
        "all_districts": districts,
        "own_district": own_district,
        "tab": tab,
        "status_filter": status_filter,
        "district_id": district_id,
        "errors": errors,
        "error_for": error_for,
        "may_decide": page.role in CITY_ROLES,
        "is_city": page.role in CITY_ROLES,
        "quota_options": [
            (p["quota_type"], page.label("quota", p["quota_type"])) for p in pools if p
        ],
        "reason_options": page.options("reason_kind"),
        "deposit_targets": deposit_targets(page, (district_pools or {"data": []})["data"]),
    }
    if tab == "queue":
        apps = await page.api.get(
            "staffing", "/v1/pool-applications", status=status_filter or None, limit=200
        )
        context["applications"] = apps["data"]
        context["names"] = await unit_names(page, {a["unit_id"] for a in apps["data"]})
    elif tab == "loans":
        loans = await page.api.get(
            "staffing", "/v1/loans", state=page.value("state") or None, limit=200
        )
        context["loans"] = sorted(
            loans["data"], key=lambda x: (x["outstanding"] == 0, x["due_date"])
        )
        context["names"] = await unit_names(page, {x["unit_id"] for x in loans["data"]})
    elif tab == "deposits":
        deposits = await page.api.get_or_none("staffing", "/v1/pools/bianzhi/deposits", limit=200)
        rows = (deposits or {"data": []})["data"]
        context["deposits"] = list(reversed(rows))
        context["names"] = await unit_names(page, {d["unit_id"] for d in rows if d["unit_id"]})
    if tab in ("apply", "deposits"):
        context["districts"] = districts if page.role != "district_hr" else []
        context["schools"] = await school_options(page, district_id)
    return page.html("pool.html", status=code, **context)


@router.get("/pool")
async def pool(
    page: Annotated[Page, Depends(signed_in)],
    tab: str = "queue",
    status: str = "pending",
    district_id: str = "",
) -> Any:
    return await pool_view(page, tab, status_filter=status, district_id=district_id)


def _int(page: Page, name: str) -> int | None:
    try:
        return int(page.value(name))
    except ValueError:
        return None


@router.post("/pool/applications")
async def apply(page: Annotated[Page, Depends(signed_in)]) -> Any:
    """A district asks the pool for posts for one of its schools (申请)."""
    page.require_api("staffing", "POST", "/v1/pool-applications")
    body = {
        "unit_id": page.value("unit_id") or None,
        "quota_type": page.value("quota_type", "bianzhi"),
        "requested": _int(page, "requested"),
        "reason_kind": page.value("reason_kind") or None,
        "reason": page.value("reason"),
        "term_years": _int(page, "term_years"),
        "pool": page.value("pool") or None,
    }
    try:
        await page.api.post("staffing", "/v1/pool-applications", body)
    except ApiProblem as problem:
        return await pool_view(
            page,
            "apply",
            district_id=page.value("district_id"),
            errors=explain(problem, page._),
            code=problem.status,
        )
    return page.redirect("/pool?tab=queue", done="applied")


@router.post("/pool/applications/{application_id}/decision")
async def decide(application_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    """The pool asked approves in full or in part, or rejects, with a reason: the staffing
    commission for the city's pool, a district's HR for its own."""
    page.require_api("staffing", "POST", "/v1/pool-applications/{application_id}/decision")
    outcome = page.value("outcome")
    body: dict[str, Any] = {"outcome": outcome, "reason": page.value("reason")}
    if outcome == "approve":
        granted = _int(page, "granted")
        if granted is None:
            errors = invalid(page._, granted=page._("Enter a whole number."))
            return await pool_view(page, errors=errors, error_for=application_id, code=422)
        body["granted"] = granted
        body["due_date"] = page.value("due_date") or None
    body["document_no"] = page.value("document_no") or None
    try:
        await page.api.post("staffing", f"/v1/pool-applications/{application_id}/decision", body)
    except ApiProblem as problem:
        return await pool_view(
            page, errors=explain(problem, page._), error_for=application_id, code=problem.status
        )
    return page.redirect("/pool?tab=queue&status=", done="decided")


@router.post("/pool/applications/{application_id}/referral")
async def refer(application_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    """A district short of posts passes an application on to the city's pool."""
    page.require_api("staffing", "POST", "/v1/pool-applications/{application_id}/referral")
    body = {"reason": page.value("reason")}
    try:
        await page.api.post("staffing", f"/v1/pool-applications/{application_id}/referral", body)
    except ApiProblem as problem:
        return await pool_view(
            page, errors=explain(problem, page._), error_for=application_id, code=problem.status
        )
    return page.redirect("/pool?tab=queue", done="referred")


@router.post("/pool/district-pools")
async def open_district_pool(page: Annotated[Page, Depends(signed_in)]) -> Any:
    """Open a district's own pool of a quota type (district HR its own; city HR any)."""
    page.require_api("staffing", "PUT", "/v1/districts/{district_id}/pools/{quota_type}")
    district_id = (
        str(page.user.district_id) if page.role == "district_hr" else page.value("district_id")
    )
    quota_type = page.value("quota_type", "bianzhi")
    if not district_id:
        errors = invalid(page._, district_id=page._("Choose a district"))
        return await pool_view(page, errors=errors, error_for="open-pool", code=422)
    try:
        await page.api.put("staffing", f"/v1/districts/{district_id}/pools/{quota_type}", None)
    except ApiProblem as problem:
        return await pool_view(
            page, errors=explain(problem, page._), error_for="open-pool", code=problem.status
        )
    return page.redirect("/pool?tab=queue", done="opened")


@router.post("/pool/deposits")
async def deposit(page: Annotated[Page, Depends(signed_in)]) -> Any:
    """Move a unit's idle posts into the city's pool or its district's own (收储)."""
    target = page.value("target", "city")
    if target not in DEPOSIT_ROUTES:
        target = "city"
    page.require_api("staffing", "POST", DEPOSIT_ROUTES[target])
    quota_type = page.value("quota_type", "bianzhi")
    body = {
        "unit_id": page.value("unit_id") or None,
        "count": _int(page, "count"),
        "document_no": page.value("document_no"),
        "reason": page.value("reason"),
    }
    district_id = (
        str(page.user.district_id) if page.role == "district_hr" else page.value("district_id")
    )
    if target == "district" and not district_id:
        errors = invalid(page._, district_id=page._("Choose a district"))
        return await pool_view(page, "deposits", errors=errors, error_for="deposit", code=422)
    if target == "district":
        path = f"/v1/districts/{district_id}/pools/{quota_type}/deposits"
    else:
        path = f"/v1/pools/{quota_type}/deposits"
    try:
        await page.api.post("staffing", path, body)
    except ApiProblem as problem:
        return await pool_view(
            page,
            "deposits",
            district_id=page.value("district_id"),
            errors=explain(problem, page._),
            error_for="deposit",
            code=problem.status,
        )
    return page.redirect("/pool?tab=deposits", done="deposited")


@router.post("/pool/loans/{loan_id}/repayments")
async def repay(loan_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    """Repay posts of a loan early (提前归还)."""
    page.require_api("staffing", "POST", "/v1/loans/{loan_id}/repayments")
    body = {"count": _int(page, "count"), "document_no": page.value("document_no")}
    try:
        await page.api.post("staffing", f"/v1/loans/{loan_id}/repayments", body)
    except ApiProblem as problem:
        return await pool_view(
            page, "loans", errors=explain(problem, page._), error_for=loan_id, code=problem.status
        )
    return page.redirect("/pool?tab=loans", done="repaid")


@router.get("/pool/applications/{application_id}")
async def application_detail(application_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    """One application to the pool: what was asked, the forecast, the decision."""
    page.require(HR_DESK)
    found = await page.api.get("staffing", f"/v1/pool-applications/{application_id}")
    names = await unit_names(page, {found["unit_id"]})
    return page.html("pool_item.html", entry=found, item_kind="application", names=names)


@router.get("/pool/loans/{loan_id}")
async def loan_detail(loan_id: str, page: Annotated[Page, Depends(signed_in)]) -> Any:
    """One loan from the pool: what is still outstanding and when it falls due."""
    page.require(HR_DESK)
    found = await page.api.get("staffing", f"/v1/loans/{loan_id}")
    names = await unit_names(page, {found["unit_id"]})
    return page.html("pool_item.html", entry=found, item_kind="loan", names=names)
