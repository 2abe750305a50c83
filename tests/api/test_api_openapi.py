"""The OpenAPI schema as a contract: the committed ``openapi.json`` is what ``/openapi.json`` serves.

Building the app does no I/O, so these tests need no database and no Neo4j.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel
from typer.testing import CliRunner

from kgcrm.api.app import create_app
from kgcrm.api.openapi import ERROR_REF, REGENERATE, SCHEMA_FILE, install_contract_schema, render
from kgcrm.cli import app as cli_app
from kgcrm.core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / SCHEMA_FILE
METHODS = {"get", "put", "post", "delete", "patch"}
#: Error answers whose body is not an error body, on purpose: /readyz's 503 is its readiness report.
NOT_ERROR_BODIES = {("/readyz", "get", "503"): "#/components/schemas/Readiness"}


def served_schema() -> dict[str, Any]:
    client = TestClient(create_app(Settings(environment="test")))  # no lifespan: no services needed
    response = client.get("/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


def differences(committed: dict[str, Any], served: dict[str, Any]) -> list[str]:
    """Where two schemas differ: operations and component models, by name (for the failure message)."""
    found = []
    for section, a, b in (
        ("path", committed.get("paths", {}), served.get("paths", {})),
        ("model", committed.get("components", {}).get("schemas", {}), served.get("components", {}).get("schemas", {})),
    ):
        for name in sorted(set(a) | set(b)):
            if a.get(name) != b.get(name):
                state = "added" if name not in a else "removed" if name not in b else "changed"
                found.append(f"{section} {name}: {state}")
    for key in sorted(set(committed) | set(served)):
        if key not in {"paths", "components"} and committed.get(key) != served.get(key):
            found.append(f"{key}: changed")
    return found


def test_the_committed_openapi_json_is_the_served_schema():
    assert COMMITTED.exists(), f"{SCHEMA_FILE} is missing: generate it with {REGENERATE}"
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    served = served_schema()

    diff = differences(committed, served)
    assert committed == served, (
        f"{SCHEMA_FILE} is not the API's schema ({'; '.join(diff[:10])}): regenerate it with {REGENERATE}, "
        "and commit the diff"
    )
    assert COMMITTED.read_text(encoding="utf-8") == render(served), f"format differs: regenerate it with {REGENERATE}"


def test_the_schema_is_deterministic():
    first = render(create_app(Settings(environment="test")).openapi())
    second = render(create_app(Settings(environment="test", api_port=9999)).openapi())
    assert first == second


def error_responses(schema: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any]]]:
    return [
        (path, method, status, response)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in METHODS
        for status, response in operation["responses"].items()
        if status.isdigit() and int(status) >= 400
    ]


def test_every_error_answer_is_documented_with_the_contracts_body():
    schema = served_schema()
    errors = error_responses(schema)

    assert len(errors) > 50  # every /v1 operation has several
    for path, method, status, response in errors:
        ref = response["content"]["application/json"]["schema"]["$ref"]
        assert ref == NOT_ERROR_BODIES.get((path, method, status), ERROR_REF), (path, method, status)
    operations = [(p, m) for p, item in schema["paths"].items() for m in item if m in METHODS]
    assert {(p, m) for p, m, status, _ in errors if status == "500"} == set(operations)
    assert "HTTPValidationError" not in json.dumps(schema)
    detail = schema["components"]["schemas"]["ErrorDetail"]
    assert {"code", "message"} <= set(detail["required"])
    assert {"field", "location", "details", "candidates"} <= set(detail["properties"])
    body = schema["components"]["schemas"]["ErrorBody"]
    assert body["properties"]["error"]["$ref"] == "#/components/schemas/ErrorDetail"


def test_the_sync_409_shows_the_error_body():
    schema = served_schema()
    conflict = schema["paths"]["/v1/sync"]["post"]["responses"]["409"]["content"]["application/json"]
    assert conflict["schema"]["$ref"] == ERROR_REF
    assert conflict["example"]["error"]["code"] == "sync_in_progress"


class Thing(BaseModel):
    name: str


def test_a_route_added_later_gets_the_error_body_too():
    """Routes of other modules (added after this test was written) are completed the same way."""
    app = FastAPI()

    @app.post("/v1/things/{thing_id}", responses={409: {"description": "Already there."}})
    def put_thing(thing_id: int, thing: Thing) -> Thing:
        return thing

    install_contract_schema(app)
    responses = app.openapi()["paths"]["/v1/things/{thing_id}"]["post"]["responses"]

    assert responses["409"]["content"]["application/json"]["schema"]["$ref"] == ERROR_REF
    assert responses["422"]["content"]["application/json"]["schema"]["$ref"] == ERROR_REF  # not FastAPI's own
    assert responses["500"]["content"]["application/json"]["schema"]["$ref"] == ERROR_REF
    assert responses["200"]["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/Thing"
    assert "HTTPValidationError" not in app.openapi()["components"]["schemas"]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_kgcrm_openapi_writes_the_file_and_check_names_the_command(runner, tmp_path, monkeypatch):
    monkeypatch.setenv("KGCRM_SETTINGS_FILE", str(tmp_path / "none.env"))
    out = tmp_path / "openapi.json"
    out.write_text('{"openapi": "3.1.0"}\n', encoding="utf-8")

    stale = runner.invoke(cli_app, ["openapi", "--out", str(out), "--check"])
    assert stale.exit_code == 1
    assert "make openapi" in stale.output
    assert out.read_text(encoding="utf-8") == '{"openapi": "3.1.0"}\n'  # --check writes nothing

    written = runner.invoke(cli_app, ["openapi", "--out", str(out)])
    assert written.exit_code == 0, written.output
    assert out.read_text(encoding="utf-8") == COMMITTED.read_text(encoding="utf-8")
    assert runner.invoke(cli_app, ["openapi", "--out", str(out), "--check"]).exit_code == 0
