"""Tenant isolation, adversarially: with tenant A's key, nothing of tenant B, ever.

The two tenants have look-alike organizations (Acme Corp. / Acme Corporation …).
Every answer's ids are checked against the relational rows' tenants; B's ids are 404
(indistinguishable from ids that do not exist); injection strings in every field are
a 4xx or an empty answer, never a 5xx, never B's data, and the graph is unchanged.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.api.helpers import assert_error, assert_no_trace, graph_fingerprint, ids_in

pytestmark = pytest.mark.neo4j

INJECTIONS = [
    "' OR 1=1 //",
    '" OR 1=1 //',
    "}) MATCH (n) DETACH DELETE n //",
    "x'}) MATCH (n) DETACH DELETE n RETURN 1 AS id //",
    "*:*",
    "name:* OR tenant_id:*",
    "\\",
    "\u0000",
    "Acme\u0000",
    "$tenant",
    "{tenant: null}",
    "') CALL db.labels() YIELD label RETURN label //",
    "; DROP TABLE api_key; --",
    "名前" * 40,
    "😀" * 200,
    "𝔄𝔠𝔪𝔢 \u202e\u200b",
    "名" * 5000,  # over the limit
]


def b_ids(world, table: str, limit: int = 3) -> list[str]:
    with world.engine.connect() as conn:
        return list(
            conn.execute(
                sa.text(f"SELECT id FROM {table} WHERE tenant_id = :t ORDER BY id LIMIT :n"),  # noqa: S608
                {"t": world.b.id, "n": limit},
            ).scalars()
        )


def only_a(world, body) -> None:
    """Every row id in the answer is tenant A's (or no row at all, e.g. a generated id)."""
    tenants = {world.tenant_of(i) for i in ids_in(body)} - {None}
    assert tenants <= {world.a.id}, body


@pytest.fixture(scope="module")
def b_entities(world):
    ids = []
    for table in ("individual", "organization", "contact", "lead", "note", "interaction", "app_user", "account"):
        ids += b_ids(world, table, 2)
    return ids


def test_b_entity_ids_are_404_for_a(world, b_entities):
    headers = world.a.headers()

    for entity_id in [*b_entities, world.b.id, world.b.truth["own_organization"]]:
        assert_error(world.client.get(f"/v1/entities/{entity_id}", headers=headers), 404, "not_found")
        assert_error(world.client.get(f"/v1/entities/{entity_id}/neighborhood", headers=headers), 404, "not_found")
        assert_error(
            world.client.get(
                f"/v1/entities/{entity_id}/neighborhood", params={"depth": 2, "limit": 200}, headers=headers
            ),
            404,
            "not_found",
        )


def test_b_targets_are_404_for_a(world):
    people = b_ids(world, "individual")
    headers = world.a.headers()

    for target in [*people, world.b.truth["own_organization"], world.b.truth["warm_paths"][0]["target"]["id"]]:
        assert_error(world.client.get("/v1/connections", params={"target": target}, headers=headers), 404)


def test_look_alikes_resolve_inside_the_callers_tenant(world):
    for look_alike in world.truth["look_alikes"]:
        for slug, entity in look_alike["per_tenant"].items():
            for tenant in (world.a, world.b):
                response = world.client.post("/v1/resolve", json={"text": entity["name"]}, headers=tenant.headers())
                assert response.status_code == 200, response.text
                candidates = response.json()["candidates"]
                assert {world.tenant_of(c["id"]) for c in candidates} <= {tenant.id}, (slug, entity, candidates)
                own = look_alike["per_tenant"].get(tenant.slug)
                if own is not None and slug == tenant.slug:
                    assert own["id"] in {c["id"] for c in candidates[:3]}, (entity, candidates)


def test_names_only_in_b_find_nothing_of_b(world):
    with world.engine.connect() as conn:
        names_a = {
            n.lower()
            for n in conn.execute(
                sa.text("SELECT name FROM organization WHERE tenant_id = :t"), {"t": world.a.id}
            ).scalars()
            if n
        }
        only_b = [
            n
            for n in conn.execute(
                sa.text("SELECT name FROM organization WHERE tenant_id = :t ORDER BY name"), {"t": world.b.id}
            ).scalars()
            if n and n.lower() not in names_a
        ][:8]
        people_b = list(
            conn.execute(
                sa.text(
                    "SELECT first_name || ' ' || last_name FROM individual WHERE tenant_id = :t ORDER BY id LIMIT 5"
                ),
                {"t": world.b.id},
            ).scalars()
        )
    assert only_b
    headers = world.a.headers()

    for name in only_b + people_b:
        for response in (
            world.client.post("/v1/resolve", json={"text": name, "limit": 50}, headers=headers),
            world.client.get("/v1/search", params={"q": name, "limit": 50}, headers=headers),
            world.client.post("/v1/ask", json={"question": f"Who do we know at {name}?"}, headers=headers),
            world.client.get("/v1/connections", params={"target": name}, headers=headers),
        ):
            assert response.status_code in (200, 404, 409), response.text
            only_a(world, response.json())


def requests_with(value: str, world):
    """Every field of every endpoint, with ``value`` in it."""
    yield "post", "/v1/resolve", {"json": {"text": value}}
    yield "post", "/v1/resolve", {"json": {"text": "Acme", "types": [value]}}
    yield "get", "/v1/connections", {"params": {"target": value}}
    yield "get", "/v1/connections", {"params": {"target": "Acme", "limit": value}}
    yield "get", "/v1/connections", {"params": {"target": "Acme", "max_hops": value}}
    yield "post", "/v1/ask", {"json": {"question": value}}
    yield "post", "/v1/ask", {"json": {"question": "How many deals did we win?", "conversation_id": value}}
    yield "get", "/v1/search", {"params": {"q": value}}
    yield "get", "/v1/search", {"params": {"q": "Acme", "types": value}}
    yield "get", "/v1/search", {"params": {"q": "Acme", "limit": value}}
    yield "get", f"/v1/entities/{value}", {}
    yield "get", f"/v1/entities/{world.a.truth['own_organization']}/neighborhood", {"params": {"depth": value}}
    yield "get", f"/v1/entities/{value}/neighborhood", {}
    yield "post", "/v1/sync", {"json": {"mode": value}}


@pytest.mark.parametrize("value", INJECTIONS, ids=[f"injection-{i}" for i in range(len(INJECTIONS))])
def test_injection_in_every_field_is_refused_or_empty(world, value):
    before = graph_fingerprint(world.driver)
    headers = world.a.headers()

    for method, url, kwargs in requests_with(value, world):
        if "/entities/" in url and ("/" in value or "\\" in value or "\u0000" in value or len(value) > 2000):
            continue  # not a path segment: refused by the router or the client, not by the API
        response = getattr(world.client, method)(url, headers=headers, **kwargs)
        assert response.status_code < 500, (method, url, value, response.text)
        assert_no_trace(response)
        if response.status_code >= 400:
            assert_error(response, response.status_code)
        else:
            only_a(world, response.json())

    assert graph_fingerprint(world.driver) == before


def test_an_injection_as_the_key_is_401(world):
    for value in INJECTIONS[:8]:
        response = world.client.get("/v1/sync/status", headers={"Authorization": f"Bearer {value}"})
        assert response.status_code == 401, (value, response.text)


def test_ask_answers_a_tenant_only_from_its_own_rows(world):
    question = "How many opportunities did we win this quarter?"

    a = world.client.post("/v1/ask", json={"question": question}, headers=world.a.headers()).json()
    b = world.client.post("/v1/ask", json={"question": question}, headers=world.b.headers()).json()

    only_a(world, a)
    assert {world.tenant_of(i) for i in ids_in(b)} - {None} <= {world.b.id}


def test_conversations_are_per_tenant(world):
    org = world.truth["look_alikes"][0]["per_tenant"]
    conversation = "shared-conversation-id"
    world.client.post(
        "/v1/ask",
        json={"question": f"Who do we know at {org[world.b.slug]['name']}?", "conversation_id": conversation},
        headers=world.b.headers(),
    )

    response = world.client.post(
        "/v1/ask",
        json={"question": "Who can introduce us to that company?", "conversation_id": conversation},
        headers=world.a.headers(),
    )

    assert response.status_code == 200
    only_a(world, response.json())


@pytest.mark.parametrize(
    "raw", ["%00", "%27%20OR%201%3D1%20%2F%2F", "%7D)%20MATCH%20(n)%20DETACH%20DELETE%20n", "*", "%5C", "..%2F..%2Fetc"]
)
def test_odd_entity_paths_are_404(world, raw):
    before = graph_fingerprint(world.driver)

    for url in (f"/v1/entities/{raw}", f"/v1/entities/{raw}/neighborhood?depth=2"):
        response = world.client.get(url, headers=world.a.headers())
        assert response.status_code in (404, 422), (url, response.text)
        assert_error(response, response.status_code)

    assert graph_fingerprint(world.driver) == before


def test_too_many_types_is_422(world):
    response = world.client.get(
        "/v1/search", params=[("q", "Acme")] + [("types", "Note")] * 20, headers=world.a.headers()
    )

    assert_error(response, 422, "invalid_input", "types")
