"""The sharing service application (教师共享中心)."""

from __future__ import annotations

from fastapi import FastAPI

from common.app import ServiceSpec, create_service_app
from common.projections import unit_router
from services.sharing.assignments.endpoints import router as assignments
from services.sharing.batches.endpoints import router as batches
from services.sharing.consumers import HANDLERS
from services.sharing.deps import school_day
from services.sharing.evaluations.endpoints import router as evaluations
from services.sharing.jobs import expire_offers, warm_index
from services.sharing.lessons.endpoints import router as lessons
from services.sharing.library.endpoints import router as library
from services.sharing.matching.index import TeacherIndex
from services.sharing.models import Unit, messaging, outbox
from services.sharing.offers.endpoints import router as offers
from services.sharing.reconciliation.endpoints import router as reconciliation
from services.sharing.requests.endpoints import router as requests
from services.sharing.schoolcal.endpoints import router as calendar
from services.sharing.settings import SharingSettings
from services.sharing.settlements.endpoints import router as settlements
from services.sharing.teachers.endpoints import router as teachers


def create_app(settings: SharingSettings | None = None) -> FastAPI:
    settings = settings or SharingSettings()
    app = create_service_app(
        ServiceSpec(
            settings=settings,
            title="teacherpool sharing",
            version="1",
            routers=[
                unit_router(Unit),
                teachers,
                library,
                calendar,
                evaluations,
                requests,
                offers,
                assignments,
                lessons,
                settlements,
                batches,
                reconciliation,
            ],
            messaging=messaging,
            outbox=outbox,
            consumes=HANDLERS,
            jobs=[expire_offers, warm_index],
        )
    )
    app.state.school_day = school_day(settings)
    app.state.index = TeacherIndex(app.state.school_day)
    return app
