"""HTTP for retirement rules and who is due to retire."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from common.clock import local_today
from common.deps import CurrentPrincipal, SessionDep
from services.staffing.retirement import repository, service
from services.staffing.retirement.schemas import (
    PostCategory,
    RetirementBasePublic,
    RetirementPublic,
    RetirementRulePublic,
    RetirementRulesPublic,
    RetirementsDue,
)
from services.staffing.roster.schemas import Sex

router = APIRouter(prefix="/v1", tags=["retirement"])


@router.get("/retirement-rules", response_model=RetirementRulesPublic)
async def list_rules(session: SessionDep, principal: CurrentPrincipal) -> RetirementRulesPublic:
    """Every dated retirement rule row and base age, each with its source."""
    book = await repository.rule_book(session)
    return RetirementRulesPublic(
        bases=[RetirementBasePublic.model_validate(b) for b in book.bases.values()],
        rules=[RetirementRulePublic.model_validate(r) for r in book.rules],
    )


@router.get("/retirement-rules/age", response_model=RetirementPublic)
async def retirement_age(
    session: SessionDep,
    principal: CurrentPrincipal,
    sex: Sex,
    birth_date: date,
    post_category: PostCategory = "professional",
) -> RetirementPublic:
    """The statutory retirement age and date of a person of this sex, post and birth date."""
    return await service.retirement_of(session, sex, post_category, birth_date)


@router.get("/retirements", response_model=RetirementsDue)
async def retirements_due(
    session: SessionDep,
    principal: CurrentPrincipal,
    unit_id: uuid.UUID | None = None,
    district_id: uuid.UUID | None = None,
    within_months: Annotated[int, Query(ge=1, le=120)] = 36,
) -> RetirementsDue:
    """Staff in scope due to retire within `within_months` (预计退休), soonest first."""
    return await service.due(session, principal, local_today(), within_months, unit_id, district_id)
