"""Ingest → change capture → incremental sync → ``connections`` shows the new ties (real Neo4j).

Also: the graph still verifies clean against the CRM (the new ``source`` columns are
mirrored), and the ingested rows reach the graph through the sync only.
"""

from __future__ import annotations

import pytest

from kgcrm.graph.gateway import GraphGateway
from kgcrm.graph.schema import apply_schema
from kgcrm.ingest.directory import ResolverCandidates
from kgcrm.ingest.pipeline import ingest_calendar, ingest_mail
from kgcrm.retrieval.connections import ConnectionFinder
from kgcrm.retrieval.resolve import EntityResolver
from kgcrm.sync.engine import GraphSync
from kgcrm.sync.verify import SyncVerifier
from tests.ingest import fixtures as fx
from tests.ingest.truth import score_matching

pytestmark = pytest.mark.neo4j


@pytest.fixture
def gateway(neo4j_driver, clean_graph) -> GraphGateway:
    gateway = GraphGateway(neo4j_driver)
    apply_schema(gateway, dimensions=384)
    return gateway


def _first_hop(result):
    path = result.paths[0]
    return path, path.hops[0]


def test_ingested_threads_and_meetings_become_warm_paths(engine, rows, gateway, tmp_path):
    world = fx.seed_world(rows)
    sync = GraphSync(engine, gateway)
    sync.full()
    finder = ConnectionFinder(gateway, clock=lambda: fx.UNTIL)
    carla = world.people["carla"]
    assert finder.connections(carla, world.tenant).paths == []  # nobody on the team knows Carla yet

    ingest_mail(engine, world.tenant, fx.write_mbox(tmp_path / "inbox.mbox"), user_id=world.ann_user)
    ingest_calendar(engine, world.tenant, fx.write_calendar(tmp_path / "cal.ics"), until=fx.UNTIL)
    report = sync.incremental()

    assert report.changes_applied > 0
    path, hop = _first_hop(finder.connections(carla, world.tenant))
    assert [n.id for n in path.nodes] == [world.people["ann"], carla]
    assert hop.relation == "INTERACTED"
    interactions = {e.id for e in hop.evidence if getattr(e, "table", None) == "interaction"}
    ingested = {r.id for r in rows.execute("SELECT id FROM interaction WHERE source IN ('email', 'calendar')")}
    assert interactions and interactions <= ingested

    # a person the run created: Hank, in the first thread with Ann
    hank = rows.scalar("SELECT id FROM individual WHERE email = 'hank@strickland.com'")
    path, hop = _first_hop(finder.connections(hank, world.tenant))
    assert [n.id for n in path.nodes] == [world.people["ann"], hank]

    # Ben had no person record: the run created and linked one, so his thread with Dana is a path from him
    path, _ = _first_hop(finder.connections(world.people["dana"], world.tenant))
    assert path.from_user.id == world.ben_user

    assert SyncVerifier(engine, gateway).verify(world.tenant).clean


def test_reingesting_gives_the_sync_nothing_to_do(engine, rows, gateway, tmp_path):
    world = fx.seed_world(rows)
    mbox = fx.write_mbox(tmp_path / "inbox.mbox")
    ingest_mail(engine, world.tenant, mbox)
    sync = GraphSync(engine, gateway)
    sync.full()

    ingest_mail(engine, world.tenant, mbox)

    assert sync.incremental().changes_applied == 0
    person = gateway.read("t_source", "MATCH (p:Person {email: 'hank@strickland.com'}) RETURN p.source AS source", {})
    assert person == [{"source": "email"}]


def test_the_graph_resolver_as_a_source_of_name_candidates(engine, rows, gateway, tmp_path):
    world = fx.seed_world(rows)
    GraphSync(engine, gateway).full()
    names = ResolverCandidates(EntityResolver(gateway, clock=lambda: fx.UNTIL))

    assert world.people["robert"] in names.candidates("Bob Stone", world.tenant)  # a nickname, through the graph
    report = ingest_mail(engine, world.tenant, fx.write_mbox(tmp_path / "inbox.mbox"), names=names)

    score = score_matching(rows, world, fx.EXPECTED, report.links)
    assert (score.precision, score.recall) == (1.0, 1.0)
    assert report.matched["by name + domain"] == 2
