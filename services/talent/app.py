"""The talent service application."""

from __future__ import annotations

from fastapi import FastAPI

from common.app import ServiceSpec, create_service_app
from common.projections import unit_router
from services.talent.applications.endpoints import router as applications_router
from services.talent.candidates.endpoints import router as candidates_router
from services.talent.consumers import HANDLERS
from services.talent.jobs import deliver_webhooks, erase_at_retention_end
from services.talent.models import Unit, messaging, outbox
from services.talent.pii import load_cipher
from services.talent.postings.endpoints import router as postings_router
from services.talent.reconciliation.endpoints import router as reconciliation_router
from services.talent.settings import TalentSettings
from services.talent.webhooks.endpoints import deliveries_router
from services.talent.webhooks.endpoints import router as webhooks_router


def create_app(settings: TalentSettings | None = None) -> FastAPI:
    settings = settings or TalentSettings()
    app = create_service_app(
        ServiceSpec(
            settings=settings,
            title="teacherpool talent",
            version="1",
            routers=[
                unit_router(Unit),
                postings_router,
                candidates_router,
                applications_router,
                webhooks_router,
                deliveries_router,
                reconciliation_router,
            ],
            messaging=messaging,
            outbox=outbox,
            consumes=HANDLERS,
            jobs=[deliver_webhooks, erase_at_retention_end],
        )
    )
    app.state.pii = load_cipher(settings)
    return app
