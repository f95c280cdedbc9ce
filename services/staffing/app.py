"""The staffing service application."""

from __future__ import annotations

from fastapi import FastAPI

from common.app import ServiceSpec, create_service_app
from services.staffing.models import messaging, outbox
from services.staffing.settings import StaffingSettings
from services.staffing.units.endpoints import router as units_router


def create_app(settings: StaffingSettings | None = None) -> FastAPI:
    return create_service_app(
        ServiceSpec(
            settings=settings or StaffingSettings(),
            title="teacherpool staffing",
            version="1",
            routers=[units_router],
            messaging=messaging,
            outbox=outbox,
        )
    )
