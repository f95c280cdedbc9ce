"""The staffing service application."""

from __future__ import annotations

from fastapi import FastAPI

from common.app import ServiceSpec, create_service_app
from services.staffing.consumers import HANDLERS, SHARING_HANDLERS
from services.staffing.jobs import loan_deadlines, monthly_snapshots
from services.staffing.ledger.endpoints import router as ledger_router
from services.staffing.lifecycle.endpoints import router as lifecycle_router
from services.staffing.models import messaging, outbox
from services.staffing.places.endpoints import router as places_router
from services.staffing.pool.endpoints import router as pool_router
from services.staffing.quotas.endpoints import router as quotas_router
from services.staffing.reconciliation.endpoints import router as reconciliation_router
from services.staffing.reports.endpoints import router as reports_router
from services.staffing.retirement.endpoints import router as retirement_router
from services.staffing.roster.endpoints import router as roster_router
from services.staffing.settings import StaffingSettings
from services.staffing.spreadsheets.endpoints import router as spreadsheets_router
from services.staffing.summaries.endpoints import router as summaries_router
from services.staffing.units.endpoints import router as units_router


def create_app(settings: StaffingSettings | None = None) -> FastAPI:
    return create_service_app(
        ServiceSpec(
            settings=settings or StaffingSettings(),
            title="teacherpool staffing",
            version="1",
            # FastAPI tries the routes in this order: the roster (hires, the busiest write)
            # comes right after the units (the busiest read).
            routers=[
                units_router,
                roster_router,
                quotas_router,
                summaries_router,
                pool_router,
                retirement_router,
                lifecycle_router,
                places_router,
                reports_router,
                ledger_router,
                spreadsheets_router,
                reconciliation_router,
            ],
            messaging=messaging,
            outbox=outbox,
            consumes={"talent": HANDLERS, "sharing": SHARING_HANDLERS},
            jobs=[loan_deadlines, monthly_snapshots],
        )
    )
