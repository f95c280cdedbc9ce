"""The sharing service application."""

from __future__ import annotations

from fastapi import FastAPI

from common.app import ServiceSpec, create_service_app
from common.projections import unit_router
from services.sharing.consumers import HANDLERS
from services.sharing.models import Unit, messaging, outbox
from services.sharing.settings import SharingSettings


def create_app(settings: SharingSettings | None = None) -> FastAPI:
    return create_service_app(
        ServiceSpec(
            settings=settings or SharingSettings(),
            title="teacherpool sharing",
            version="1",
            routers=[unit_router(Unit)],
            messaging=messaging,
            outbox=outbox,
            consumes=HANDLERS,
        )
    )
