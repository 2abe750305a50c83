"""A seeded two-tenant CRM, mirrored into the test Neo4j once for the semantic-layer tests,
and SQL helpers that compute the expected answers straight from the relational CRM."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kgcrm.crm.database import make_engine, upgrade
from kgcrm.crm.seed import seed_database
from kgcrm.crm.seed_generate import SeedConfig
from kgcrm.graph.gateway import GraphGateway
from kgcrm.graph.schema import apply_schema
from kgcrm.sync.engine import GraphSync

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)  # a Wednesday


@pytest.fixture(scope="session")
def crm(tmp_path_factory, neo4j_driver):
    """(engine, gateway, tenant ids) of a seeded CRM and its graph."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('semantic') / 'crm.sqlite3'}")
    upgrade(engine)
    report = seed_database(engine, SeedConfig(tenants=2, scale=2400, seed=11, now=NOW))
    gateway = GraphGateway(neo4j_driver)
    with neo4j_driver.session() as session:
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()
    apply_schema(gateway, dimensions=384)
    GraphSync(engine, gateway).full()
    yield engine, gateway, [t["id"] for t in report.truth["tenants"]]
    engine.dispose()
