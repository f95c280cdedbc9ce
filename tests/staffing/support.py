"""Helpers for the staffing tests: an in-process service, units with posts, people to hire."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx

from common.auth import Principal
from common.db import Database
from services.staffing.app import create_app
from services.staffing.ledger.service import verify
from services.staffing.settings import StaffingSettings
from tests.support import Identity, principal, running, service_settings

CITY_HR = principal("city_hr", sub="user:city-hr")
COMMISSION = principal("staffing_commission", sub="user:commission")
AUDITOR = principal("auditor", sub="user:auditor")


@contextlib.asynccontextmanager
async def staffing(identity: Identity, url: str, nats_url: str) -> AsyncIterator[Api]:
    """The staffing service in-process, with a client that signs as whoever it is told."""
    settings = service_settings(StaffingSettings, identity, url, nats_url)
    app = create_app(settings)
    async with running(app) as client:
        yield Api(client, identity, app.state.db, app.state)


class Api:
    """The service's HTTP API as the tests use it."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        identity: Identity,
        db: Database,
        state: Any = None,
    ) -> None:
        self.client = client
        self.identity = identity
        self.db = db
        self.state = state
        """The app's state (its `read_cache`, say), when the service runs in this process."""

    def headers(self, who: Principal) -> dict[str, str]:
        return self.identity.headers(who)

    async def call(
        self, method: str, path: str, who: Principal = COMMISSION, **kwargs: Any
    ) -> httpx.Response:
        headers = {**self.headers(who), **kwargs.pop("headers", {})}
        return await self.client.request(method, path, headers=headers, **kwargs)

    async def ok(self, method: str, path: str, who: Principal = COMMISSION, **kwargs: Any) -> Any:
        response = await self.call(method, path, who, **kwargs)
        assert response.status_code < 300, response.text
        return response.json() if response.content else None

    async def district(self, code: str) -> dict[str, Any]:
        return await self.ok(
            "POST", "/v1/units", json={"kind": "district", "code": code, "name": f"区{code}"}
        )

    async def school(
        self, district_id: str, code: str, posts: int = 0, quota_type: str = "bianzhi"
    ) -> dict[str, Any]:
        school = await self.ok(
            "POST",
            "/v1/units",
            json={
                "kind": "school",
                "code": code,
                "name": f"学校{code}",
                "district_id": district_id,
                "stages": ["primary", "junior"],
                "lat": 30.66,
                "lon": 104.06,
            },
        )
        if posts:
            await self.adjust(school["id"], posts, quota_type)
        return school

    async def adjust(self, unit_id: str, delta: int, quota_type: str = "bianzhi") -> Any:
        return await self.ok(
            "POST",
            f"/v1/units/{unit_id}/adjustments",
            json={
                "quota_type": quota_type,
                "delta": delta,
                "document_no": f"成编〔2026〕{abs(delta)}号",
                "reason": "核定",
            },
        )

    async def quota(self, unit_id: str, quota_type: str = "bianzhi") -> dict[str, Any]:
        for row in await self.ok("GET", f"/v1/units/{unit_id}/quotas"):
            if row["quota_type"] == quota_type:
                return row
        return {"approved": 0, "occupied": 0, "reserved": 0, "vacant": 0, "borrowed": 0}

    async def pool(self, quota_type: str = "bianzhi") -> dict[str, Any]:
        return await self.ok("GET", f"/v1/pools/{quota_type}")

    async def lend(self, unit_id: str, due: date | None = None) -> dict[str, Any]:
        """One post applied for and lent from the pool to the unit (due on `due`, or at the
        end of the term): the decision, with its application and loan."""
        application = await self.ok(
            "POST",
            "/v1/pool-applications",
            json={
                "unit_id": unit_id,
                "requested": 1,
                "reason_kind": "new_school",
                "reason": "新校",
                "term_years": 3,
            },
        )
        decision: dict[str, Any] = {"outcome": "approve", "reason": "同意"}
        if due is not None:
            decision["due_date"] = due.isoformat()
        return await self.ok(
            "POST", f"/v1/pool-applications/{application['id']}/decision", json=decision
        )

    async def hire(self, unit_id: str, who: Principal = COMMISSION, **extra: Any) -> httpx.Response:
        return await self.call("POST", "/v1/staff", who, json=person(unit_id, **extra))

    async def verify(self) -> list[str]:
        async with self.db.session(read_only=True) as session:
            return [str(d) for d in await verify(session)]


def person(unit_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "unit_id": unit_id,
        "quota_type": "bianzhi",
        "name": f"教师{uuid.uuid4().hex[:4]}",
        "sex": "female",
        "birth_date": "1988-04-01",
        "subject": "数学",
        "stage": "primary",
        **extra,
    }
