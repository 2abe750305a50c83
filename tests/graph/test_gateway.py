"""The gateway's reads: one auto-commit transaction in read access mode, retried when that can help.

A real Neo4j for the reads; an address where nothing listens for the retries (a read that cannot reach
Neo4j is retryable; the gateway's log says each retry).
"""

from __future__ import annotations

import logging

import pytest
from pydantic import SecretStr

from bench.outage import free_port
from kgcrm.core.errors import GraphQueryError, Neo4jUnavailable
from kgcrm.graph.credentials import Neo4jCredentials
from kgcrm.graph.gateway import GraphGateway, make_driver


@pytest.fixture
def gateway(neo4j_driver, clean_graph) -> GraphGateway:
    return GraphGateway(neo4j_driver)


@pytest.mark.neo4j
def test_a_read_returns_its_rows_as_dicts_plain_or_exported(gateway):
    gateway.write("seed", "UNWIND range(1, 3) AS i CREATE (:Probe {i: i, tags: ['a', toString(i)]})")
    query = "MATCH (p:Probe) RETURN p.i AS i, p.tags AS tags ORDER BY i"

    rows = gateway.read("probes", query)

    assert rows == [{"i": 1, "tags": ["a", "1"]}, {"i": 2, "tags": ["a", "2"]}, {"i": 3, "tags": ["a", "3"]}]
    assert gateway.read("probes", query, plain=True) == rows


@pytest.mark.neo4j
def test_a_read_sees_the_write_before_it(gateway):
    for i in range(5):
        gateway.write("probe", "CREATE (:Probe {i: $i})", {"i": i})
        assert gateway.read("count", "MATCH (p:Probe) RETURN count(p) AS n")[0]["n"] == i + 1


@pytest.mark.neo4j
def test_a_read_that_writes_is_refused_and_changes_nothing(gateway):
    with pytest.raises(GraphQueryError, match=r"(?i)read|write"):
        gateway.read("sneaky", "CREATE (:Probe {i: 1}) RETURN 1 AS one")

    assert gateway.read("count", "MATCH (p:Probe) RETURN count(p) AS n")[0]["n"] == 0


@pytest.mark.parametrize("read_retry_s, retries", [(0.0, 0), (0.5, 2)])
def test_an_unreachable_neo4j_is_retried_for_read_retry_s_then_unavailable(read_retry_s, retries, caplog):
    nobody = Neo4jCredentials(f"bolt://127.0.0.1:{free_port()}", "neo4j", SecretStr("not-a-password"))
    driver = make_driver(nobody, max_transaction_retry_time=0, connection_timeout=1.0)
    gateway = GraphGateway(driver, read_retry_s=read_retry_s)
    caplog.set_level(logging.WARNING, logger="kgcrm.graph.gateway")
    try:
        with pytest.raises(Neo4jUnavailable, match="while running 'ping'"):
            gateway.read("ping", "RETURN 1 AS one")
    finally:
        driver.close()

    said = [r.getMessage() for r in caplog.records if "is retried" in r.getMessage()]
    # pauses of 0.1 s, then 0.2 s (±20 %); a third (0.4 s) would end after 0.5 s
    assert len(said) == retries, said
    assert "not-a-password" not in caplog.text


def test_a_negative_retry_time_is_refused(neo4j_driver):
    with pytest.raises(ValueError, match="read_retry_s"):
        GraphGateway(neo4j_driver, read_retry_s=-1)
