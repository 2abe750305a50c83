"""``DuplicateFinder`` on noisy CRM data written by plain SQL and synced: fitted pairs, edges, undo, tenants."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from kgcrm.crm.database import make_engine
from kgcrm.eval.duplicates import prf
from kgcrm.eval.noisy_crm import MEDIUM, NoiseConfig, generate, sized, write_crm
from kgcrm.graph.gateway import GraphGateway
from kgcrm.graph.schema import apply_schema
from kgcrm.retrieval.dedupe import DuplicateFinder
from kgcrm.sync.engine import GraphSync

logging.getLogger("splink").setLevel(logging.ERROR)


@pytest.fixture(scope="module")
def noisy(neo4j_driver, sqlite_template, tmp_path_factory) -> Iterator[dict[str, Any]]:
    """Two tenants of generated people; tenant B also holds an exact copy of one of A's people."""
    with neo4j_driver.session() as session:
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()
    gateway = GraphGateway(neo4j_driver)
    apply_schema(gateway, dimensions=384)
    path = tmp_path_factory.mktemp("noisy") / "crm.sqlite3"
    path.write_bytes(sqlite_template.read_bytes())
    engine = make_engine(f"sqlite:///{path}")
    a = generate(sized(MEDIUM, 300))
    b = generate(sized(NoiseConfig("other tenant", seed=4242), 200))
    twin = dataclasses.replace(a.people[0], id="00000000-0000-4000-8000-000000000001", org_id=None, org_name=None)
    b.people.append(twin)
    try:
        tenants = {"a": write_crm(engine, a, tenant_slug="noisy-a"), "b": write_crm(engine, b, tenant_slug="noisy-b")}
        GraphSync(engine, gateway).full()
        yield {"engine": engine, "gateway": gateway, "tenants": tenants, "a": a, "b": b, "twin": twin}
    finally:
        engine.dispose()


def _tenant_of(engine: sa.Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(sa.text("SELECT id, tenant_id FROM individual")).fetchall())  # type: ignore[arg-type]


@pytest.mark.neo4j
def test_finds_the_generated_duplicates_and_keeps_the_tenant_boundary(noisy):
    finder = DuplicateFinder(noisy["gateway"])
    tenant_a, tenant_b = noisy["tenants"]["a"], noisy["tenants"]["b"]
    try:
        report = finder.run(tenant_a, types=["Person"])
        assert report.records["Person"] == len(noisy["a"].people)
        found = {(p.a_id, p.b_id) for p in report.pairs}
        figures = prf(found, noisy["a"].pairs)
        assert figures.f1 >= 0.9, figures

        owner = _tenant_of(noisy["engine"])  # the CRM says which tenant each person is in
        edges = finder.edges(tenant_a)
        assert {(e["a"], e["b"]) for e in edges} == found
        assert all(owner[e["a"]] == owner[e["b"]] == tenant_a for e in edges)
        twin = noisy["twin"].id
        assert not any(twin in (e["a"], e["b"]) for e in edges)  # the copy in tenant B is never A's duplicate

        for edge in edges:  # each edge explains itself: reasons in words, a weight per field
            assert edge["reasons"] and len(edge["fields"]) == len(edge["field_weights"]) > 0
            assert set(edge["fields"]) <= {"name", "email", "phone", "employer"}

        again = finder.run(tenant_a, types=["Person"])  # idempotent
        assert again.removed == 0 and {(e["a"], e["b"]) for e in finder.edges(tenant_a)} == found

        report_b = finder.run(tenant_b, types=["Person"])
        assert all(owner[p.a_id] == owner[p.b_id] == tenant_b for p in report_b.pairs)
        assert finder.clear(tenant_a) == len(found)  # the undo, in A only
        assert finder.edges(tenant_a) == []
        assert {(e["a"], e["b"]) for e in finder.edges(tenant_b)} == {(p.a_id, p.b_id) for p in report_b.pairs}
    finally:
        finder.clear(tenant_a, only_ours=False)
        finder.clear(tenant_b, only_ours=False)
