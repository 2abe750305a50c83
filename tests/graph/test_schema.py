"""The graph schema applies idempotently, comes online, and its constraints hold."""

from __future__ import annotations

import pytest

from kgcrm import cypher
from kgcrm.core.errors import GraphQueryError
from kgcrm.graph.gateway import GraphGateway
from kgcrm.graph.schema import apply_schema, await_indexes, index_states

pytestmark = pytest.mark.neo4j


@pytest.fixture
def gateway(neo4j_driver, clean_graph) -> GraphGateway:
    return GraphGateway(neo4j_driver)


def test_schema_applies_twice_and_every_index_is_online(gateway):
    first = apply_schema(gateway, dimensions=384)
    second = apply_schema(gateway, dimensions=384)

    assert {s.name for s in first} == {s.name for s in second}
    assert all(s.state == "ONLINE" for s in second)


def test_schema_has_the_indexes_retrieval_relies_on(gateway):
    apply_schema(gateway, dimensions=384)

    by_name = {s.name: s.type for s in index_states(gateway)}

    assert by_name["entity"] == "VECTOR"  # the name LlamaIndex's store queries
    assert by_name["entity_names"] == "FULLTEXT"
    assert by_name["content_text"] == "FULLTEXT"
    assert by_name["person_tenant"] == "RANGE"


def test_vector_index_has_the_configured_dimensions(gateway):
    apply_schema(gateway, dimensions=384)

    rows = gateway.read(
        "vector_options",
        "SHOW VECTOR INDEXES YIELD name, options WHERE name = 'entity' RETURN options",
    )

    assert rows[0]["options"]["indexConfig"]["vector.dimensions"] == 384


def test_unique_row_key_is_enforced(gateway):
    apply_schema(gateway, dimensions=384)
    gateway.write("p1", "CREATE (:Person {id: $id, tenant_id: 't'})", {"id": "p-1"})

    with pytest.raises(GraphQueryError, match="ConstraintValidationFailed"):
        gateway.write("p2", "CREATE (:Person {id: $id, tenant_id: 't'})", {"id": "p-1"})


def test_every_schema_statement_is_idempotent_ddl():
    for statement in cypher.statements("schema"):
        assert "IF NOT EXISTS" in statement, statement


def test_waiting_for_indexes_outlasts_the_gateways_query_timeout(neo4j_driver, clean_graph):
    writer = GraphGateway(neo4j_driver)
    writer.write("vectors", "UNWIND range(1, 20000) AS i CREATE (:WaitProbe {v: [x IN range(1, 384) | rand()]})")
    writer.write(
        "index",
        "CREATE VECTOR INDEX wait_probe IF NOT EXISTS FOR (p:WaitProbe) ON p.v "
        "OPTIONS {indexConfig: {`vector.dimensions`: 384, `vector.similarity_function`: 'cosine'}}",
    )
    impatient = GraphGateway(neo4j_driver, timeout_s=0.2)  # one db.awaitIndexes call was cut off at this
    try:
        states = await_indexes(impatient, timeout_s=600, poll_s=0.05)
    finally:
        writer.write("drop", "DROP INDEX wait_probe IF EXISTS")

    assert {s.name: s.state for s in states}["wait_probe"] == "ONLINE"
