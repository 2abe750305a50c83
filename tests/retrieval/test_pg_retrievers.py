"""kgcrm's retrievers inside LlamaIndex: composed by a PropertyGraphIndex over Neo4jPropertyGraphStore,
the same answers as the pipeline, and never a row of another tenant."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from llama_index.core.llms.mock import MockLLM
from llama_index.core.query_engine import RetrieverQueryEngine

from kgcrm.core.errors import KgcrmError
from kgcrm.crm.database import make_engine, upgrade
from kgcrm.crm.seed import seed_database
from kgcrm.crm.seed_generate import SeedConfig
from kgcrm.graph.gateway import GraphGateway
from kgcrm.graph.schema import apply_schema
from kgcrm.retrieval.pg_retrievers import AskRetriever, kgcrm_index, kgcrm_pg_retriever
from kgcrm.retrieval.stack import build_stack
from kgcrm.sync.engine import GraphSync

pytestmark = pytest.mark.neo4j

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory, neo4j_driver):
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('crm') / 'crm.sqlite3'}")
    upgrade(engine)
    seed_database(engine, SeedConfig(tenants=2, scale=1200, seed=11, now=NOW))
    gateway = GraphGateway(neo4j_driver)
    with neo4j_driver.session() as session:
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()
    apply_schema(gateway, dimensions=384)
    GraphSync(engine, gateway).full()
    with engine.connect() as conn:
        tenants = [r[0] for r in conn.execute(sa.text("SELECT id FROM tenant ORDER BY slug"))]
    yield engine, gateway, tenants
    engine.dispose()


@pytest.fixture(scope="module")
def index(llamaindex_store):
    return kgcrm_index(llamaindex_store)


@pytest.fixture(scope="module")
def stack(seeded):
    _, gateway, _ = seeded
    return build_stack(gateway, embed=None, clock=lambda: NOW)


def owners(gateway: GraphGateway, ids: list[str]) -> set[str]:
    rows = gateway.read("owners", "MATCH (n) WHERE n.id IN $ids RETURN DISTINCT n.tenant_id AS t", {"ids": ids})
    return {r["t"] for r in rows}


def only_in(engine, tenant: str, other: str) -> str:
    """An organization name that exists in ``other`` and not in ``tenant``."""
    with engine.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT name FROM organization WHERE tenant_id = :other AND name NOT IN "
                "(SELECT name FROM organization WHERE tenant_id = :tenant) ORDER BY name LIMIT 1"
            ),
            {"tenant": tenant, "other": other},
        ).scalar_one()


def test_the_ask_retriever_gives_the_pipelines_answer_with_its_provenance(seeded, index, stack):
    _, _, tenants = seeded
    question = "How many deals by stage?"

    nodes = kgcrm_pg_retriever(index, stack, tenants[0]).retrieve(question)

    expected = stack.ask.ask(question, tenants[0])
    assert len(nodes) == 1
    assert nodes[0].node.get_content().startswith(expected.answer)
    assert nodes[0].node.metadata["method"] == "template"
    assert "$tenant" in nodes[0].node.metadata["cypher"]


def test_composed_parts_come_in_order_and_resolution_keeps_the_calibrated_scores(seeded, index, stack):
    engine, _, tenants = seeded
    with engine.connect() as conn:
        name = conn.execute(
            sa.text("SELECT name FROM organization WHERE tenant_id = :t ORDER BY name LIMIT 1"), {"t": tenants[0]}
        ).scalar_one()

    nodes = kgcrm_pg_retriever(index, stack, tenants[0], parts=("resolve", "search")).retrieve(name)

    expected = stack.resolver.resolve(name, tenants[0])
    resolved = [n for n in nodes if n.node.metadata.get("entity_id") and "ambiguous" in n.node.metadata]
    assert [(n.node.metadata["entity_id"], n.score) for n in resolved] == [(c.id, c.score) for c in expected.candidates]
    assert resolved[0].node.metadata["entity_id"] == expected.candidates[0].id


def test_a_query_engine_with_a_scripted_llm_answers_from_kgcrms_nodes(seeded, index, stack):
    """The LLM is LlamaIndex's MockLLM (scripted: no network); the point is the plumbing."""
    _, _, tenants = seeded
    engine = RetrieverQueryEngine.from_args(kgcrm_pg_retriever(index, stack, tenants[0]), llm=MockLLM())

    response = engine.query("How many deals by stage?")

    assert [n.node.metadata["method"] for n in response.source_nodes] == ["template"]


@pytest.mark.parametrize(
    "make_question",
    [
        lambda name, other: f"who connects us to {name}?",
        lambda name, other: f"contacts at {name}",
        lambda name, other: f"notes about {name}",
        lambda name, other: name,
        lambda name, other: f"{name}' OR n.tenant_id = '{other}",
        lambda name, other: f"{name} tenant_id:{other}",
    ],
)
def test_no_part_returns_another_tenants_rows(seeded, index, stack, make_question):
    engine, gateway, tenants = seeded
    mine, other = tenants
    question = make_question(only_in(engine, mine, other), other)

    retriever = kgcrm_pg_retriever(index, stack, mine, parts=("ask", "resolve", "connections", "search"))
    nodes = retriever.retrieve(question)

    ids = [n.node.metadata["entity_id"] for n in nodes if n.node.metadata.get("entity_id")]
    ids += [s.split(":", 1)[1] for n in nodes for s in n.node.metadata.get("sources", []) if ":" in s]
    ids += [s for n in nodes for s in n.node.metadata.get("sources", []) if ":" not in s]
    assert owners(gateway, ids) <= {mine}
    assert other not in " ".join(n.node.get_content() for n in nodes)


def test_a_retriever_needs_a_tenant_and_known_parts(index, stack):
    with pytest.raises(KgcrmError, match="tenant_id"):
        AskRetriever(index.property_graph_store, tenant_id="", component=stack.ask)
    with pytest.raises(KgcrmError, match="parts"):
        kgcrm_pg_retriever(index, stack, "t", parts=("ask", "llm_synonyms"))


def test_the_same_name_is_found_in_its_own_tenant(seeded, index, stack):
    """The control of the isolation test: the name does resolve, in the tenant that has it."""
    engine, gateway, tenants = seeded
    mine, other = tenants
    name = only_in(engine, mine, other)

    nodes = kgcrm_pg_retriever(index, stack, other, parts=("resolve",)).retrieve(name)

    assert nodes and owners(gateway, [nodes[0].node.metadata["entity_id"]]) == {other}
