"""Feedback that sticks (issue 14), end to end: a decision written with plain SQL into the ``feedback``
table lands in change_log, the incremental sync mirrors it, and the next dedupe, resolve and
connections call honours it; deleting the row reverts it."""

from __future__ import annotations

import pytest

from kgcrm.graph.gateway import GraphGateway
from kgcrm.graph.schema import apply_schema
from kgcrm.retrieval.connections import ConnectionFinder
from kgcrm.retrieval.dedupe import DuplicateFinder
from kgcrm.retrieval.resolve import EntityResolver
from kgcrm.sync.engine import GraphSync
from tests.retrieval.feedback_world import NOW, Planted, plant
from tests.support.crm_fixtures import Rows

pytestmark = pytest.mark.neo4j


@pytest.fixture
def gateway(neo4j_driver, clean_graph) -> GraphGateway:
    gateway = GraphGateway(neo4j_driver)
    apply_schema(gateway, dimensions=384)
    return gateway


@pytest.fixture
def world(engine, gateway) -> tuple[Planted, Planted, GraphSync, Rows]:
    rows = Rows(engine)
    a, b = plant(rows, "fa"), plant(rows, "fb")
    sync = GraphSync(engine, gateway)
    sync.full()
    return a, b, sync, rows


def decide(rows: Rows, w: Planted, **values: object) -> str:
    return rows.insert("feedback", tenant_id=w.tenant, created_by=w["u_mia"], updated_by=w["u_mia"], **values)


def same_as(gateway: GraphGateway, tenant: str) -> set[frozenset[str]]:
    rows = gateway.read(
        "test", "MATCH (a)-[r:SAME_AS]->(b) WHERE r.tenant_id = $t RETURN a.id AS a, b.id AS b", {"t": tenant}
    )
    return {frozenset((r["a"], r["b"])) for r in rows}


def test_a_plain_sql_decision_is_logged_mirrored_and_reverted(world, gateway):
    a, _, sync, rows = world
    before = rows.scalar("SELECT max(seq) FROM change_log")

    decision = decide(
        rows,
        a,
        kind="duplicate",
        decision="confirm",
        subject_type="individual",
        subject_id=a["bob"],
        object_type="individual",
        object_id=a["bob2"],
    )
    logged = rows.scalar(
        "SELECT count(*) FROM change_log WHERE seq > :s AND entity_type = 'feedback' AND entity_id = :id"
        " AND op = 'insert' AND actor_id = :u",
        s=before,
        id=decision,
        u=a["u_mia"],
    )
    sync.incremental()

    assert logged == 1
    assert same_as(gateway, a.tenant) == {frozenset((a["bob"], a["bob2"]))}

    rows.execute("DELETE FROM feedback WHERE id = :id", id=decision)
    sync.incremental()

    assert same_as(gateway, a.tenant) == set()
    assert gateway.read("test", "MATCH (f:Feedback {id: $id}) RETURN f", {"id": decision}) == []


def test_a_decision_naming_another_tenants_row_is_refused_by_the_database(world):
    a, b, _, rows = world
    count = rows.scalar("SELECT count(*) FROM feedback")
    logged = rows.scalar("SELECT count(*) FROM change_log")

    with pytest.raises(Exception, match=r"tenant isolation: feedback\.object_id"):
        decide(
            rows,
            a,
            kind="tie",
            decision="dismiss",
            subject_type="individual",
            subject_id=a["mia"],
            object_type="individual",
            object_id=b["bob"],
        )

    assert rows.scalar("SELECT count(*) FROM feedback") == count
    assert rows.scalar("SELECT count(*) FROM change_log") == logged


def test_dedupe_never_proposes_a_rejected_or_confirmed_pair_again(world, gateway):
    a, _, sync, rows = world
    finder = DuplicateFinder(gateway)
    # a pair dedupe surely finds: the same person twice, same email
    twin = rows.insert(
        "individual", tenant_id=a.tenant, first_name="Carol", last_name="Vance", email="carol.vance@globex.example"
    )
    sync.incremental()
    key = "|".join(sorted([a["carol"], twin]))
    assert key in {p.key for p in finder.run(a.tenant, threshold=0.5).pairs}

    decide(
        rows,
        a,
        kind="duplicate",
        decision="reject",
        subject_type="individual",
        subject_id=twin,
        object_type="individual",
        object_id=a["carol"],
    )
    sync.incremental()
    report = finder.run(a.tenant, threshold=0.5)

    assert key not in {p.key for p in report.pairs}
    assert key not in {f"{e['a']}|{e['b']}" for e in finder.edges(a.tenant)}  # its old edge is pruned


def test_a_confirmed_pair_is_one_person_for_the_resolver_citing_both(world, gateway):
    a, _, sync, rows = world
    resolver = EntityResolver(gateway, clock=lambda: NOW)
    assert {a["bob"], a["bob2"]} <= {c.id for c in resolver.resolve("Stone", a.tenant, limit=5).candidates}

    decide(
        rows,
        a,
        kind="duplicate",
        decision="confirm",
        subject_type="individual",
        subject_id=a["bob"],
        object_type="individual",
        object_id=a["bob2"],
    )
    sync.incremental()
    found = resolver.resolve("Stone", a.tenant, limit=5)

    ids = [c.id for c in found.candidates]
    assert len({a["bob"], a["bob2"]} & set(ids)) == 1
    kept = next(c for c in found.candidates if c.id in (a["bob"], a["bob2"]))
    other = a["bob2"] if kept.id == a["bob"] else a["bob"]
    assert any(other in reason for reason in kept.reasons)


def test_a_confirmed_mention_is_an_alias_and_a_rejected_one_is_left_out(world, gateway):
    a, b, sync, rows = world
    resolver = EntityResolver(gateway, clock=lambda: NOW)
    assert resolver.resolve("the big cheese", a.tenant).candidates == []
    assert a["bob"] in {c.id for c in resolver.resolve("Bob Stone", a.tenant).candidates}

    decide(
        rows,
        a,
        kind="resolution",
        decision="confirm",
        mention="The Big Cheese",
        subject_type="organization",
        subject_id=a["acme"],
    )
    decide(
        rows,
        a,
        kind="resolution",
        decision="reject",
        mention="Bob Stone",
        subject_type="individual",
        subject_id=a["bob"],
    )
    sync.incremental()

    [alias] = resolver.resolve("the big cheese", a.tenant).candidates
    assert (alias.id, alias.type, alias.score) == (a["acme"], "Organization", 1.0)
    assert a["bob"] not in {c.id for c in resolver.resolve("Bob Stone", a.tenant).candidates}
    # the other tenant's resolver knows nothing of tenant a's decisions
    assert resolver.resolve("the big cheese", b.tenant).candidates == []
    assert b["bob"] in {c.id for c in resolver.resolve("Bob Stone", b.tenant).candidates}


def test_a_dismissed_tie_is_left_out_of_paths_and_comes_back_when_reverted(world, gateway):
    a, _, sync, rows = world
    finder = ConnectionFinder(gateway, clock=lambda: NOW)

    def first_hops() -> set[tuple[str, str]]:
        paths = finder.connections(a["bob"], a.tenant, max_hops=2, limit=10).paths
        return {(p.nodes[0].id, p.nodes[1].id) for p in paths}

    assert (a["mia"], a["bob"]) in first_hops()
    decision = decide(
        rows,
        a,
        kind="tie",
        decision="dismiss",
        subject_type="individual",
        subject_id=a["bob"],
        object_type="individual",
        object_id=a["mia"],
    )
    sync.incremental()

    assert (a["mia"], a["bob"]) not in first_hops()

    rows.execute("DELETE FROM feedback WHERE id = :id", id=decision)
    sync.incremental()
    assert (a["mia"], a["bob"]) in first_hops()


def test_connections_go_through_a_confirmed_duplicate_and_cite_both_records(world, gateway):
    a, _, sync, rows = world
    finder = ConnectionFinder(gateway, clock=lambda: NOW)
    # a second record of Bob (no role anywhere) knows Frank; only the first record is tied to the team
    twin = rows.insert("individual", tenant_id=a.tenant, first_name="Bob", last_name="Stone")
    frank = rows.insert("individual", tenant_id=a.tenant, first_name="Frank", last_name="Moe")
    rows.insert(
        "relationship", tenant_id=a.tenant, from_individual_id=twin, to_individual_id=frank, kind="knows", strength=0.9
    )
    sync.incremental()
    assert finder.connections(frank, a.tenant, max_hops=3, limit=5).paths == []

    decision = decide(
        rows,
        a,
        kind="duplicate",
        decision="confirm",
        subject_type="individual",
        subject_id=a["bob"],
        object_type="individual",
        object_id=twin,
    )
    sync.incremental()
    paths = finder.connections(frank, a.tenant, max_hops=3, limit=5).paths

    assert [n.id for n in paths[0].nodes] == [a["mia"], a["bob"], twin, frank]
    cited = {(e.table, e.id) for hop in paths[0].hops for e in hop.evidence if hasattr(e, "table")}
    assert ("feedback", decision) in cited
