"""The sync owns the graph schema: every run applies what is missing, and the API never answers 500 without it.

On a Neo4j with no constraint and no index (dropped first), the sequence a newcomer runs:
``kgcrm db upgrade``, rows written with plain SQL, ``kgcrm sync --full``, then every ``/v1``
endpoint: no 5xx. And the API queried before any sync: 503 naming the fix, never 500.
The CLI steps are real ``kgcrm`` processes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import neo4j
import pytest
from fastapi.testclient import TestClient

from kgcrm.api import keys
from kgcrm.api.app import create_app
from kgcrm.core.errors import SchemaError
from kgcrm.crm.database import make_engine
from kgcrm.graph.gateway import GraphGateway
from kgcrm.graph.schema import apply_schema, ensure_schema, schema_state, schema_statements
from kgcrm.graph.server import Neo4jCredentials
from kgcrm.services import build_services
from kgcrm.sync.engine import GraphSync
from tests.api.helpers import api_settings, wipe_graph
from tests.support.crm_fixtures import Rows

pytestmark = pytest.mark.neo4j


def drop_schema(driver: neo4j.Driver) -> None:
    """Every constraint and index (but the token lookups Neo4j keeps) dropped: a brand-new Neo4j."""
    for record in driver.execute_query("SHOW CONSTRAINTS YIELD name RETURN name").records:
        driver.execute_query(f"DROP CONSTRAINT `{record['name']}` IF EXISTS")
    for record in driver.execute_query("SHOW INDEXES YIELD name, type WHERE type <> 'LOOKUP' RETURN name").records:
        driver.execute_query(f"DROP INDEX `{record['name']}` IF EXISTS")


@pytest.fixture
def bare_neo4j(neo4j_driver: neo4j.Driver) -> Iterator[GraphGateway]:
    """An empty graph without any constraint or index; the schema is put back afterwards."""
    wipe_graph(neo4j_driver)
    drop_schema(neo4j_driver)
    gateway = GraphGateway(neo4j_driver)
    yield gateway
    wipe_graph(neo4j_driver)
    apply_schema(gateway, dimensions=384)


def kgcrm(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", "from kgcrm.cli import main; main()", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)


def cli_env(path: Path, credentials: Neo4jCredentials) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"sqlite:///{path}",
        NEO4J_URI=credentials.uri,
        NEO4J_USER=credentials.user,
        NEO4J_PASSWORD=credentials.password.get_secret_value(),
        KGCRM_DATA_DIR=str(path.parent / "kgcrm-data"),
        KGCRM_SETTINGS_FILE=str(path.parent / "no-settings.env"),
    )
    return env


def plain_sql_crm(rows: Rows) -> dict[str, str]:
    """A small CRM written with plain SQL, as an outside tool would."""
    t = rows.insert("tenant", name="Acme Inc", slug="acme")
    ids = {"tenant": t}
    ids["ann"] = rows.insert("individual", tenant_id=t, first_name="Ann", last_name="Lee", email="ann@globex.com")
    ids["bob"] = rows.insert("individual", tenant_id=t, first_name="Robert", last_name="Smith")
    ids["user"] = rows.insert("app_user", tenant_id=t, email="bob@acme.com", full_name="Bob", individual_id=ids["bob"])
    ids["globex"] = rows.insert("organization", tenant_id=t, name="Globex", domain="globex.com")
    rows.insert("contact", tenant_id=t, individual_id=ids["ann"], organization_id=ids["globex"], title="CTO")
    ids["note"] = rows.insert(
        "note", tenant_id=t, subject_type="individual", subject_id=ids["ann"], body="Likes hiking"
    )
    meeting = rows.insert(
        "interaction", tenant_id=t, kind="meeting", subject="Kick-off", occurred_at="2026-11-01 10:00:00+00:00"
    )
    for person in ("ann", "bob"):
        rows.insert("interaction_participant", tenant_id=t, interaction_id=meeting, individual_id=ids[person])
    return ids


def every_v1_endpoint(client: TestClient, headers: dict[str, str], ids: dict[str, str]) -> dict[str, int]:
    """Each /v1 endpoint once, with valid input; their status codes (``sync`` last: it applies the schema)."""
    calls: dict[str, Any] = {
        "resolve": lambda: client.post("/v1/resolve", json={"text": "Ann Lee"}, headers=headers),
        "connections": lambda: client.get("/v1/connections", params={"target": ids["ann"]}, headers=headers),
        "ask": lambda: client.post("/v1/ask", json={"question": "Who works at Globex?"}, headers=headers),
        "search": lambda: client.get("/v1/search", params={"q": "hiking"}, headers=headers),
        "entities": lambda: client.get(f"/v1/entities/{ids['ann']}", headers=headers),
        "neighborhood": lambda: client.get(f"/v1/entities/{ids['ann']}/neighborhood", headers=headers),
        "sync/status": lambda: client.get("/v1/sync/status", headers=headers),
        "sync": lambda: client.post("/v1/sync", json={"mode": "incremental"}, headers=headers),
    }
    return {name: call().status_code for name, call in calls.items()}


@pytest.fixture
def newcomer(tmp_path: Path, neo4j_credentials: Neo4jCredentials, bare_neo4j: GraphGateway) -> Iterator[Any]:
    """`kgcrm db upgrade` on a new SQLite file, plain-SQL rows, an API key; the API over it."""
    path = tmp_path / "crm.sqlite3"
    env = cli_env(path, neo4j_credentials)
    upgraded = kgcrm(env, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    engine = make_engine(f"sqlite:///{path}")
    ids = plain_sql_crm(Rows(engine))
    key = keys.create_key(engine, "acme").key
    settings = api_settings(path, neo4j_credentials)
    services = build_services(settings, engine=engine, load_embeddings=False, chat_from_settings=False)
    with TestClient(create_app(settings, services=services), raise_server_exceptions=False) as client:
        yield env, client, {"Authorization": f"Bearer {key}"}, ids
    services.close()
    engine.dispose()


def test_on_a_neo4j_without_schema_a_full_sync_creates_it_and_every_endpoint_answers(newcomer, bare_neo4j):
    env, client, headers, ids = newcomer
    assert set(schema_state(bare_neo4j).missing) >= {"entity_names", "content_text", "tenant_slug", "entity"}

    synced = kgcrm(env, "sync", "--full", "--no-embeddings")

    assert synced.returncode == 0, synced.stderr
    assert schema_state(bare_neo4j).ok
    statuses = every_v1_endpoint(client, headers, ids)
    assert {name: code for name, code in statuses.items() if code >= 500} == {}, statuses
    assert statuses["resolve"] == 200
    assert client.get("/readyz").json()["services"]["graph_schema"] == {"status": "ok"}


def test_before_any_sync_the_api_answers_503_naming_the_fix_never_500(newcomer):
    _, client, headers, ids = newcomer

    resolved = client.post("/v1/resolve", json={"text": "Ann Lee"}, headers=headers)
    ready = client.get("/readyz")
    statuses = every_v1_endpoint(client, headers, ids)  # POST /v1/sync, last, applies the schema

    assert {name: code for name, code in statuses.items() if code >= 500 and code != 503} == {}, statuses
    assert resolved.status_code == 503
    assert resolved.headers["Retry-After"]
    assert "kgcrm graph init" in resolved.json()["error"]["message"]
    assert "entity_names" in resolved.json()["error"]["message"]
    assert ready.status_code == 503
    schema = ready.json()["services"]["graph_schema"]
    assert schema["status"] == "error"
    assert {"entity_names", "content_text"} <= set(schema["missing"])
    assert statuses["sync"] == 200  # and now the schema is there
    assert client.post("/v1/resolve", json={"text": "Ann Lee"}, headers=headers).status_code == 200


def test_an_incremental_sync_creates_the_missing_schema_too(bare_neo4j, engine, rows):
    plain_sql_crm(rows)

    GraphSync(engine, bare_neo4j).incremental()

    assert schema_state(bare_neo4j).ok


def test_ensure_schema_applies_only_what_is_missing(bare_neo4j):
    apply_schema(bare_neo4j, dimensions=384)
    bare_neo4j.write("drop", "DROP INDEX entity_names")
    bare_neo4j.write("drop", "DROP CONSTRAINT tenant_slug")

    applied = ensure_schema(bare_neo4j, dimensions=384).applied
    again = ensure_schema(bare_neo4j, dimensions=384).applied

    assert sorted(applied) == ["entity_names", "tenant_slug"]
    assert again == ()
    assert schema_state(bare_neo4j).ok


def test_every_schema_statement_creates_a_named_constraint_or_index():
    names = schema_statements()

    assert len(names) == len(set(names)) > 30
    assert {"tenant_id", "entity_names", "works_at_contact"} <= set(names)


def test_a_query_on_a_missing_index_is_a_schema_error_naming_the_fix(bare_neo4j):
    with pytest.raises(SchemaError, match=r"index 'entity_names'.*kgcrm graph init"):
        bare_neo4j.read(
            "resolve_fulltext", "CALL db.index.fulltext.queryNodes('entity_names', 'x') YIELD node RETURN node"
        )
    with pytest.raises(SchemaError, match=r"vector index 'entity'"):
        bare_neo4j.read(
            "resolve_vector", "CALL db.index.vector.queryNodes('entity', 3, [1.0, 0.0]) YIELD node RETURN node"
        )


def test_readyz_names_the_missing_indexes_by_name(bare_neo4j):
    apply_schema(bare_neo4j, dimensions=384)
    bare_neo4j.write("drop", "DROP INDEX content_text")

    state = schema_state(bare_neo4j)

    assert state.missing == ("content_text",)
    assert "content_text" in state.describe()
