"""Sharing's settings: the pay per period by title and mode (课时补贴标准), the travel allowance
by distance band (交通补贴), and each district's choice whether a school's request waits for
its approval (区县审批)."""

from __future__ import annotations

import asyncio
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from contracts.vocabulary import TITLES, UNTITLED
from gateway.ui.client import ApiProblem
from gateway.ui.forms import FormErrors, explain, invalid
from gateway.ui.pages.units import district_options
from gateway.ui.session import HR_DESK, Page, signed_in

router = APIRouter()


async def settings_view(
    page: Page, errors: FormErrors | None = None, error_for: str = "", code: int = 200
) -> Any:
    rates, allowances, districts = await asyncio.gather(
        page.api.get_or_none("sharing", "/v1/period-rates"),
        page.api.get_or_none("sharing", "/v1/travel-allowances"),
        district_options(page),
    )
    if page.role == "district_hr":
        own = str(page.user.district_id)
        districts = [d for d in districts if d[0] == own] or [(own, "")]
    settings = await asyncio.gather(
        *(page.api.get_or_none("sharing", f"/v1/district-settings/{d}") for d, _ in districts)
    )
    return page.html(
        "sharing_rates.html",
        status=code,
        rates=sorted(
            rates or [], key=lambda r: (r["effective_from"], r["title"], r["mode"]), reverse=True
        ),
        allowances=sorted(
            allowances or [], key=lambda a: (a["effective_from"], a["min_km"]), reverse=True
        ),
        rate_modes=[("any", page._("Any mode")), *page.options("mode")],
        titles=[(t, page.label("title", t)) for t in (*TITLES, UNTITLED)],
        districts=[
            (district_id, name, found["requires_approval"] if found else None)
            for (district_id, name), found in zip(districts, settings, strict=True)
        ],
        may_add_rate=page.may("sharing", "POST", "/v1/period-rates"),
        may_add_allowance=page.may("sharing", "POST", "/v1/travel-allowances"),
        may_set_approval=page.may("sharing", "PUT", "/v1/district-settings/{district_id}"),
        errors=errors,
        error_for=error_for,
    )


@router.get("/sharing/rates")
async def rates(page: Annotated[Page, Depends(signed_in)]) -> Any:
    page.require(HR_DESK)
    return await settings_view(page)


def cents(text: str) -> int | None:
    """Yuan as typed (80, 80.5, 80.50) in whole cents; None when it is not an amount."""
    try:
        amount = Decimal(text.replace(",", "").replace("元", "").strip())
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        return None
    return int(amount * 100)


async def _post_amount(
    page: Page, *, form: str, field: str, api_field: str, path: str, body: dict[str, Any]
) -> Any | None:
    """POST `body` with the form's yuan amount `field` as the API's cents `api_field`; the
    settings page again with the errors under the form's own names, or None once posted."""
    amount = cents(page.value(field))
    if amount is None:
        errors = invalid(
            page._, **{field: page._("Enter an amount in yuan, at most two decimals.")}
        )
        return await settings_view(page, errors, form, 422)
    try:
        await page.api.post("sharing", path, {**body, api_field: amount})
    except ApiProblem as problem:
        errors = explain(problem, page._)
        if api_field in errors.fields:
            errors.fields[field] = errors.fields.pop(api_field)
        return await settings_view(page, errors, form, problem.status)
    return None


@router.post("/sharing/rates")
async def add_rate(page: Annotated[Page, Depends(signed_in)]) -> Any:
    """A new pay per period for a title, in force from a date; earlier rates stay for the
    lessons they paid."""
    page.require_api("sharing", "POST", "/v1/period-rates")
    body = {
        "effective_from": page.value("effective_from") or None,
        "effective_to": page.value("effective_to") or None,
        "title": page.value("title"),
        "mode": page.value("mode") or "any",
        "source": page.value("source"),
    }
    refused = await _post_amount(
        page, form="rate", field="rate", api_field="rate_cents", path="/v1/period-rates", body=body
    )
    return refused or page.redirect("/sharing/rates", done="rate_added")


@router.post("/sharing/rates/allowances")
async def add_allowance(page: Annotated[Page, Depends(signed_in)]) -> Any:
    """A travel allowance per lesson taught in person for a band of distance, from a date."""
    page.require_api("sharing", "POST", "/v1/travel-allowances")
    body = {
        "effective_from": page.value("effective_from") or None,
        "effective_to": page.value("effective_to") or None,
        "min_km": page.value("min_km") or None,
        "max_km": page.value("max_km") or None,
        "source": page.value("source"),
    }
    refused = await _post_amount(
        page,
        form="allowance",
        field="amount",
        api_field="cents",
        path="/v1/travel-allowances",
        body=body,
    )
    return refused or page.redirect("/sharing/rates", done="saved")


@router.post("/sharing/rates/approval")
async def set_approval(page: Annotated[Page, Depends(signed_in)]) -> Any:
    """Whether a district's schools' requests wait for the district's approval."""
    page.require_api("sharing", "PUT", "/v1/district-settings/{district_id}")
    district_id = (
        str(page.user.district_id) if page.role == "district_hr" else page.value("district_id")
    )
    body = {"requires_approval": page.value("requires_approval") == "yes"}
    try:
        await page.api.put("sharing", f"/v1/district-settings/{district_id}", body)
    except ApiProblem as problem:
        return await settings_view(page, explain(problem, page._), "approval", problem.status)
    return page.redirect("/sharing/rates", done="saved")
