"""The sync against a real relational CRM (SQLite and PostgreSQL) and a real Neo4j.

Rows are written with plain SQL, as another CRM would write them.
"""

from __future__ import annotations

import pytest

from kgcrm.graph.gateway import GraphGateway
from kgcrm.graph.schema import apply_schema
from kgcrm.sync.engine import GraphSync
from kgcrm.sync.verify import SyncVerifier

pytestmark = pytest.mark.neo4j


@pytest.fixture
def gateway(neo4j_driver, clean_graph) -> GraphGateway:
    gateway = GraphGateway(neo4j_driver)
    apply_schema(gateway, dimensions=384)
    return gateway


@pytest.fixture
def crm(rows):
    """A small CRM of one tenant: Ann (our user) knows Bob, who works at Acme."""
    t = rows.tenant()
    ids = {"tenant": t}
    ids["ann"] = rows.insert("individual", tenant_id=t, first_name="Ann", last_name="Lee", email="ann@us.io")
    ids["bob"] = rows.insert("individual", tenant_id=t, first_name="Robert", last_name="Smith", email="bob@acme.com")
    ids["user"] = rows.insert("app_user", tenant_id=t, email="ann@us.io", full_name="Ann Lee", individual_id=ids["ann"])
    ids["acme"] = rows.insert("organization", tenant_id=t, name="Acme Corp", domain="acme.com")
    ids["acme_eu"] = rows.insert("organization", tenant_id=t, name="Acme Europe", parent_id=ids["acme"])
    ids["contact"] = rows.insert(
        "contact",
        tenant_id=t,
        individual_id=ids["bob"],
        organization_id=ids["acme"],
        title="CTO",
        started_on="2020-01-01",
    )
    ids["knows"] = rows.insert(
        "relationship",
        tenant_id=t,
        from_individual_id=ids["ann"],
        to_individual_id=ids["bob"],
        kind="knows",
        strength=0.8,
    )
    ids["call"] = rows.insert(
        "interaction",
        tenant_id=t,
        kind="call",
        subject="Intro call",
        occurred_at="2026-11-20T10:00:00Z",
        source="manual",
    )
    for person, role in ((ids["ann"], "from"), (ids["bob"], "to")):
        rows.insert("interaction_participant", tenant_id=t, interaction_id=ids["call"], individual_id=person, role=role)
    ids["note"] = rows.insert(
        "note", tenant_id=t, subject_type="organization", subject_id=ids["acme"], body="Acme wants a pilot"
    )
    ids["lead"] = rows.insert(
        "lead", tenant_id=t, lead_type="opportunity", title="Acme pilot", organization_id=ids["acme"]
    )
    rows.insert("opportunity", id=ids["lead"], tenant_id=t, amount=12000, currency="USD", probability=50)
    return ids


def relationships(gateway: GraphGateway, rel_type: str) -> set[tuple[str, str]]:
    rows = gateway.read("rels", f"MATCH (a)-[r:`{rel_type}`]->(b) RETURN a.id AS a, b.id AS b")
    return {(r["a"], r["b"]) for r in rows}


def assert_no_drift(engine, gateway) -> None:
    report = SyncVerifier(engine, gateway).verify()
    assert report.drift == [] and all(c.ok for c in report.counts), (report.drift, report.counts)


def test_full_sync_mirrors_rows_and_foreign_keys(engine, gateway, crm):
    report = GraphSync(engine, gateway).full()

    assert report.rejected == []
    people = gateway.read("people", "MATCH (p:Person:__Entity__) RETURN p.name AS name ORDER BY name")
    assert [p["name"] for p in people] == ["Ann Lee", "Robert Smith"]
    assert relationships(gateway, "FOR_PERSON") == {(crm["contact"], crm["bob"])}
    assert relationships(gateway, "IS") == {(crm["user"], crm["ann"])}
    assert relationships(gateway, "SUBSIDIARY_OF") == {(crm["acme_eu"], crm["acme"])}
    assert relationships(gateway, "ABOUT") == {(crm["note"], crm["acme"])}
    assert relationships(gateway, "KNOWS") == {(crm["ann"], crm["bob"])}
    lead = gateway.read("lead", "MATCH (l:Lead:Opportunity {id: $id}) RETURN l.amount AS amount", {"id": crm["lead"]})
    assert lead == [{"amount": 12000}]
    assert_no_drift(engine, gateway)


def test_full_sync_derives_works_at_and_interacted(engine, gateway, crm):
    GraphSync(engine, gateway).full()

    works_at = gateway.read(
        "works_at", "MATCH (p:Person)-[w:WORKS_AT]->(o) RETURN p.id AS p, o.id AS o, w.title AS title, w.current AS cur"
    )
    assert works_at == [{"p": crm["bob"], "o": crm["acme"], "title": "CTO", "cur": True}]
    tie = gateway.read(
        "interacted",
        "MATCH (a:Person)-[r:INTERACTED]-(b:Person {id: $bob}) RETURN a.id AS a, r.count AS n, r.kinds AS kinds",
        {"bob": crm["bob"]},
    )
    assert tie == [{"a": crm["ann"], "n": 1, "kinds": ["call"]}]


def test_incremental_sync_applies_inserts_updates_and_deletes(engine, gateway, crm, rows):
    sync = GraphSync(engine, gateway)
    sync.full()
    t = crm["tenant"]
    carol = rows.insert("individual", tenant_id=t, first_name="Carol", last_name="Diaz")
    rows.execute("UPDATE individual SET first_name = 'Bob' WHERE id = :id", id=crm["bob"])
    rows.execute("DELETE FROM note WHERE id = :id", id=crm["note"])

    report = sync.incremental()

    assert report.changes_applied == 3
    names = {r["name"] for r in gateway.read("names", "MATCH (p:Person) RETURN p.name AS name")}
    assert names == {"Ann Lee", "Bob Smith", "Carol Diaz"}
    assert gateway.read("note", "MATCH (n:Note) RETURN count(n) AS c") == [{"c": 0}]
    assert sync.checkpoint() == rows.last_seq()
    assert carol
    assert_no_drift(engine, gateway)


def test_contact_moving_to_another_organization_moves_its_relationships(engine, gateway, crm, rows):
    sync = GraphSync(engine, gateway)
    sync.full()
    globex = rows.insert("organization", tenant_id=crm["tenant"], name="Globex")

    rows.execute("UPDATE contact SET organization_id = :org WHERE id = :id", org=globex, id=crm["contact"])
    sync.incremental()

    assert relationships(gateway, "AT") == {(crm["contact"], globex)}
    assert relationships(gateway, "WORKS_AT") == {(crm["bob"], globex)}
    name = gateway.read("c", "MATCH (c:Contact) RETURN c.name AS name")
    assert name == [{"name": "Robert Smith, CTO at Globex"}]


def test_removing_a_participant_recomputes_the_interacted_tie(engine, gateway, crm, rows):
    sync = GraphSync(engine, gateway)
    sync.full()

    rows.execute("DELETE FROM interaction_participant WHERE individual_id = :bob", bob=crm["bob"])
    sync.incremental()

    assert relationships(gateway, "INTERACTED") == set()
    assert_no_drift(engine, gateway)


def test_a_second_incremental_run_applies_nothing(engine, gateway, crm):
    sync = GraphSync(engine, gateway)
    sync.incremental()

    again = sync.incremental()

    assert again.changes_applied == 0
    assert_no_drift(engine, gateway)


def test_incremental_from_an_empty_graph_builds_the_same_graph_as_a_full_sync(engine, gateway, crm):
    GraphSync(engine, gateway).incremental()

    assert_no_drift(engine, gateway)
    assert relationships(gateway, "WORKS_AT") == {(crm["bob"], crm["acme"])}


def test_full_sync_removes_nodes_whose_rows_are_gone(engine, gateway, crm, rows):
    sync = GraphSync(engine, gateway)
    sync.full()
    with engine.begin() as conn:  # a delete the change log never saw (e.g. restored backup)
        conn.exec_driver_sql("DELETE FROM change_log")
    rows.execute("DELETE FROM note WHERE id = :id", id=crm["note"])

    report = sync.full()

    assert report.deleted["Note"] == 1
    assert_no_drift(engine, gateway)


def test_changes_written_during_a_full_sync_are_not_lost(engine, gateway, crm, rows):
    written = []

    def write_meanwhile(what: str, n: int) -> None:
        if what == "individual" and not written:
            written.append(rows.insert("individual", tenant_id=crm["tenant"], first_name="Late", last_name="Comer"))

    GraphSync(engine, gateway, progress=write_meanwhile).full()
    GraphSync(engine, gateway).incremental()

    assert gateway.read("late", "MATCH (p:Person {id: $id}) RETURN p.name AS name", {"id": written[0]}) == [
        {"name": "Late Comer"}
    ]
    assert_no_drift(engine, gateway)


def test_tenant_full_sync_touches_only_that_tenant(engine, gateway, crm, rows):
    other = rows.tenant()
    rows.insert("individual", tenant_id=other, first_name="Robert", last_name="Smith")
    slug = rows.scalar("SELECT slug FROM tenant WHERE id = :id", id=crm["tenant"])

    GraphSync(engine, gateway).full(tenant_slug=slug)

    tenants = gateway.read("t", "MATCH (p:Person) RETURN DISTINCT p.tenant_id AS t")
    assert tenants == [{"t": crm["tenant"]}]
