"""With the real embedding model: loaded once by the app's services, used for query embeddings,
and by ``POST /v1/sync`` to embed what it wrote, so that search finds by meaning."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from kgcrm.api.app import create_app
from kgcrm.api.services import build_services
from tests.api.helpers import NOW

pytestmark = [pytest.mark.neo4j, pytest.mark.slow]

NOTE = "The customer intends to cancel the subscription because the invoice became far too expensive."
QUERY = "client churn risk over a price hike"


@pytest.fixture(scope="module")
def with_model(world):
    services = build_services(
        world.settings,
        engine=world.engine,
        gateway=world.gateway,
        load_embeddings=True,
        chat_from_settings=False,
        clock=lambda: NOW,
    )
    with TestClient(create_app(world.settings, services=services)) as client:
        yield client, services
    services.close()


def test_the_model_is_loaded_and_ready(with_model):
    client, services = with_model

    assert services.embedding_model is not None
    assert client.get("/readyz").json()["services"]["embedding"] == {"status": "ok"}


def test_sync_embeds_what_it_wrote_and_search_finds_it_by_meaning(world, with_model):
    client, _ = with_model
    note_id = str(uuid.uuid4())
    with world.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO note (id, tenant_id, subject_type, subject_id, body) "
                "VALUES (:id, :tenant, 'organization', :org, :body)"
            ),
            {"id": note_id, "tenant": world.a.id, "org": world.a.truth["own_organization"], "body": NOTE},
        )

    synced = client.post("/v1/sync", json={"mode": "incremental"}, headers=world.a.headers())
    by_meaning = client.get("/v1/search", params={"q": QUERY, "limit": 10}, headers=world.a.headers())
    by_words_only = world.client.get("/v1/search", params={"q": QUERY, "limit": 10}, headers=world.a.headers())
    other_tenant = client.get("/v1/search", params={"q": QUERY, "limit": 50}, headers=world.b.headers())

    assert synced.status_code == 200, synced.text
    with world.driver.session() as session:
        embedded = session.run("MATCH (n:Note {id: $id}) RETURN n.embedding IS NOT NULL AS e", id=note_id).single()
    assert embedded is not None and embedded["e"] is True
    assert note_id in {r["id"] for r in by_meaning.json()["results"]}
    assert note_id not in {r["id"] for r in by_words_only.json()["results"]}
    assert note_id not in {r["id"] for r in other_tenant.json()["results"]}
