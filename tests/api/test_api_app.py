"""The API end to end: a key made with the CLI calls every contract endpoint of the real app.

The app is built by :func:`kgcrm.api.app.create_app` over a seeded and synced CRM (``world``);
answers are checked against the seed's truth and the relational rows.
"""

from __future__ import annotations

import gc
import uuid

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from kgcrm.api import keys
from kgcrm.api.app import create_app
from tests.api.helpers import assert_error, assert_no_trace, ids_in, keys_cli

pytestmark = pytest.mark.neo4j

ENTITY_KEYS = {"id", "type", "name"}


@pytest.fixture(scope="module")
def new_key(world):
    """A key made the way a new user makes one: ``kgcrm keys create --tenant … --user …``."""
    result = CliRunner().invoke(
        keys_cli(world.settings), ["keys", "create", "--tenant", world.a.slug, "--user", world.a.user["email"]]
    )
    assert result.exit_code == 0, result.output
    return result.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def auth(new_key):
    return {"Authorization": f"Bearer {new_key}"}


def test_liveness_and_readiness_need_no_key(world):
    assert world.client.get("/healthz").json() == {"status": "ok"}

    ready = world.client.get("/readyz")

    assert ready.status_code == 200
    assert ready.json()["status"] == "ok"
    assert ready.json()["services"]["database"] == {"status": "ok"}
    assert ready.json()["services"]["neo4j"] == {"status": "ok"}


def test_resolve(world, auth):
    mention = next(m for m in world.a.truth["mentions"] if m["kind"] == "nickname_at_org")

    response = world.client.post("/v1/resolve", json={"text": mention["text"], "types": ["Person"]}, headers=auth)

    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) >= {"candidates", "ambiguous"}
    assert body["candidates"], body
    assert {body["candidates"][0]["id"]} <= {mention["expect"], *mention["also"]}
    for candidate in body["candidates"]:
        assert set(candidate) >= ENTITY_KEYS | {"score", "reasons"}
        assert candidate["type"] == "Person" and 0.0 <= candidate["score"] <= 1.0
        assert world.tenant_of(candidate["id"]) == world.a.id


def test_connections_by_id_start_from_the_keys_user(world, auth):
    path = next(p for p in world.a.truth["warm_paths"] if p["user_id"] == world.a.user["id"])

    response = world.client.get("/v1/connections", params={"target": path["target"]["id"]}, headers=auth)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["target"] == {"id": path["target"]["id"], "type": "Person", "name": path["target"]["name"]}
    assert body["paths"], body
    best = body["paths"][0]
    assert set(best) >= {"score", "from_user", "nodes", "hops", "explanation"}
    assert all(p["from_user"]["id"] == world.a.user["id"] for p in body["paths"])
    assert best["nodes"][0]["id"] == world.a.user["individual_id"] and best["nodes"][-1]["id"] == path["target"]["id"]
    assert set(best["hops"][0]) >= {"from", "to", "relation", "evidence"}
    assert [p["score"] for p in body["paths"]] == sorted((p["score"] for p in body["paths"]), reverse=True)


def test_connections_by_free_text_from_the_whole_team(world):
    org = next(la for la in world.truth["look_alikes"] if la["entity_type"] == "organization")
    name = org["per_tenant"][world.a.slug]["name"]

    response = world.client.get(
        "/v1/connections", params={"target": name, "limit": 3, "max_hops": 3}, headers=world.a.headers(world.a.team_key)
    )

    assert response.status_code in (200, 409), response.text
    if response.status_code == 200:
        body = response.json()
        assert body["target"]["type"] == "Organization"
        assert len(body["paths"]) <= 3 and all(len(p["hops"]) <= 3 for p in body["paths"])
        assert {world.tenant_of(i) for i in ids_in(body)} <= {world.a.id, None}


def test_connections_to_nobody_is_404(world, auth):
    assert_error(
        world.client.get("/v1/connections", params={"target": "Zzyzx Qwertyuiop"}, headers=auth),
        404,
        "not_found",
        "target",
    )
    assert_error(
        world.client.get("/v1/connections", params={"target": str(uuid.uuid4())}, headers=auth), 404, "not_found"
    )


def test_connections_to_an_entity_that_is_not_a_person_or_organization_is_422(world, auth):
    with world.engine.connect() as conn:
        note_id = conn.execute(sa.text("SELECT id FROM note WHERE tenant_id = :t LIMIT 1"), {"t": world.a.id}).scalar()

    assert_error(world.client.get("/v1/connections", params={"target": note_id}, headers=auth), 422, field="target")


def test_ask(world, auth):
    response = world.client.post(
        "/v1/ask", json={"question": "How many opportunities did we win this quarter?"}, headers=auth
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) >= {"answer", "data", "sources", "method", "interpretation", "unapplied", "query"}
    assert body["method"] == "semantic_layer" and isinstance(body["data"]["value"], int)
    assert body["unapplied"] == [] and body["query"]["entity"] == "deal"
    assert "$tenant_id" in body["cypher"]


def test_ask_my_tasks_is_the_keys_user(world):
    user_id = world.a.user["id"]
    with world.engine.connect() as conn:
        expected = conn.execute(
            sa.text(
                "SELECT count(*) FROM task t JOIN status s ON s.id = t.status_id "
                "WHERE t.tenant_id = :t AND t.assignee_id = :u AND s.category = 'open'"
            ),
            {"t": world.a.id, "u": user_id},
        ).scalar()

    mine = world.client.post("/v1/ask", json={"question": "my open tasks"}, headers=world.a.headers())
    team = world.client.post("/v1/ask", json={"question": "my open tasks"}, headers=world.a.headers(world.a.team_key))

    assert mine.status_code == 200 and team.status_code == 200, (mine.text, team.text)
    assert mine.json()["data"]["total"] == expected and mine.json()["unapplied"] == []
    assert team.json()["unapplied"]  # a key without a user: "my" is reported, never dropped


def test_ask_follow_up_in_a_conversation(world, auth):
    org = next(la for la in world.truth["look_alikes"] if la["entity_type"] == "organization")
    name = org["per_tenant"][world.a.slug]["name"]
    conversation = f"c-{uuid.uuid4().hex[:8]}"

    first = world.client.post(
        "/v1/ask", json={"question": f"Who do we know at {name}?", "conversation_id": conversation}, headers=auth
    )
    second = world.client.post(
        "/v1/ask",
        json={"question": "Who can introduce us to that company?", "conversation_id": conversation},
        headers=auth,
    )

    assert first.status_code == 200 and second.status_code == 200, (first.text, second.text)
    assert second.json()["conversation_id"] == conversation
    assert {world.tenant_of(i) for i in ids_in(second.json())} <= {world.a.id, None}


def test_search(world, auth):
    org = next(la for la in world.truth["look_alikes"] if la["entity_type"] == "organization")
    name = org["per_tenant"][world.a.slug]["name"]

    response = world.client.get("/v1/search", params={"q": name, "limit": 5}, headers=auth)
    typed = world.client.get("/v1/search", params={"q": name, "types": "Note,Organization", "limit": 50}, headers=auth)

    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert 0 < len(results) <= 5
    assert all(set(r) >= ENTITY_KEYS | {"score", "snippet"} for r in results)
    assert {r["type"] for r in typed.json()["results"]} <= {"Note", "Organization"}
    assert {world.tenant_of(r["id"]) for r in results + typed.json()["results"]} == {world.a.id}


def test_entity(world, auth):
    org_id = world.a.truth["own_organization"]

    response = world.client.get(f"/v1/entities/{org_id}", headers=auth)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == org_id and body["type"] == "Organization" and body["name"]
    assert body["properties"]["tenant_id"] == world.a.id
    assert "embedding" not in body["properties"]


def test_neighborhood(world, auth):
    org_id = world.a.truth["own_organization"]

    one = world.client.get(f"/v1/entities/{org_id}/neighborhood", headers=auth)
    two = world.client.get(f"/v1/entities/{org_id}/neighborhood", params={"depth": 2, "limit": 30}, headers=auth)

    assert one.status_code == 200 and two.status_code == 200, (one.text, two.text)
    for body in (one.json(), two.json()):
        assert body["nodes"][0]["id"] == org_id
        node_ids = {n["id"] for n in body["nodes"]}
        assert all(r["from"] in node_ids and r["to"] in node_ids for r in body["relationships"])
        assert {world.tenant_of(i) for i in node_ids} == {world.a.id}
    assert len(two.json()["nodes"]) <= 31 and two.json()["truncated"] is True
    assert {r["type"] for r in one.json()["relationships"]} & {"AT", "WORKS_AT"}


def test_sync_applies_a_crm_change_and_reports_status(world, auth):
    note_id = str(uuid.uuid4())
    org_id = world.a.truth["own_organization"]
    with world.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO note (id, tenant_id, subject_type, subject_id, body) "
                "VALUES (:id, :tenant, 'organization', :org, 'Quarzite frobnicator pilot agreed')"
            ),
            {"id": note_id, "tenant": world.a.id, "org": org_id},
        )

    status = world.client.get("/v1/sync/status", headers=auth).json()
    assert status["pending"] >= 1 and status["lag_seconds"] >= 0
    other = world.client.get("/v1/sync/status", headers=world.b.headers()).json()
    assert other["pending"] == 0  # tenant B's view: nothing of B is pending

    response = world.client.post("/v1/sync", json={"mode": "incremental"}, headers=auth)

    assert response.status_code == 200, response.text
    assert response.json()["mode"] == "incremental" and response.json()["pending"] == 0
    after = world.client.get("/v1/sync/status", headers=auth).json()
    assert set(after) >= {"last_seq", "pending", "last_synced_at"}
    assert after["pending"] == 0 and after["last_seq"] > status["last_seq"] and after["last_synced_at"]
    assert world.client.get(f"/v1/entities/{note_id}", headers=auth).json()["type"] == "Note"
    found = world.client.get("/v1/search", params={"q": "quarzite frobnicator"}, headers=auth).json()["results"]
    assert found and found[0]["id"] == note_id
    assert_error(world.client.get(f"/v1/entities/{note_id}", headers=world.b.headers()), 404, "not_found")


def test_sync_without_a_body_is_incremental(world, auth):
    response = world.client.post("/v1/sync", headers=auth)

    assert response.status_code == 200, response.text
    assert response.json()["mode"] == "incremental"


def test_full_sync_rewrites_the_callers_tenant_only(world, auth):
    counts = world.a.truth["row_counts"]
    before = tenant_state(world, world.b.id)

    response = world.client.post("/v1/sync", json={"mode": "full"}, headers=auth)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["mode"] == "full" and body["tenant"] == world.a.slug
    assert body["nodes_written"]["Organization"] == counts["organization"]
    assert body["nodes_written"]["Person"] == counts["individual"]
    assert tenant_state(world, world.b.id) == before


def tenant_state(world, tenant_id):
    """A tenant's node and relationship counts and its newest update, in the graph."""
    with world.driver.session() as session:
        record = session.run(
            "MATCH (n) WHERE n.tenant_id = $t OPTIONAL MATCH (n)-[r]-() "
            "RETURN count(DISTINCT n) AS nodes, count(DISTINCT r) AS rels, max(toString(n.updated_at)) AS newest",
            t=tenant_id,
        ).single()
    return dict(record)


# --- keys ------------------------------------------------------------------------------------------


ENDPOINTS = [
    ("post", "/v1/resolve", {"json": {"text": "Acme"}}),
    ("get", "/v1/connections", {"params": {"target": "Acme"}}),
    ("post", "/v1/ask", {"json": {"question": "How many deals did we win?"}}),
    ("get", "/v1/search", {"params": {"q": "Acme"}}),
    ("get", f"/v1/entities/{uuid.uuid4()}", {}),
    ("get", f"/v1/entities/{uuid.uuid4()}/neighborhood", {}),
    ("post", "/v1/sync", {"json": {"mode": "incremental"}}),
    ("get", "/v1/sync/status", {}),
]


@pytest.mark.parametrize(("method", "url", "kwargs"), ENDPOINTS, ids=[f"{m} {u[:20]}" for m, u, _ in ENDPOINTS])
def test_every_v1_endpoint_needs_a_valid_key(world, method, url, kwargs):
    revoked = keys.create_key(world.engine, world.a.slug)
    keys.revoke_key(world.engine, revoked.id)
    call = getattr(world.client, method)

    for headers in (
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer not-a-key"},
        {"Authorization": f"Bearer {world.a.user_key[:-2]}xx"},
        {"Authorization": f"Bearer {revoked.key}"},
        {"Authorization": "Bearer " + "k" * 10_000},
    ):
        error = assert_error(call(url, headers=headers, **kwargs), 401, "unauthorized")
        assert "key" in error["message"]


def test_a_401_says_how_to_authenticate(world):
    response = world.client.get("/v1/sync/status")

    assert response.headers["www-authenticate"] == "Bearer"


def test_unknown_routes_and_methods_use_the_error_body(world, auth):
    assert_error(world.client.get("/v1/nothing-here", headers=auth), 404, "not_found")
    assert_error(world.client.delete("/v1/resolve", headers=auth), 405, "method_not_allowed")


def test_openapi_documents_every_endpoint_with_examples(world):
    spec = world.client.get("/openapi.json").json()

    assert set(spec["paths"]) >= {
        "/v1/resolve",
        "/v1/connections",
        "/v1/ask",
        "/v1/search",
        "/v1/entities/{entity_id}",
        "/v1/entities/{entity_id}/neighborhood",
        "/v1/sync",
        "/v1/sync/status",
        "/healthz",
        "/readyz",
    }
    text = str(spec)
    assert "example" in text and "ApiKey" in text
    for path in ("/v1/resolve", "/v1/ask"):
        body = spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]
        assert body.get("examples"), path


def test_metrics(world, auth):
    world.client.get("/v1/sync/status", headers=auth)
    world.client.get("/v1/search", params={"q": "x", "limit": 0}, headers=auth)

    response = world.client.get("/metrics")

    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'kgcrm_http_requests_total{method="GET",route="/v1/sync/status",status="200"}' in text
    assert 'route="/v1/search",status="422"' in text
    assert "kgcrm_http_request_duration_seconds_bucket" in text
    assert "kgcrm_sync_status_up 1.0" in text
    assert "kgcrm_sync_pending_changes" in text and "kgcrm_sync_lag_seconds" in text
    assert "kgcrm_api_graph_gate_wait_seconds_count" in text  # /v1/search went through the graph gate
    assert "kgcrm_api_graph_gate_bypassed_total" in text
    assert_no_trace(response)


def test_an_ambiguous_target_is_409_with_the_candidates(world, auth):
    first_names = ["Maria", "Michael", "David", "James", "John", "Robert", "Jennifer", "Sarah", "Chris", "Alex"]
    for name in first_names:
        resolved = world.client.post(
            "/v1/resolve", json={"text": name, "types": ["Person", "Organization"]}, headers=auth
        )
        if resolved.json()["ambiguous"] and len(resolved.json()["candidates"]) > 1:
            break
    else:
        pytest.fail("no ambiguous first name in the seed")

    response = world.client.get("/v1/connections", params={"target": name}, headers=auth)

    error = assert_error(response, 409, "ambiguous", "target")
    assert len(error["candidates"]) > 1
    assert all(set(c) >= ENTITY_KEYS | {"score"} for c in error["candidates"])
    assert {world.tenant_of(c["id"]) for c in error["candidates"]} == {world.a.id}


def test_a_servers_app_freezes_its_startup_heap_while_it_serves_and_thaws_it_at_shutdown(world):
    assert gc.get_freeze_count() == 0
    with TestClient(create_app(world.settings, services=world.services, freeze_heap=True)) as client:
        frozen = gc.get_freeze_count()
        assert client.get("/healthz").status_code == 200
    assert frozen > 10_000  # the modules, word lists and services: out of the full collections' way
    assert gc.get_freeze_count() == 0

    with TestClient(create_app(world.settings, services=world.services)) as client:  # services of a caller (a test)
        assert gc.get_freeze_count() == 0
