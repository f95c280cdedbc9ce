"""The OpenAPI document as the services really answer: valid 3.1, problem+json errors, merge patch.

FastAPI documents a 422 with its own `HTTPValidationError` body, which no service ever sends: every
error leaves as RFC 9457 problem+json (`common.errors`). `describe_errors` replaces that with one
shared `Problem` schema and documents the error answers each operation can give, so a client
generated from the document parses them. PATCH bodies are JSON Merge Patch (RFC 7396), documented
under `application/merge-patch+json` beside `application/json`.
"""

from __future__ import annotations

import copy
from typing import Any

from common.errors import PROBLEM_JSON

SCHEMA_REF = "#/components/schemas/"
MERGE_PATCH_JSON = "application/merge-patch+json"
#: FastAPI's own validation schemas, which no service sends.
FASTAPI_ERROR_SCHEMAS = ("HTTPValidationError", "ValidationError")
#: Components every document shares under the same names (the gateway keeps one copy).
SHARED_SCHEMAS = ("Problem", "ProblemField")

#: A service's own field codes, and the values each carries as members of the field's entry.
FIELD_MEMBERS = {
    "stage_not_taught": "`unit_code`, `stage`",
    "no_such_grade": "`stage`, `grade`",
}

PROBLEM_FIELD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "ProblemField",
    "description": "One field at fault: `body.x`, `query.x`, `path.x`, or a spreadsheet cell. "
    "`code` is pydantic's error type, or one of the service's own, whose values are more "
    "members: " + "; ".join(f"{code}: {members}" for code, members in FIELD_MEMBERS.items()) + ".",
    "required": ["field", "message"],
    "properties": {
        "field": {"type": "string", "title": "Field"},
        "message": {"type": "string", "title": "Message"},
        "code": {"type": "string", "title": "Code"},
    },
    "additionalProperties": True,
}

#: Problem types that carry the values behind them as members of their own, by type.
PROBLEM_MEMBERS = {
    "timetable-clash": "`clash` (`weekday`, `period`, `with`, `kind`)",
    "over-weekly-cap": "`load`, `adding`, `cap`",
    "no-vacancy": "`vacant`, `needed`, `quota_type`",
    "pool-exhausted": "`pool_balance`, `granted`, `quota_type`",
    "below-held-posts": "`remaining`, `held`, `quota_type`",
    "over-repayment": "`outstanding`, `count`",
    "posts-reserved": "`reserved`, `quota_type`",
    "pool-not-open": "`quota_type`",
    "not-on-roster": "`staff_status` (`retired`, `resigned`...)",
    "lesson-not-yet-due": "`taught_on`",
    "posting-filled": "`count`",
    "illegal-transition": "`state`, and `state_of` naming what is in it (`lesson`, `offer`...)",
    "same-application-twice": "`posting_ids`",
    "already-applied": "`existing_id`",
    "server-error": "`request_id`",
}

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Problem",
    "description": "An RFC 9457 problem: what went wrong and, for invalid input, each field at "
    "fault. Some problem types carry the values behind them as more members: "
    + "; ".join(f"{slug}: {members}" for slug, members in PROBLEM_MEMBERS.items())
    + ".",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "title": "Type"},
        "title": {"type": "string", "title": "Title"},
        "status": {"type": "integer", "title": "Status"},
        "detail": {"type": "string", "title": "Detail"},
        "instance": {"type": "string", "title": "Instance"},
        "errors": {
            "type": "array",
            "title": "Errors",
            "items": {"$ref": SCHEMA_REF + "ProblemField"},
        },
    },
    "additionalProperties": True,
}

#: The error answers of the services, and when an operation can give each.
ERROR_DESCRIPTIONS = {
    "401": "Not authenticated: no valid bearer token, API key, session or credentials",
    "403": "The caller's role, scope or unit may not do this",
    "404": "Nothing by that id in the caller's scope",
    "409": "Conflicts with the current state (e.g. a clash, no vacancy, a transition not allowed)",
    "422": "Input that is not valid; `errors` names each field at fault",
}
WRITES = frozenset({"post", "put", "patch", "delete"})
METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options"})


def problem_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": SCHEMA_REF + "Problem"}}},
    }


def tuples_as_prefix_items(node: Any) -> Any:
    """OpenAPI 3.1 (JSON Schema 2020-12) writes a tuple as `prefixItems`, never `items: [..]`."""
    if isinstance(node, list):
        return [tuples_as_prefix_items(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: tuples_as_prefix_items(value) for key, value in node.items()}
    if isinstance(out.get("items"), list):
        members = out.pop("items")
        out["prefixItems"] = members
        out.setdefault("minItems", len(members))
        out.setdefault("maxItems", len(members))
    return out


def _error_codes(method: str, path: str, operation: dict[str, Any], secured: bool) -> list[str]:
    codes = ["401", "403"] if secured else []
    if "{" in path:
        codes.append("404")
    if method in WRITES:
        codes.append("409")
    if operation.get("parameters") or operation.get("requestBody") or method in WRITES:
        codes.append("422")
    return codes


def describe_errors(
    document: dict[str, Any], *, secured: bool = True, public_paths: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """The document with the real error answers and valid 3.1 schemas (a new copy)."""
    document = tuples_as_prefix_items(copy.deepcopy(document))
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in FASTAPI_ERROR_SCHEMAS:
        schemas.pop(name, None)
    schemas["Problem"] = copy.deepcopy(PROBLEM_SCHEMA)
    schemas["ProblemField"] = copy.deepcopy(PROBLEM_FIELD_SCHEMA)
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method not in METHODS or not isinstance(operation, dict):
                continue
            responses = operation.setdefault("responses", {})
            needs_token = secured and path not in public_paths
            for code in _error_codes(method, path, operation, needs_token):
                responses[code] = problem_response(ERROR_DESCRIPTIONS[code])
            body = operation.get("requestBody", {}).get("content", {})
            if method == "patch" and "application/json" in body:
                body.setdefault(MERGE_PATCH_JSON, copy.deepcopy(body["application/json"]))
    return document
