"""``GET /v1/context`` with the real embedding model: a question ranks the notes by meaning, not by date."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from kgcrm.api.app import create_app
from kgcrm.services import build_services
from kgcrm.sync.embeddings import EmbeddingPipeline
from tests.api.helpers import NOW

pytestmark = [pytest.mark.neo4j, pytest.mark.slow]


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


def test_a_question_brings_the_old_note_that_answers_it_first(world, with_model):
    client, services = with_model
    with world.engine.connect() as conn:  # the organization of tenant A with the most notes (at most 40: all read)
        org = conn.execute(
            sa.text(
                "SELECT subject_id FROM note WHERE tenant_id = :t AND subject_type = 'organization' "
                "GROUP BY subject_id HAVING count(*) BETWEEN 3 AND 40 ORDER BY count(*) DESC, subject_id LIMIT 1"
            ),
            {"t": world.a.id},
        ).scalar_one()
        notes_of_org = conn.execute(
            sa.text("SELECT id, body FROM note WHERE subject_id = :o ORDER BY created_at, id"), {"o": org}
        ).all()
    oldest = notes_of_org[0]
    # the sync's embedding pipeline embeds the organization's notes (the graph already mirrors them)
    pipeline = EmbeddingPipeline(world.gateway, services.embedding_model, model_name=world.settings.embedding_model)
    pipeline.submit([n.id for n in notes_of_org], expand=False)
    pipeline.close()
    question = f"What did we write about this: {oldest.body}"

    def notes(**params: str | int) -> list[str]:
        response = client.get("/v1/context", params={"about": org, **params}, headers=world.a.headers())
        assert response.status_code == 200, response.text
        body = response.json()
        return [
            s["id"] for sec in body["sections"] if sec["name"] == "notes" for i in sec["items"] for s in i["sources"]
        ]

    by_date = notes(budget_tokens=16000)
    by_question = notes(budget_tokens=16000, question=question)
    small = client.get(
        "/v1/context", params={"about": org, "budget_tokens": 400, "question": question}, headers=world.a.headers()
    ).json()

    own = [i for i in by_date if i in {n.id for n in notes_of_org}]  # (its accounts' and leads' notes too)
    assert set(own) == {n.id for n in notes_of_org}
    assert own[-1] == oldest.id  # the oldest: last by recency
    assert by_question[0] == oldest.id
    assert small["ranking"] == "question"
    assert oldest.id in {s["id"] for sec in small["sections"] for i in sec["items"] for s in i["sources"]}
