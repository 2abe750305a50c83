"""A small demo CRM of two tenants, seeded and synced into the test Neo4j (the Browser pack's tests).

Seeded "now" (so that "what changed this week" has rows), deduplicated (so that the
duplicates query has pairs), and read back: each tenant's id, slug and best-connected
person, as the queries with an empty ``$person`` pick them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import neo4j
import pytest

from kgcrm.crm.database import make_engine, upgrade
from kgcrm.crm.seed import seed_database
from kgcrm.crm.seed_generate import SeedConfig
from kgcrm.graph.gateway import GraphGateway
from kgcrm.graph.schema import apply_schema
from kgcrm.retrieval.dedupe import DuplicateFinder
from kgcrm.sync.engine import GraphSync


@dataclass(frozen=True)
class SeededTenant:
    id: str
    slug: str
    name: str


@dataclass(frozen=True)
class SeededGraph:
    crm: Path  # the SQLite file of the CRM
    tenants: tuple[SeededTenant, SeededTenant]


def wipe(driver: neo4j.Driver) -> None:
    with driver.session() as session:
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()


def seed_two_tenants(driver: neo4j.Driver, sqlite_template: Path, directory: Path) -> SeededGraph:
    """Empty the graph, seed a two-tenant CRM, sync it, run dedupe in each tenant."""
    wipe(driver)
    gateway = GraphGateway(driver)
    apply_schema(gateway, dimensions=384)
    path = directory / "crm.sqlite3"
    path.write_bytes(sqlite_template.read_bytes())
    engine = make_engine(f"sqlite:///{path}")
    try:
        upgrade(engine)
        now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        seed_database(engine, SeedConfig(tenants=2, scale=1200, seed=7, now=now))
        GraphSync(engine, gateway).full()
    finally:
        engine.dispose()
    rows = gateway.read(
        "test_tenants", "MATCH (t:Tenant) RETURN t.id AS id, t.slug AS slug, t.name AS name ORDER BY name"
    )
    tenants = tuple(SeededTenant(r["id"], r["slug"], r["name"]) for r in rows)
    assert len(tenants) == 2
    finder = DuplicateFinder(gateway)
    for tenant in tenants:
        finder.run(tenant.id)
    return SeededGraph(path, tenants)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def seeded_graph(
    neo4j_driver: neo4j.Driver, sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SeededGraph]:
    """The two-tenant demo graph, for one test module (emptied at its end)."""
    graph = seed_two_tenants(neo4j_driver, sqlite_template, tmp_path_factory.mktemp("browser-crm"))
    yield graph
    wipe(neo4j_driver)
