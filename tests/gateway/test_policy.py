"""Role × route: every route of every service has a policy row, and the gateway enforces it."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

from starlette.types import Receive, Scope, Send

from common.auth import USER_ROLES, Principal
from common.db import Database
from gateway.app import create_app
from gateway.auth import service
from gateway.models import User
from gateway.policy import RULES, Policy, shape
from services.sharing.app import create_app as create_sharing
from services.sharing.settings import SharingSettings
from services.staffing.app import create_app as create_staffing
from services.staffing.settings import StaffingSettings
from services.talent.app import create_app as create_talent
from services.talent.settings import TalentSettings
from tests.gateway.support import gateway_settings, served
from tests.support import Identity, running

IGNORED = frozenset({"/healthz", "/readyz", "/metrics", "/openapi.json", "/docs"})
SCOPES = (
    "postings:read",
    "candidates:write",
    "applications:write",
    "applications:read",
    "webhooks:manage",
)


def service_routes(identity: Identity) -> Iterator[tuple[str, str, str]]:
    """(service, method, path template) of every API route each service app serves."""
    factories: dict[str, tuple[Any, Any]] = {
        "staffing": (create_staffing, StaffingSettings),
        "sharing": (create_sharing, SharingSettings),
        "talent": (create_talent, TalentSettings),
    }
    for name, (factory, settings_cls) in factories.items():
        app = factory(
            settings_cls(database_url="sqlite+aiosqlite:///:memory:", common=identity.common())
        )
        # Included routers are resolved lazily; the OpenAPI document lists every route.
        paths = app.openapi()["paths"]
        assert len(paths) > 2, f"{name}: no routes found"
        for path, operations in paths.items():
            if path in IGNORED:
                continue
            for method in sorted(m.upper() for m in operations if m.upper() in HTTP_METHODS):
                yield name, method, path


HTTP_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})


def concrete(template: str) -> str:
    return re.sub(r"\{[^/]+?\}", str(uuid.uuid4()), template)


def test_every_service_route_has_a_policy_row(identity: Identity) -> None:
    policy = Policy()
    missing = []
    for name, method, path in service_routes(identity):
        found = policy.find(name, method, concrete(path))
        if found is None or shape(found.template) != shape(path):
            missing.append(f"{method} /api/{name}{path}")
    assert not missing, "routes without a row in gateway/policy.py: " + ", ".join(missing)


def test_every_policy_row_has_a_route(identity: Identity) -> None:
    served = {(name, method, shape(path)) for name, method, path in service_routes(identity)}
    dead = [
        f"{r.method} /api/{r.service}{r.template}"
        for r in RULES
        if (r.service, r.method, shape(r.template)) not in served
    ]
    assert not dead, "rows in gateway/policy.py that no service serves: " + ", ".join(dead)


def test_the_rules_are_unique() -> None:
    keys = [(r.service, r.method, shape(r.template)) for r in RULES]
    assert len(keys) == len(set(keys))


def test_the_auditor_never_writes_and_reads_everywhere() -> None:
    for r in RULES:
        assert ("auditor" in r.roles) == (r.method == "GET"), r


async def stand_in(scope: Scope, receive: Receive, send: Send) -> None:
    """Every service at once: answers 204 to whatever the gateway forwards."""
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


async def test_role_by_route_at_the_gateway(make_database, identity: Identity) -> None:
    """Refused routes get the gateway's 403; allowed ones reach the service (its 204)."""
    url = await make_database("gateway")
    with served(stand_in) as upstream:
        services = {f"{name}_url": upstream.url for name in ("staffing", "sharing", "talent")}
        await _every_role_on_every_route(
            create_app(gateway_settings(identity, url, **services)), url, identity
        )


async def _every_role_on_every_route(app: Any, url: str, identity: Identity) -> None:
    async with running(app, "http://gateway") as client:
        headers: dict[str, dict[str, str]] = {
            role: await _user_token(app, url, role) for role in USER_ROLES
        }
        headers.update(
            {scope: await _partner_key(client, headers["city_hr"], scope) for scope in SCOPES}
        )
        policy: Policy = app.state.policy
        wrong = []
        for name, method, path in service_routes(identity):
            target = f"/api/{name}{concrete(path)}"
            rule = policy.find(name, method, concrete(path))
            assert rule is not None, target
            for who, auth in headers.items():
                allowed = who in rule.roles if who in USER_ROLES else who in rule.scopes
                response = await client.request(method, target, headers=auth, json={})
                expected = 204 if allowed else 403
                if response.status_code != expected:
                    wrong.append(f"{who} {method} {target}: {response.status_code} != {expected}")
        assert not wrong, "\n".join(wrong)


async def test_unknown_routes_are_refused(make_database, identity: Identity) -> None:
    url = await make_database("gateway")
    app = create_app(gateway_settings(identity, url))
    async with running(app, "http://gateway") as client:
        auth = await _user_token(app, url, "city_hr")
        response = await client.get("/api/staffing/v1/secret-admin", headers=auth)
        assert response.status_code == 403
        assert response.json()["type"] == "/problems/route-forbidden"
        assert (await client.get("/api/nowhere/v1/x", headers=auth)).status_code == 404


async def _user_token(app: Any, url: str, role: str) -> dict[str, str]:
    db = Database(url)
    try:
        async with db.session() as session:
            user = User(
                username=f"{role}.{uuid.uuid4().hex[:6]}",
                display_name=role,
                password_hash="unused",
                role=role,
                district_id=uuid.uuid4() if role == "district_hr" else None,
                unit_id=uuid.uuid4() if role in ("school_admin", "teacher") else None,
            )
            session.add(user)
            await session.flush()
            _, family = await service.start_token_family(session, user, 3600)
            principal: Principal = service.user_principal(user)
            token = app.state.tokens.issue(principal, family.id)
    finally:
        await db.dispose()
    return {"Authorization": f"Bearer {token}"}


async def _partner_key(client: Any, hr: dict[str, str], scope: str) -> dict[str, str]:
    partner = await client.post(
        "/api/auth/v1/partners", json={"name": f"p-{scope}", "scopes": [scope]}, headers=hr
    )
    key = await client.post(
        f"/api/auth/v1/partners/{partner.json()['id']}/keys", json={}, headers=hr
    )
    return {"X-API-Key": key.json()["api_key"]}
