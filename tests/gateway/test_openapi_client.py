"""The merged OpenAPI document is valid 3.1, and a client generated from it works: a partner pushes
a candidate and applies through the gateway with it, as the recruitment site would."""

from __future__ import annotations

import collections
import importlib
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate

from tests.gateway.platform import Platform, platform
from tests.support import Databases, Identity
from tests.talent.support import SCHOOL, person

CERTIFICATES = [{"level": "senior", "subject": "数学"}]

GENERATOR = Path(sys.executable).with_name("openapi-python-client")
PACKAGE = "teacherpool_partner_client"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# No formatter run afterwards (the generated code is only imported), and spreadsheet uploads are
# raw bytes, which is how the generator knows them.
GENERATOR_CONFIG = f"post_hooks: []\ncontent_type_overrides:\n  {XLSX}: application/octet-stream\n"


@pytest.fixture(scope="module")
def system(databases: Databases, identity: Identity) -> Iterator[Platform]:
    yield from platform(databases, identity)


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield method, path, operation


class TestTheMergedDocument:
    def test_is_valid_openapi_3_1(self, system: Platform) -> None:
        assert system.document["openapi"].startswith("3.1")
        validate(system.document)

    def test_writes_tuples_as_prefix_items(self, system: Platform) -> None:
        slots = system.document["components"]["schemas"]["sharing_RequestPublic"]["properties"][
            "slots"
        ]
        assert slots["items"]["prefixItems"] == [{"type": "integer"}, {"type": "integer"}]

    def test_has_unique_schema_titles_and_one_problem_schema(self, system: Platform) -> None:
        schemas = system.document["components"]["schemas"]
        titles = collections.Counter(schema.get("title", name) for name, schema in schemas.items())
        assert [title for title, n in titles.items() if n > 1] == []
        assert not [name for name in schemas if "ValidationError" in name]
        assert "Problem" in schemas and "ProblemField" in schemas

    def test_documents_every_error_as_problem_json(self, system: Platform) -> None:
        for method, path, operation in operations(system.document):
            responses = operation["responses"]
            errors = {code: r for code, r in responses.items() if code >= "400"}
            assert errors, (method, path)
            for code, response in errors.items():
                assert response["content"] == {
                    "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
                }, (method, path, code)
            if path.startswith(("/api/staffing/", "/api/sharing/", "/api/talent/")):
                assert {"401", "403", "429", "503"} <= set(errors), (method, path)
            if operation.get("parameters") or operation.get("requestBody"):
                assert "422" in errors, (method, path)


def generate_client(document: dict[str, Any], folder: Path) -> ModuleType:
    """Generate the partner's client from the document with openapi-python-client; import it."""
    spec, config = folder / "openapi.json", folder / "generator.yaml"
    spec.write_text(httpx.Response(200, json=document).text)
    config.write_text(GENERATOR_CONFIG)
    done = subprocess.run(
        [
            *(str(GENERATOR), "generate", "--path", str(spec), "--config", str(config)),
            *("--meta", "none", "--output-path", str(folder / PACKAGE)),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # The generator warns of every schema or response it could not turn into code.
    assert "WARNING" not in done.stdout and "Unable to" not in done.stdout, done.stdout
    sys.path.insert(0, str(folder))
    return importlib.import_module(PACKAGE)


@pytest.fixture(scope="module")
def generated(system: Platform, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    folder = tmp_path_factory.mktemp("client")
    yield generate_client(system.document, folder)
    sys.path.remove(str(folder))
    for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
        del sys.modules[name]


def api(name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.api.{name}")


def model(name: str) -> Any:
    return getattr(importlib.import_module(f"{PACKAGE}.models"), name)


def test_a_partner_pushes_a_candidate_and_applies_with_the_generated_client(
    system: Platform, generated: ModuleType
) -> None:
    hr = generated.client.Client(base_url=system.url, headers=system.hr)
    site = generated.client.Client(base_url=system.url, headers=system.partner)
    posting_create = model("TalentPostingCreate").from_dict(
        {"unit_id": str(SCHOOL), "title": "高中数学教师", "subject": "数学", "stage": "senior"}
        | {"count": 1, "quota_type": "control"}
    )
    created = api("postings.talent_create_posting_v1_postings_post").sync(
        client=hr, body=posting_create
    )
    assert isinstance(created, model("TalentPostingPublic")), created
    opened = api("postings.talent_open_posting_v1_postings_posting_id_open_post").sync(
        created.id, client=hr
    )
    # Every posting waits for staffing to hold its posts; staffing is out of reach here (no NATS).
    assert opened.status == "pending_quota"

    push = api("candidates.talent_push_candidate_v1_candidates_post")
    body = model("TalentCandidateCreate").from_dict(person(certificates=CERTIFICATES))
    key = str(uuid.uuid4())
    first = push.sync_detailed(client=site, body=body, idempotency_key=key)
    again = push.sync_detailed(client=site, body=body, idempotency_key=key)
    assert first.status_code == 201, first.content
    assert isinstance(first.parsed, model("TalentCandidatePublic"))
    assert again.parsed.id == first.parsed.id
    refused = api("applications.talent_apply_v1_applications_post").sync_detailed(
        client=site,
        body=model("TalentApplicationCreate")(candidate_id=first.parsed.id, posting_id=created.id),
        idempotency_key=str(uuid.uuid4()),
    )
    assert 400 <= refused.status_code < 500, refused.content
    assert isinstance(refused.parsed, model("Problem")), refused.content


def test_the_generated_client_parses_a_problem_naming_the_field(
    system: Platform, generated: ModuleType
) -> None:
    site = generated.client.Client(base_url=system.url, headers=system.partner)
    bad = model("TalentCandidateCreate").from_dict(
        person(id_number="510105199503070000", certificates=CERTIFICATES)
    )
    answer = api("candidates.talent_push_candidate_v1_candidates_post").sync_detailed(
        client=site, body=bad, idempotency_key=str(uuid.uuid4())
    )
    assert answer.status_code == 422
    assert isinstance(answer.parsed, model("Problem"))
    assert answer.parsed.errors[0].field == "body.id_number"
    refused = api("postings.talent_create_posting_v1_postings_post").sync_detailed(
        client=site,
        body=model("TalentPostingCreate").from_dict(
            {"unit_id": str(SCHOOL)}
            | {"title": "x", "stage": "senior", "count": 1, "quota_type": "control"}
        ),
    )
    assert refused.status_code == 403
    assert isinstance(refused.parsed, model("Problem"))
