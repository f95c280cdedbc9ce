"""The merged OpenAPI document of the gateway and every service, and its docs page."""

from __future__ import annotations

import asyncio
import copy
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx

from common.openapi import SHARED_SCHEMAS, describe_errors, problem_response
from gateway.proxy import Upstreams

log = logging.getLogger(__name__)

CACHE_SECONDS = 30.0
SCHEMA_REF = "#/components/schemas/"
#: The gateway's own route that answers without a token (RFC 7009: revoking always succeeds).
PUBLIC_PATHS = frozenset({"/api/auth/v1/revoke"})
RATE_LIMITED = "Too many requests from this caller; `Retry-After` says when to try again"
UNAVAILABLE = "The service behind the gateway is not reachable now"
SECURITY_SCHEMES = {
    "bearer": {
        "type": "oauth2",
        "flows": {"password": {"tokenUrl": "/api/auth/v1/token", "scopes": {}}},
    },
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
}


def _rename_refs(node: Any, prefix: str) -> Any:
    """Point every schema reference at its namespaced name (shared schemas keep theirs)."""
    if isinstance(node, dict):
        return {
            key: (
                SCHEMA_REF + _namespaced(prefix, value[len(SCHEMA_REF) :])
                if key == "$ref" and isinstance(value, str) and value.startswith(SCHEMA_REF)
                else _rename_refs(value, prefix)
            )
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rename_refs(item, prefix) for item in node]
    return node


def _namespaced(prefix: str, name: str) -> str:
    return name if name in SHARED_SCHEMAS else f"{prefix}{name}"


def _with_errors(item: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    """A path's operations, each also documenting the errors the gateway itself answers with."""
    item = copy.deepcopy(item)
    for operation in item.values():
        if isinstance(operation, dict) and "responses" in operation:
            for code, description in errors.items():
                operation["responses"].setdefault(code, problem_response(description))
    return item


def merge(gateway: dict[str, Any], services: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """One document: the gateway's paths as they are, each service's under /api/<service>.

    Each service's schemas are namespaced by the service, and so are their titles, which client
    generators take for class names; the problem schemas are the same everywhere and kept once.
    """
    gateway = describe_errors(gateway, public_paths=PUBLIC_PATHS)
    merged: dict[str, Any] = {
        "openapi": gateway.get("openapi", "3.1.0"),
        "info": {
            "title": "teacherpool API",
            "version": "1",
            "description": "Every service behind the gateway. Log in with the OAuth2 password "
            "flow for a bearer token, or send a partner key as X-API-Key.",
        },
        "paths": {
            path: _with_errors(item, {"429": RATE_LIMITED})
            for path, item in gateway.get("paths", {}).items()
        },
        "components": {
            "schemas": copy.deepcopy(gateway.get("components", {}).get("schemas", {})),
            "securitySchemes": SECURITY_SCHEMES,
        },
        "security": [{"bearer": []}, {"apiKey": []}],
        "tags": list(gateway.get("tags", [])),
    }
    for service, document in sorted(services.items()):
        prefix = f"{service}_"
        document = describe_errors(document)
        schemas = document.get("components", {}).get("schemas", {})
        for name, schema in schemas.items():
            if name in SHARED_SCHEMAS:
                continue
            renamed = _rename_refs(schema, prefix)
            renamed["title"] = _namespaced(prefix, name)
            merged["components"]["schemas"][renamed["title"]] = renamed
        for path, item in document.get("paths", {}).items():
            if path in ("/healthz", "/readyz", "/metrics"):
                continue
            operations = _rename_refs(item, prefix)
            for operation in operations.values():
                if isinstance(operation, dict) and "operationId" in operation:
                    operation["operationId"] = f"{service}_{operation['operationId']}"
            merged["paths"][f"/api/{service}{path}"] = _with_errors(
                operations, {"429": RATE_LIMITED, "503": UNAVAILABLE}
            )
    return merged


class MergedOpenApi:
    """Fetches each service's document, merges them, and keeps the result for a while."""

    def __init__(
        self, gateway_document: Callable[[], dict[str, Any]], upstreams: Upstreams
    ) -> None:
        #: The gateway's own document, made when first asked for: building it costs more than
        #: the rest of the gateway's start.
        self.gateway_document = gateway_document
        self.upstreams = upstreams
        self._cached: dict[str, Any] | None = None
        self._at = 0.0
        self._lock = asyncio.Lock()

    async def document(self) -> dict[str, Any]:
        async with self._lock:
            if self._cached is None or time.monotonic() - self._at > CACHE_SECONDS:
                documents = dict(
                    await asyncio.gather(
                        *(self._fetch(n, c) for n, c in self.upstreams.clients.items())
                    )
                )
                merged = merge(
                    self.gateway_document(), {n: d for n, d in documents.items() if d is not None}
                )
                missing = sorted(n for n, d in documents.items() if d is None)
                if missing:
                    merged["info"]["x-services-unavailable"] = missing
                else:
                    self._cached, self._at = merged, time.monotonic()
                return merged
            return self._cached

    async def _fetch(
        self, name: str, client: httpx.AsyncClient
    ) -> tuple[str, dict[str, Any] | None]:
        try:
            response = await client.get("/openapi.json", timeout=5)
            response.raise_for_status()
            return name, response.json()
        except (httpx.HTTPError, ValueError) as error:
            log.warning("no OpenAPI document from %s: %r", name, error)
            return name, None


def docs_page(asset_base: str) -> str:
    """Swagger UI served from the gateway itself, so the docs need no CDN."""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>teacherpool API</title>
<link rel="stylesheet" href="{asset_base}/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="{asset_base}/swagger-ui-bundle.js"></script>
<script src="{asset_base}/docs-init.js"></script>
</body></html>"""


DOCS_INIT_JS = """window.ui = SwaggerUIBundle({
  url: "/api/openapi.json", dom_id: "#swagger-ui", deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis], layout: "BaseLayout"
});
"""
