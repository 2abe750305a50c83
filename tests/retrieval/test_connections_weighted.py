"""The weighted strategy of a connections search: its pieces, its tenant isolation, and its agreement
with the beam strategy it replaced on a seeded CRM.

(Every test of ``test_connections.py`` also runs with both strategies.)
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from kgcrm import cypher
from kgcrm.core.errors import KgcrmError, NotFoundError
from kgcrm.crm.database import make_engine, upgrade
from kgcrm.crm.seed import seed_database
from kgcrm.crm.seed_generate import SeedConfig
from kgcrm.eval.connections import compare_strategies
from kgcrm.graph.gateway import GraphGateway
from kgcrm.graph.schema import apply_schema
from kgcrm.retrieval import strength as st
from kgcrm.retrieval.connections import ConnectionFinder, TeamTies
from kgcrm.retrieval.connections import weighted as wt
from kgcrm.sync.engine import GraphSync

NOW = datetime(2025, 11, 19, 15, 0, tzinfo=UTC)
EMPTY = wt.TeamSide({}, {})


# --- meeting in the middle (pure) -------------------------------------------------------------------------------


def test_partials_meet_the_teams_ties_within_max_hops():
    side = wt.TeamSide(
        one={"x": [(0.5, ("x", "m"))]},
        two={"y": [(0.25, ("y", "x", "m"))]},
    )
    partials = [wt.Partial(("t",), 1.0), wt.Partial(("t", "x"), 0.8), wt.Partial(("t", "y"), 0.9)]

    four = wt.candidates(partials, side, {"m"}, max_hops=4, limits=wt.DEFAULT_LIMITS, limit=5)
    two = wt.candidates(partials, side, {"m"}, max_hops=2, limits=wt.DEFAULT_LIMITS, limit=5)

    assert four == [(pytest.approx(0.4), ("t", "x", "m")), (pytest.approx(0.225), ("t", "y", "x", "m"))]
    assert two == [(pytest.approx(0.4), ("t", "x", "m"))]


def test_a_path_never_repeats_a_node_nor_detours_through_the_targets_people():
    side = wt.TeamSide(one={}, two={"b": [(0.9, ("b", "a", "m"))]})
    looping = [wt.Partial(("org", "a", "b"), 0.9)]  # b's suffix goes back through a
    detour = [wt.Partial(("org", "b"), 0.9)]  # a works at org too: the path through a ends at a

    assert wt.candidates(looping, side, {"m"}, max_hops=5, limits=wt.DEFAULT_LIMITS, limit=5) == []
    assert (
        wt.candidates(
            detour, side, {"m"}, max_hops=4, limits=wt.DEFAULT_LIMITS, limit=5, affiliated=frozenset({"a", "b"})
        )
        == []
    )


def test_candidates_are_bounded_per_chain_and_in_all():
    side = wt.TeamSide(
        one={f"p{i}": [(0.9 - j / 100, (f"p{i}", f"m{j}")) for j in range(5)] for i in range(20)}, two={}
    )
    partials = [wt.Partial(("t", f"p{i}"), 1.0 - i / 100) for i in range(20)]
    limits = wt.WeightedLimits(chains=2, extra_chains=1)

    kept = wt.candidates(partials, side, {f"m{j}" for j in range(5)}, max_hops=4, limits=limits, limit=3)

    chains = [nodes[1:-1] for _, nodes in kept]
    assert sorted(set(chains)) == [("p0",), ("p1",), ("p2",), ("p3",)]  # limit + extra_chains chains
    assert all(chains.count(c) == 2 for c in set(chains))
    assert [s for s, _ in kept] == sorted((s for s, _ in kept), reverse=True)


# --- the team's ties, cached while the checkpoint stands still (pure) ----------------------------------------------


def test_team_ties_are_kept_until_the_checkpoint_moves():
    version = [1]
    cache = TeamTies(lambda: version[0])
    computed = []

    def compute() -> wt.TeamSide:
        computed.append(1)
        return wt.TeamSide({"x": [(len(computed), ("x", "m"))]}, {})

    first = cache.get(("t1", ("m",)), compute)
    again = cache.get(("t1", ("m",)), compute)
    other_tenant = cache.get(("t2", ("m",)), compute)
    version[0] = 2
    moved = cache.get(("t1", ("m",)), compute)

    assert first is again
    assert other_tenant is not first  # a key names its tenant: never shared
    assert moved.one["x"][0][0] == 3
    assert len(computed) == 3


def test_a_moving_checkpoint_recomputes_at_most_every_refresh_interval():
    version, now = [1], [0.0]
    cache = TeamTies(lambda: version[0], refresh_every_s=30.0, clock=lambda: now[0])
    computed: list[int] = []

    def compute() -> wt.TeamSide:
        computed.append(1)
        return wt.TeamSide({}, {})

    cache.get("k", compute)
    version[0], now[0] = 2, 10.0
    cache.get("k", compute)  # moved, but computed 10 s ago: kept
    now[0] = 31.0
    cache.get("k", compute)  # moved and 31 s old: computed again
    cache.get("k", compute)  # at version 2 now: kept

    assert len(computed) == 2


def test_a_burst_of_misses_computes_once():
    cache = TeamTies(lambda: 1)
    calls = []
    gate = threading.Event()

    def compute() -> wt.TeamSide:
        calls.append(1)
        gate.wait(5)
        return EMPTY

    results: list[wt.TeamSide] = []
    threads = [threading.Thread(target=lambda: results.append(cache.get("k", compute))) for _ in range(8)]
    for t in threads:
        t.start()
    time.sleep(0.2)
    gate.set()
    for t in threads:
        t.join(5)

    assert len(calls) == 1
    assert len(results) == 8 and all(r is EMPTY for r in results)


def test_a_refresh_in_progress_serves_the_previous_ties():
    version = [1]
    cache = TeamTies(lambda: version[0])
    old = cache.get("k", lambda: wt.TeamSide({"x": [(0.5, ("x", "m"))]}, {}))
    version[0] = 2
    gate, started = threading.Event(), threading.Event()

    def slow() -> wt.TeamSide:
        started.set()
        gate.wait(5)
        return EMPTY

    refresher = threading.Thread(target=lambda: cache.get("k", slow))
    refresher.start()
    started.wait(5)
    during = cache.get("k", lambda: pytest.fail("computed twice"))
    gate.set()
    refresher.join(5)

    assert during is old
    assert cache.get("k", lambda: pytest.fail("computed again")) is EMPTY


def test_a_failed_computation_is_not_cached():
    cache = TeamTies(lambda: 1)

    def fail() -> wt.TeamSide:
        raise KgcrmError("graph down")

    with pytest.raises(KgcrmError):
        cache.get("k", fail)
    assert cache.get("k", lambda: EMPTY) is EMPTY


def test_an_unknown_strategy_is_refused():
    with pytest.raises(KgcrmError, match="strategy"):
        ConnectionFinder(None, strategy="dijkstra")  # type: ignore[arg-type]


# --- the graph ------------------------------------------------------------------------------------------------


def _wipe(driver) -> None:
    with driver.session() as session:
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()


@pytest.fixture(scope="module")
def gateway(neo4j_driver) -> Iterator[GraphGateway]:
    _wipe(neo4j_driver)
    gateway = GraphGateway(neo4j_driver)
    apply_schema(gateway, dimensions=384)
    yield gateway
    _wipe(neo4j_driver)


@pytest.fixture(scope="module")
def seeded(gateway, sqlite_template, tmp_path_factory) -> tuple[sa.Engine, dict[str, Any]]:
    """A seeded CRM of two tenants, synced into the graph; the engine (SQL) and the ground truth."""
    path = tmp_path_factory.mktemp("weighted") / "crm.sqlite3"
    path.write_bytes(sqlite_template.read_bytes())
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    truth = seed_database(engine, SeedConfig(tenants=2, scale=4000, seed=11, now=NOW)).truth
    GraphSync(engine, gateway).full()
    yield engine, truth
    engine.dispose()


def _weights(now: datetime = NOW) -> dict[str, Any]:
    return wt.strength_params(st.DEFAULT_PARAMS, now, now.date())


@pytest.mark.neo4j
def test_the_weighted_strategy_agrees_with_the_beam_on_the_planted_targets(seeded, gateway):
    _, truth = seeded

    agreement = compare_strategies(gateway, truth)
    print(agreement.summary())  # the ranking agreement, for the record (pytest -s)

    assert agreement.targets >= 8
    assert agreement.planted_weighted == 1.0
    assert agreement.planted_weighted >= agreement.planted_beam
    assert agreement.same_first == 1.0
    assert agreement.not_weaker == 1.0


def _sql_ties(engine: sa.Engine, tenant_id: str, person: str, today: date) -> dict[str, float]:
    """The strength of every tie of ``person``, computed from the CRM's rows (SQL) with the scoring functions."""
    parts: dict[str, list[float]] = {}
    with engine.connect() as conn:
        for other, strength, kind in conn.execute(
            sa.text(
                "SELECT CASE WHEN from_individual_id = :p THEN to_individual_id ELSE from_individual_id END, "
                "strength, kind FROM relationship WHERE tenant_id = :t "
                "AND (from_individual_id = :p OR to_individual_id = :p) "
                "AND from_individual_id <> to_individual_id"
            ),
            {"t": tenant_id, "p": person},
        ):
            parts.setdefault(other, []).append(st.knows_strength(strength, kind))
        for other, count, last in conn.execute(
            sa.text(
                "SELECT pb.individual_id, count(DISTINCT i.id), max(i.occurred_at) FROM interaction_participant pa "
                "JOIN interaction_participant pb ON pb.interaction_id = pa.interaction_id "
                "JOIN interaction i ON i.id = pa.interaction_id "
                "WHERE pa.individual_id = :p AND pb.individual_id <> :p AND i.tenant_id = :t "
                "GROUP BY pb.individual_id"
            ),
            {"t": tenant_id, "p": person},
        ):
            when = datetime.fromisoformat(str(last)).replace(tzinfo=UTC) if last else None
            parts.setdefault(other, []).append(st.interaction_strength(int(count), when, NOW))
        roles = conn.execute(
            sa.text(
                "SELECT a.organization_id, a.started_on, a.ended_on, b.individual_id, b.started_on, b.ended_on, "
                "(SELECT count(*) FROM contact h WHERE h.organization_id = a.organization_id "
                ") "
                "FROM contact a JOIN contact b ON b.organization_id = a.organization_id "
                "WHERE a.individual_id = :p AND b.individual_id <> :p AND a.tenant_id = :t "
                "AND a.organization_id IS NOT NULL"
            ),
            {"t": tenant_id, "p": person},
        ).all()
    as_day = lambda v: date.fromisoformat(str(v)[:10]) if v else None  # noqa: E731
    coworkers: dict[str, list[float]] = {}
    for _, since_a, until_a, other, since_b, until_b, headcount in roles:
        overlap = st.tenure_overlap(as_day(since_a), as_day(until_a), as_day(since_b), as_day(until_b), today)
        if overlap is not None:
            coworkers.setdefault(other, []).append(st.coworker_strength(overlap, today, int(headcount)))
    for other, found in coworkers.items():
        parts.setdefault(other, []).extend(found)
    return {other: st.combine(found) for other, found in parts.items() if st.combine(found) > 0.0}


@pytest.mark.neo4j
def test_the_query_weighs_every_tie_as_the_crm_says(seeded, gateway):
    """Every first hop of the query, and its weight, against the ties computed from SQL."""
    engine, truth = seeded
    tenant = truth["tenants"][0]
    people = [p for path in tenant["warm_paths"][:3] for p in path["nodes"][1:]]
    for person in people:
        expected = _sql_ties(engine, tenant["id"], person, NOW.date())
        partials = wt.walk(
            gateway,
            tenant["id"],
            [(person, 1.0)],
            stop=[],
            exclude=[],
            levels=1,
            per_node=10_000,
            per_coworkers=10_000,
            beam=1,
            ways=1,
            weights=_weights(),
        )
        got = {p.nodes[-1]: p.score for p in partials}
        assert set(got) == set(expected), person
        for other, weight in expected.items():
            assert got[other] == pytest.approx(weight, rel=1e-6), (person, other)


# --- tenant isolation ---------------------------------------------------------------------------------------


@pytest.mark.neo4j
def test_the_new_queries_never_answer_for_another_tenant(seeded, gateway):
    _, truth = seeded
    mine, theirs = truth["tenants"][:2]
    planted = theirs["warm_paths"][0]
    their_people = planted["nodes"]

    walked = wt.walk(
        gateway,
        mine["id"],
        [(p, 1.0) for p in their_people],
        stop=[],
        exclude=[],
        levels=2,
        per_node=100,
        per_coworkers=100,
        beam=100,
        ways=3,
        weights=_weights(),
    )
    pairs = gateway.read(
        "connections_path_facts",
        cypher.load("connections_path_facts"),
        {
            "pairs": [{"a": a, "b": b} for a, b in itertools.pairwise(their_people)],
            "ids": their_people,
            "tenant": mine["id"],
        },
    )[0]
    team = wt.team_side(gateway, mine["id"], their_people[:1], wt.DEFAULT_LIMITS, _weights(), 4)

    assert walked == []
    assert pairs == {"ties": [], "decisions": []}
    assert team == EMPTY
    # and their own tenant does answer the same calls (the test can fail)
    assert wt.walk(
        gateway,
        theirs["id"],
        [(their_people[-1], 1.0)],
        stop=[],
        exclude=[],
        levels=1,
        per_node=100,
        per_coworkers=100,
        beam=1,
        ways=1,
        weights=_weights(),
    )


@pytest.mark.neo4j
def test_a_planted_cross_tenant_tie_is_never_weighed(seeded, gateway):
    _, truth = seeded
    mine, theirs = truth["tenants"][:2]
    target = mine["warm_paths"][0]["target"]["id"]
    stranger = theirs["warm_paths"][0]["nodes"][1]
    gateway.write(
        "plant",
        "MATCH (a:Person {id: $a}), (b:Person {id: $b}) "
        "CREATE (a)-[:KNOWS {id: randomUUID(), kind: 'family', strength: 1.0}]->(b), "
        "(a)-[:INTERACTED {count: 99, last_at: datetime($now), kinds: ['meeting']}]->(b)",
        {"a": target, "b": stranger, "now": NOW.isoformat()},
    )

    walked = wt.walk(
        gateway,
        mine["id"],
        [(target, 1.0)],
        stop=[],
        exclude=[],
        levels=2,
        per_node=1000,
        per_coworkers=1000,
        beam=1000,
        ways=3,
        weights=_weights(),
    )
    pairs = gateway.read(
        "connections_path_facts",
        cypher.load("connections_path_facts"),
        {"pairs": [{"a": target, "b": stranger}], "ids": [target, stranger], "tenant": mine["id"]},
    )[0]["ties"]

    assert walked, "the target has ties of its own tenant"
    assert all(stranger not in p.nodes for p in walked)
    assert pairs == []


# --- fewer round trips (issue 15): the queries that replaced several, their isolation and their answers -------


def test_the_team_cache_never_serves_another_checkpoints_team_when_exact():
    version = [1]
    cache = TeamTies(lambda: version[0], refresh_every_s=3600.0)
    assert cache.get("team", lambda: ("mia",), exact=True) == ("mia",)
    version[0] = 2
    gate, started = threading.Event(), threading.Event()

    def slow() -> tuple[str, ...]:
        started.set()
        gate.wait(5)
        return ("cole",)

    refresher = threading.Thread(target=lambda: cache.get("team", slow, exact=True))
    refresher.start()
    started.wait(5)
    during: list[tuple[str, ...]] = []
    waiter = threading.Thread(target=lambda: during.append(cache.get("team", lambda: ("x",), exact=True)))
    waiter.start()
    time.sleep(0.2)
    assert during == []  # it waits for the new checkpoint's team: neither the old one nor a second computation
    gate.set()
    refresher.join(5)
    waiter.join(5)

    assert during == [("cole",)]
    assert cache.get("team", lambda: pytest.fail("computed again"), exact=True) == ("cole",)


def _their_target(truth: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], str]:
    mine, theirs = truth["tenants"][:2]
    return mine, theirs, theirs["warm_paths"][0]["target"]["id"]


@pytest.mark.neo4j
def test_the_start_query_never_answers_for_another_tenant(seeded, gateway):
    engine, truth = seeded
    mine, theirs, target = _their_target(truth)
    with engine.connect() as conn:
        their_org = conn.execute(
            sa.text("SELECT id FROM organization WHERE tenant_id = :t ORDER BY id LIMIT 1"), {"t": theirs["id"]}
        ).scalar_one()
    common = {"org_people": 300, "stop": [], "levels": 2, "per_node": 10, "per_coworkers": 10, "beam": 20, "ways": 2}

    for tenant, entity in ((mine["id"], target), (mine["id"], their_org)):
        row = wt.start(gateway, tenant, entity, weights=_weights(), **common)
        assert row == {"id": None, "name": None, "type": "Organization", "people": [], "level1": [], "level2": []}
    # their own tenant answers the same calls (the test can fail)
    person = wt.start(gateway, theirs["id"], target, weights=_weights(), **common)
    organization = wt.start(gateway, theirs["id"], their_org, weights=_weights(), **common)
    assert (person["id"], person["type"]) == (target, "Person") and wt.partials(person)
    assert (organization["id"], organization["type"]) == (their_org, "Organization") and organization["people"]
    assert organization["level1"] == [] and organization["level2"] == []  # an organization's walk is the next query


@pytest.mark.neo4j
def test_the_start_query_gives_a_persons_walk_and_an_organizations_people_as_the_queries_it_replaced(seeded, gateway):
    engine, truth = seeded
    _, theirs, target = _their_target(truth)
    tenant = theirs["id"]
    with engine.connect() as conn:
        orgs = conn.execute(
            sa.text("SELECT id FROM organization WHERE tenant_id = :t ORDER BY id LIMIT 5"), {"t": tenant}
        ).scalars()
        org_ids = list(orgs)
    common = {"per_node": 10, "per_coworkers": 10, "beam": 20, "ways": 2, "weights": _weights()}

    started = wt.start(gateway, tenant, target, org_people=300, stop=["nobody"], levels=2, **common)
    walked = wt.walk(gateway, tenant, [(target, 1.0)], stop=["nobody"], exclude=[target], levels=2, **common)
    assert sorted(wt.partials(started), key=repr) == sorted(walked, key=repr) and walked
    for org in org_ids:
        people = wt.start(gateway, tenant, org, org_people=300, stop=[], levels=2, **common)["people"]
        rows = gateway.read(
            "connections_org_people",
            cypher.load("connections_org_people"),
            {"id": org, "tenant": tenant, "today": NOW.date(), "limit": 300},
        )
        assert people == [list(r.values()) for r in rows]


@pytest.mark.neo4j
def test_the_team_query_never_answers_for_another_tenant(seeded, gateway):
    engine, truth = seeded
    mine, theirs = truth["tenants"][:2]
    with engine.connect() as conn:
        their_users = list(
            conn.execute(
                sa.text("SELECT id FROM app_user WHERE tenant_id = :t AND individual_id IS NOT NULL AND is_active"),
                {"t": theirs["id"]},
            ).scalars()
        )
    mine_rows = gateway.read(
        "connections_team", cypher.load("connections_team"), {"tenant": mine["id"], "user": their_users[0]}
    )
    theirs_rows = gateway.read(
        "connections_team", cypher.load("connections_team"), {"tenant": theirs["id"], "user": None}
    )

    assert mine_rows == []
    assert sorted(r["user_id"] for r in theirs_rows) == sorted(their_users)


def _team_side_in_one_query(gateway, tenant_id, team, limits) -> dict[str, dict[str, list[float]]]:
    """The team's side as one two-level walk gives it (before the chunks), as scores per node: equal scores
    may be cut in another order than the chunks' merge (by path), so the paths are compared where no tie is."""
    walked = wt.walk(
        gateway,
        tenant_id,
        [(m, 1.0) for m in team],
        stop=team,
        exclude=team,
        levels=2,
        per_node=limits.team_per_node,
        per_coworkers=limits.team_per_coworkers,
        beam=limits.team_beam,
        ways=limits.team_ways,
        weights=_weights(),
    )
    sides: dict[str, dict[str, list[float]]] = {"one": {}, "two": {}}
    for p in walked:
        sides["one" if len(p.nodes) == 2 else "two"].setdefault(p.nodes[-1], []).append(round(p.score, 9))
    return {k: {n: sorted(v, reverse=True) for n, v in side.items()} for k, side in sides.items()}


@pytest.mark.neo4j
@pytest.mark.parametrize("chunk", [1, 7, 10_000])
def test_the_teams_second_level_in_chunks_gives_the_one_query_walks_paths(seeded, gateway, chunk):
    engine, truth = seeded
    tenant_id = truth["tenants"][0]["id"]
    with engine.connect() as conn:
        team = sorted(
            conn.execute(
                sa.text("SELECT individual_id FROM app_user WHERE tenant_id = :t AND individual_id IS NOT NULL"),
                {"t": tenant_id},
            ).scalars()
        )
    limits = wt.WeightedLimits(team_beam=40, team_chunk=chunk)

    side = wt.team_side(gateway, tenant_id, team, limits, _weights(), 4)
    expected = _team_side_in_one_query(gateway, tenant_id, team, limits)

    got = {
        "one": {n: [round(s, 9) for s, _ in items] for n, items in side.one.items()},
        "two": {n: [round(s, 9) for s, _ in items] for n, items in side.two.items()},
    }
    assert len(expected["two"]) > 40  # the second level was walked, and beyond one chunk
    assert got == expected
    assert all(path[-1] in team and len(path) == 3 for items in side.two.values() for _, path in items)


@pytest.mark.neo4j
def test_the_evidence_query_gives_the_rows_of_the_one_it_replaced_and_only_in_its_tenant(seeded, gateway):
    _, truth = seeded
    mine, theirs = truth["tenants"][:2]
    pairs = [{"a": b, "b": a} for path in theirs["warm_paths"] for a, b in itertools.pairwise(path["nodes"])]
    params = {"pairs": pairs, "tenant": theirs["id"], "per_pair": 5}

    cheaper = gateway.read("connections_evidence", cypher.load("connections_evidence"), params)
    before = gateway.read("connections_interactions", cypher.load("connections_interactions"), params)
    elsewhere = gateway.read(
        "connections_evidence", cypher.load("connections_evidence"), {**params, "tenant": mine["id"]}
    )

    assert cheaper, "the planted paths' people took part in interactions together"
    key = lambda r: (r["a"], r["b"], -(r["occurred_at"] or 0), r["id"])  # noqa: E731
    assert sorted(cheaper, key=key) == sorted(before, key=key)
    assert elsewhere == []


@pytest.mark.neo4j
def test_connections_by_id_is_none_for_no_target_of_the_tenant_and_connections_still_raises(seeded, gateway):
    engine, truth = seeded
    mine, theirs, target = _their_target(truth)
    with engine.connect() as conn:
        their_task = conn.execute(
            sa.text("SELECT id FROM task WHERE tenant_id = :t ORDER BY id LIMIT 1"), {"t": theirs["id"]}
        ).scalar_one()
    for strategy in ("weighted", "beam"):
        finder = ConnectionFinder(gateway, clock=lambda: NOW, strategy=strategy)  # type: ignore[arg-type]
        assert finder.connections_by_id(target, mine["id"]) is None
        assert finder.connections_by_id(their_task, theirs["id"]) is None
        assert finder.connections_by_id("no-such-id", theirs["id"]) is None
        with pytest.raises(NotFoundError):
            finder.connections(target, mine["id"])
        found = finder.connections_by_id(target, theirs["id"])
        assert found is not None and found.target.id == target


@pytest.mark.neo4j
def test_plain_rows_are_the_rows_of_the_record_export(seeded, gateway):
    _, truth = seeded
    tenant = truth["tenants"][0]["id"]
    query = (
        "MATCH (p:Person) WHERE p.tenant_id = $t WITH p ORDER BY p.id LIMIT 20 "
        "RETURN p.id AS id, [p.name, 1, 2.5, null] AS values, {name: p.name, nested: [{x: p.id}]} AS map, "
        "COLLECT { MATCH (p)-[r:INTERACTED]-() RETURN r.last_at } AS times"
    )
    exported = gateway.read("plain", query, {"t": tenant})

    assert exported
    assert gateway.read("plain", query, {"t": tenant}, plain=True) == exported


@pytest.mark.neo4j
def test_the_resolvers_details_and_feedback_query_gives_the_details_rows_and_only_in_its_tenant(seeded, gateway):
    _, truth = seeded
    mine, theirs = truth["tenants"][:2]
    ids = sorted({n for path in theirs["warm_paths"] for n in path["nodes"]})
    params = {"ids": ids, "types": ["Person", "Organization"], "max_people": 500, "text": "someone"}
    params |= {"query": None, "index": "entity_names", "fetch": 0, "labels": ["Person"], "limit": 30}  # no fulltext

    merged = gateway.read(
        "resolve_details_feedback", cypher.load("resolve_details_feedback"), {**params, "tenant": theirs["id"]}
    )[0]
    details = gateway.read("resolve_details", cypher.load("resolve_details"), {**params, "tenant": theirs["id"]})
    elsewhere = gateway.read(
        "resolve_details_feedback", cypher.load("resolve_details_feedback"), {**params, "tenant": mine["id"]}
    )

    assert merged["records"] and sorted(merged["records"], key=lambda r: r["id"]) == sorted(
        details, key=lambda r: r["id"]
    )
    assert merged["feedback"] == []
    assert elsewhere == [{"fetched": 0, "matching": 0, "hits": [], "records": [], "feedback": []}]
