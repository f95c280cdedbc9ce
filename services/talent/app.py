"""The talent service application."""

from __future__ import annotations

from fastapi import FastAPI

from common.app import ServiceSpec, create_service_app
from common.projections import unit_router
from services.talent.consumers import HANDLERS
from services.talent.models import Unit, messaging, outbox
from services.talent.settings import TalentSettings


def create_app(settings: TalentSettings | None = None) -> FastAPI:
    return create_service_app(
        ServiceSpec(
            settings=settings or TalentSettings(),
            title="teacherpool talent",
            version="1",
            routers=[unit_router(Unit)],
            messaging=messaging,
            outbox=outbox,
            consumes=HANDLERS,
        )
    )
