"""Who connects us to X: warm-introduction paths over a real Neo4j.

Small graphs are built by hand (one tenant of their own per test, so they live side
by side with the seeded graph), as the sync would have mirrored them, and WORKS_AT
and INTERACTED are derived by the sync's own Cypher. One seeded and synced CRM per
module checks the planted warm paths of the ground truth.
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import typer
from pydantic import SecretStr
from typer.testing import CliRunner

from kgcrm import cypher
from kgcrm.cli.connections import ExactNameResolver, connections_command
from kgcrm.core.errors import AmbiguousTargetError, DataError, NotFoundError
from kgcrm.core.settings import Settings
from kgcrm.crm.database import make_engine, upgrade
from kgcrm.crm.seed import seed_database
from kgcrm.crm.seed_generate import SeedConfig
from kgcrm.graph.gateway import GraphGateway
from kgcrm.graph.schema import apply_schema
from kgcrm.retrieval.connections import STRATEGIES, ConnectionFinder
from kgcrm.retrieval.types import Candidate, Connections, EntityRef, Resolution, RowEvidence
from kgcrm.sync.engine import GraphSync

pytestmark = pytest.mark.neo4j

NOW = datetime(2025, 11, 19, 15, 0, tzinfo=UTC)
TODAY = NOW.date()


def days_ago(n: float) -> datetime:
    return NOW - timedelta(days=n)


# --- a small graph, built by hand ---------------------------------------------------------------------------


class HandGraph:
    """One tenant's graph, written node by node as the sync would mirror the CRM."""

    def __init__(self, gateway: GraphGateway, slug: str = "t") -> None:
        self.gateway = gateway
        self.tenant = str(uuid.uuid4())
        self.names: dict[str, str] = {}
        self.write("CREATE (:Tenant {id: $tenant, name: $slug, slug: $slug})", slug=f"{slug}-{self.tenant}")

    def write(self, query: str, **params: Any) -> None:
        self.gateway.write("test_hand_graph", query, {"tenant": self.tenant, **params})

    def person(self, name: str) -> str:
        pid = str(uuid.uuid4())
        first, _, last = name.partition(" ")
        self.write(
            "CREATE (:Person:__Entity__ {id: $id, tenant_id: $tenant, name: $name, "
            "first_name: $first, last_name: $last})",
            id=pid,
            name=name,
            first=first,
            last=last,
        )
        self.names[pid] = name
        return pid

    def user(self, person: str, *, active: bool = True) -> str:
        uid = str(uuid.uuid4())
        self.write(
            "MATCH (p:Person {id: $person}) "
            "CREATE (:User:__Entity__ {id: $id, tenant_id: $tenant, name: p.name, full_name: p.name, "
            "email: $email, is_active: $active, individual_id: $person})-[:IS]->(p)",
            id=uid,
            person=person,
            email=f"{uid[:8]}@us.example",
            active=active,
        )
        return uid

    def org(self, name: str, parent: str | None = None) -> str:
        oid = str(uuid.uuid4())
        self.write("CREATE (:Organization:__Entity__ {id: $id, tenant_id: $tenant, name: $name})", id=oid, name=name)
        if parent:
            self.write(
                "MATCH (o:Organization {id: $id}), (p:Organization {id: $parent}) CREATE (o)-[:SUBSIDIARY_OF]->(p)",
                id=oid,
                parent=parent,
            )
        self.names[oid] = name
        return oid

    def role(
        self, person: str, org: str, since: date | None, until: date | None = None, title: str = "Engineer"
    ) -> str:
        cid = str(uuid.uuid4())
        self.write(
            "MATCH (p:Person {id: $person}), (o:Organization {id: $org}) "
            "CREATE (c:Contact:__Entity__ {id: $id, tenant_id: $tenant, title: $title, started_on: $since, "
            "ended_on: $until})-[:FOR_PERSON]->(p), (c)-[:AT]->(o)",
            id=cid,
            person=person,
            org=org,
            title=title,
            since=since,
            until=until,
        )
        self.gateway.write("derive_works_at", cypher.load("derive_works_at"), {"ids": [cid]})
        return cid

    def knows(self, a: str, b: str, kind: str = "knows", strength: float | None = None) -> str:
        rid = str(uuid.uuid4())
        self.write(
            "MATCH (a:Person {id: $a}), (b:Person {id: $b}) "
            "CREATE (a)-[:KNOWS {id: $id, tenant_id: $tenant, kind: $kind, strength: $strength, "
            "source: 'manual'}]->(b)",
            id=rid,
            a=a,
            b=b,
            kind=kind,
            strength=strength,
        )
        return rid

    def interactions(self, a: str, b: str, ages_in_days: list[float], kind: str = "email") -> list[str]:
        """Interactions of ``a`` and ``b`` that many days ago; INTERACTED derived as the sync does."""
        rows = [{"id": str(uuid.uuid4()), "when": days_ago(age)} for age in ages_in_days]
        self.write(
            "MATCH (a:Person {id: $a}), (b:Person {id: $b}) UNWIND $rows AS row "
            "CREATE (i:Interaction:__Entity__ {id: row.id, tenant_id: $tenant, kind: $kind, subject: 'Hello', "
            "name: 'Hello', occurred_at: row.when}) "
            "CREATE (a)-[:PARTICIPATED_IN {id: randomUUID(), tenant_id: $tenant, role: 'from'}]->(i) "
            "CREATE (b)-[:PARTICIPATED_IN {id: randomUUID(), tenant_id: $tenant, role: 'to'}]->(i)",
            a=a,
            b=b,
            rows=rows,
            kind=kind,
        )
        self.gateway.write("derive_interacted_clear", cypher.load("derive_interacted_clear"), {"ids": [a, b]})
        self.gateway.write("derive_interacted", cypher.load("derive_interacted"), {"ids": [a, b]})
        return [row["id"] for row in rows]


def node_ids(result: Connections) -> list[list[str]]:
    return [[n.id for n in p.nodes] for p in result.paths]


def rows_of(evidence: list[Any], table: str) -> set[str]:
    return {e.id for e in evidence if isinstance(e, RowEvidence) and e.table == table}


def entities_of(evidence: list[Any]) -> set[str]:
    return {e.id for e in evidence if isinstance(e, EntityRef)}


# --- fixtures -----------------------------------------------------------------------------------------------


def _wipe(driver) -> None:
    with driver.session() as session:
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()


@pytest.fixture(scope="module")
def gateway(neo4j_driver) -> Iterator[GraphGateway]:
    """An empty graph with kgcrm's schema, for the whole module (each test builds its own tenant)."""
    _wipe(neo4j_driver)
    gateway = GraphGateway(neo4j_driver)
    apply_schema(gateway, dimensions=384)
    yield gateway
    _wipe(neo4j_driver)


@pytest.fixture
def g(gateway) -> HandGraph:
    return HandGraph(gateway)


@pytest.fixture(params=STRATEGIES)
def finder(gateway, request) -> ConnectionFinder:
    """Each strategy (weighted, and beam: the search it replaced) must pass every test of this module."""
    return ConnectionFinder(gateway, clock=lambda: NOW, strategy=request.param)


@pytest.fixture(scope="module")
def seeded_crm(gateway, sqlite_template, tmp_path_factory) -> tuple[Path, dict[str, Any]]:
    """A seeded CRM of two tenants (a SQLite file), synced into the graph; and its ground truth."""
    path = tmp_path_factory.mktemp("connections") / "crm.sqlite3"
    path.write_bytes(sqlite_template.read_bytes())
    engine = make_engine(f"sqlite:///{path}")
    try:
        upgrade(engine)
        truth = seed_database(engine, SeedConfig(tenants=2, scale=4000, seed=11, now=NOW)).truth
        GraphSync(engine, gateway).full()
    finally:
        engine.dispose()
    return path, truth


@pytest.fixture(scope="module")
def seeded(seeded_crm) -> dict[str, Any]:
    return seeded_crm[1]


# --- the strongest path first -------------------------------------------------------------------------------


def test_strongest_path_first_with_its_evidence_and_explanation(g, finder):
    ann, bob, carl, priya = (g.person(n) for n in ("Ann Lee", "Bob Smith", "Carl Rossi", "Priya Patel"))
    user = g.user(ann)
    emails = g.interactions(ann, bob, [2, 3, 5, 8, 13, 21, 34, 40, 41, 50, 55, 60])
    rel = g.knows(bob, priya, "knows", 0.9)
    g.interactions(ann, carl, [400])
    weak = g.knows(priya, carl, "knows", 0.3)  # recorded from Priya's side: read either way

    result = finder.connections(priya, g.tenant, from_user=user)

    assert result.target == EntityRef(id=priya, type="Person", name="Priya Patel")
    assert node_ids(result) == [[ann, bob, priya], [ann, carl, priya]]
    best = result.paths[0]
    assert best.score > result.paths[1].score
    assert best.from_user == EntityRef(id=user, type="User", name="Ann Lee")
    assert [(h.from_, h.to, h.relation) for h in best.hops] == [(ann, bob, "INTERACTED"), (bob, priya, "KNOWS")]
    assert rows_of(best.hops[0].evidence, "interaction") == set(emails[:5])  # the five most recent
    assert rows_of(best.hops[1].evidence, "relationship") == {rel}
    assert rows_of(result.paths[1].hops[1].evidence, "relationship") == {weak}
    assert best.score == pytest.approx(best.hops[0].strength * best.hops[1].strength, abs=1e-5)
    assert best.explanation == ("Ann Lee (you) emailed Bob Smith 12 times, last 2 days ago; Bob knows Priya Patel.")


def test_one_path_per_chain_of_intermediaries(g, finder):
    ann, dan, bob, priya = (g.person(n) for n in ("Ann Lee", "Dan Wu", "Bob Smith", "Priya Patel"))
    g.user(ann)
    dan_user = g.user(dan)
    g.interactions(ann, bob, [30])
    g.interactions(dan, bob, [1, 2, 3, 4])
    g.knows(bob, priya, strength=0.8)

    result = finder.connections(priya, g.tenant)

    assert node_ids(result) == [[dan, bob, priya]]
    assert result.paths[0].from_user.id == dan_user
    assert "Dan Wu (on your team)" in result.paths[0].explanation


def test_paths_are_ranked_strongest_first_and_limited(g, finder):
    ann = g.person("Ann Lee")
    g.user(ann)
    target = g.person("Priya Patel")
    for i, strength in enumerate((0.2, 0.9, 0.5, 0.7, 0.4, 0.6)):
        middle = g.person(f"Middle {i}")
        g.interactions(ann, middle, [5, 6])
        g.knows(middle, target, strength=strength)

    result = finder.connections(target, g.tenant, limit=3)

    scores = [p.score for p in result.paths]
    assert len(scores) == 3
    assert scores == sorted(scores, reverse=True)
    assert [g.names[p.nodes[1].id] for p in result.paths] == ["Middle 1", "Middle 3", "Middle 5"]


# --- co-workers ---------------------------------------------------------------------------------------------


def test_a_coworker_hop_needs_overlapping_tenure(g, finder):
    ann, bob, dana, priya = (g.person(n) for n in ("Ann Lee", "Bob Smith", "Dana Cruz", "Priya Patel"))
    g.user(ann)
    g.knows(ann, bob, strength=0.8)
    acme = g.org("Acme Corp")
    bob_role = g.role(bob, acme, date(2015, 3, 1), date(2017, 6, 30))
    g.role(priya, acme, date(2018, 1, 1))  # joined after Bob (and Dana) left: no overlap
    dana_role = g.role(dana, acme, date(2016, 1, 1), date(2017, 12, 31))

    to_priya = finder.connections(priya, g.tenant)
    to_dana = finder.connections(dana, g.tenant)

    assert to_priya.paths == []
    assert node_ids(to_dana) == [[ann, bob, dana]]
    hop = to_dana.paths[0].hops[1]
    assert hop.relation == "COWORKER"
    assert entities_of(hop.evidence) == {acme}
    assert rows_of(hop.evidence, "contact") == {bob_role, dana_role}
    assert "Bob worked with Dana Cruz at Acme Corp 2016\u20132017" in to_dana.paths[0].explanation


def test_current_coworkers_at_a_small_company_are_a_strong_tie(g, finder):
    ann, bob, priya = (g.person(n) for n in ("Ann Lee", "Bob Smith", "Priya Patel"))
    g.user(ann)
    g.interactions(ann, bob, [3, 9])
    small = g.org("Tiny Labs")
    g.role(bob, small, date(2021, 1, 1))
    g.role(priya, small, date(2020, 5, 1))

    result = finder.connections(priya, g.tenant)

    assert node_ids(result) == [[ann, bob, priya]]
    assert result.paths[0].hops[1].relation == "COWORKER"
    assert "Bob works with Priya Patel at Tiny Labs (since 2021)" in result.paths[0].explanation


# --- organizations ------------------------------------------------------------------------------------------


def test_an_organization_is_reached_through_its_people_and_subsidiaries(g, finder):
    ann, bob, carl, eve = (g.person(n) for n in ("Ann Lee", "Bob Smith", "Carl Rossi", "Eve Adams"))
    g.user(ann)
    acme = g.org("Acme Corp")
    acme_eu = g.org("Acme Europe", parent=acme)
    g.role(bob, acme_eu, date(2021, 1, 1))
    g.role(carl, acme, date(2012, 1, 1), date(2016, 1, 1))
    g.role(eve, acme, date(2020, 1, 1))
    for person in (bob, carl):
        g.knows(ann, person, strength=0.8)

    result = finder.connections(acme, g.tenant)

    assert result.target == EntityRef(id=acme, type="Organization", name="Acme Corp")
    assert node_ids(result) == [[ann, bob, acme], [ann, carl, acme]]  # at a subsidiary now beats left years ago
    via_subsidiary = result.paths[0]
    assert [h.relation for h in via_subsidiary.hops] == ["KNOWS", "WORKS_AT"]
    assert acme_eu in entities_of(via_subsidiary.hops[1].evidence)
    assert via_subsidiary.nodes[-1].type == "Organization"
    assert via_subsidiary.explanation.endswith("Bob works at Acme Europe, part of Acme Corp.")
    assert result.paths[1].explanation.endswith("Carl worked at Acme Corp until 2016.")


def test_the_parent_of_a_subsidiary_counts_too(g, finder):
    ann, bob = g.person("Ann Lee"), g.person("Bob Smith")
    g.user(ann)
    acme = g.org("Acme Corp")
    acme_eu = g.org("Acme Europe", parent=acme)
    g.role(bob, acme, date(2021, 1, 1))
    g.knows(ann, bob)

    result = finder.connections(acme_eu, g.tenant)

    assert node_ids(result) == [[ann, bob, acme_eu]]


def test_no_detour_through_one_employee_to_another(g, finder):
    ann, bob, eve = g.person("Ann Lee"), g.person("Bob Smith"), g.person("Eve Adams")
    g.user(ann)
    acme = g.org("Acme Corp")
    g.role(bob, acme, date(2021, 1, 1))
    g.role(eve, acme, date(2019, 1, 1))
    g.knows(ann, bob)

    result = finder.connections(acme, g.tenant)

    assert node_ids(result) == [[ann, bob, acme]]


# --- bounds and who may start a path ------------------------------------------------------------------------


def test_max_hops_is_respected(g, finder):
    ann = g.person("Ann Lee")
    g.user(ann)
    chain = [ann, *(g.person(f"Link {i}") for i in range(3)), g.person("Priya Patel")]
    for a, b in itertools.pairwise(chain):
        g.knows(a, b, strength=0.9)

    assert finder.connections(chain[-1], g.tenant, max_hops=3).paths == []
    four = finder.connections(chain[-1], g.tenant, max_hops=4)
    assert node_ids(four) == [chain]
    assert all(len(p.hops) <= 2 for p in finder.connections(chain[2], g.tenant, max_hops=2).paths)


def test_inactive_users_start_no_path(g, finder):
    ann, zed, bob, priya = (g.person(n) for n in ("Ann Lee", "Zed Old", "Bob Smith", "Priya Patel"))
    g.user(ann)
    zed_user = g.user(zed, active=False)
    g.knows(zed, priya, strength=1.0)
    g.knows(ann, bob, strength=0.9)
    g.knows(bob, priya, strength=0.9)
    g.knows(ann, zed, strength=0.5)

    result = finder.connections(priya, g.tenant)

    assert zed_user not in {p.from_user.id for p in result.paths}
    assert node_ids(result) == [[ann, bob, priya], [ann, zed, priya]]  # a former user is just a person now
    with pytest.raises(NotFoundError):
        finder.connections(priya, g.tenant, from_user=zed_user)


def test_from_user_restricts_the_start(g, finder):
    ann, dan, priya = g.person("Ann Lee"), g.person("Dan Wu"), g.person("Priya Patel")
    g.user(ann)
    dan_user = g.user(dan)
    g.knows(ann, priya, strength=0.9)
    g.knows(dan, priya, strength=0.2)

    result = finder.connections(priya, g.tenant, from_user=dan_user)

    assert node_ids(result) == [[dan, priya]]
    assert result.paths[0].explanation == "Dan Wu (you) knows Priya Patel."


@pytest.mark.parametrize(("field", "value"), [("max_hops", 0), ("max_hops", 5), ("limit", 0), ("limit", 51)])
def test_out_of_range_arguments_name_the_field(g, finder, field, value):
    priya = g.person("Priya Patel")

    with pytest.raises(DataError) as error:
        finder.connections(priya, g.tenant, **{field: value})

    assert error.value.field == field


def test_unknown_target_and_non_target_entities_are_not_found(g, finder):
    ann = g.person("Ann Lee")
    user = g.user(ann)

    with pytest.raises(NotFoundError):
        finder.connections(str(uuid.uuid4()), g.tenant)
    with pytest.raises(NotFoundError):
        finder.connections(user, g.tenant)  # a User is not a target


# --- tenant isolation ---------------------------------------------------------------------------------------


@pytest.fixture
def twins(gateway):
    """Two tenants with the same names: Ann (user) → Bob → Priya at Acme Corp in each."""
    out = []
    for slug in ("us", "them"):
        t = HandGraph(gateway, slug)
        ids = {n: t.person(n) for n in ("Ann Lee", "Bob Smith", "Priya Patel")}
        ids["user"] = t.user(ids["Ann Lee"])
        ids["acme"] = t.org("Acme Corp")
        t.role(ids["Priya Patel"], ids["acme"], date(2020, 1, 1))
        t.knows(ids["Ann Lee"], ids["Bob Smith"], strength=0.6)
        t.knows(ids["Bob Smith"], ids["Priya Patel"], strength=0.6)
        out.append((t, ids))
    return out


def _tenants_of(gateway, ids) -> set[str]:
    rows = gateway.read(
        "tenants_of", "MATCH (n:__Entity__) WHERE n.id IN $ids RETURN DISTINCT n.tenant_id AS t", {"ids": list(ids)}
    )
    return {r["t"] for r in rows}


def test_another_tenants_target_or_user_is_not_found(twins, finder):
    (us, mine), (_, theirs) = twins

    with pytest.raises(NotFoundError):
        finder.connections(theirs["Priya Patel"], us.tenant)
    with pytest.raises(NotFoundError):
        finder.connections(theirs["acme"], us.tenant)
    with pytest.raises(NotFoundError):
        finder.connections(mine["Priya Patel"], us.tenant, from_user=theirs["user"])
    with pytest.raises(NotFoundError):
        finder.who_we_know_at(theirs["acme"], us.tenant)
    with pytest.raises(NotFoundError):
        finder.how_well_do_we_know(theirs["Priya Patel"], us.tenant)


def test_cross_tenant_edges_planted_by_hand_are_never_traversed(twins, finder, gateway):
    (us, mine), (_, theirs) = twins
    # a much stronger route, if one crossed tenants: our Ann → their Bob → our Priya, and their people at our Acme
    gateway.write(
        "plant",
        "MATCH (ann:Person {id: $ann}), (bob:Person {id: $their_bob}), (priya:Person {id: $priya}), "
        "(acme:Organization {id: $acme}), (their_priya:Person {id: $their_priya}), "
        "(their_acme:Organization {id: $their_acme}) "
        "CREATE (ann)-[:KNOWS {id: randomUUID(), kind: 'family', strength: 1.0}]->(bob), "
        "(bob)-[:KNOWS {id: randomUUID(), kind: 'family', strength: 1.0}]->(priya), "
        "(ann)-[:INTERACTED {count: 50, last_at: datetime($now), kinds: ['meeting']}]->(their_priya), "
        "(their_priya)-[:WORKS_AT {contact_id: randomUUID(), since: date('2019-01-01'), current: true}]->(acme), "
        "(their_acme)-[:SUBSIDIARY_OF]->(acme)",
        {
            "ann": mine["Ann Lee"],
            "priya": mine["Priya Patel"],
            "acme": mine["acme"],
            "their_bob": theirs["Bob Smith"],
            "their_priya": theirs["Priya Patel"],
            "their_acme": theirs["acme"],
            "now": NOW.isoformat(),
        },
    )

    to_priya = finder.connections(mine["Priya Patel"], us.tenant)
    to_acme = finder.connections(mine["acme"], us.tenant)
    known = finder.who_we_know_at(mine["acme"], us.tenant)

    assert node_ids(to_priya) == [[mine["Ann Lee"], mine["Bob Smith"], mine["Priya Patel"]]]
    assert node_ids(to_acme) == [[mine["Ann Lee"], mine["Bob Smith"], mine["Priya Patel"], mine["acme"]]]
    assert known.people == []  # only their Priya "knows" Ann, and she is not ours
    every_id = {n.id for r in (to_priya, to_acme) for p in r.paths for n in p.nodes}
    every_id |= {e.id for r in (to_priya, to_acme) for p in r.paths for h in p.hops for e in h.evidence}
    assert _tenants_of(finder.gateway, every_id) == {us.tenant}
    assert not every_id & set(theirs.values())


# --- related questions --------------------------------------------------------------------------------------


def test_who_we_know_at_an_organization(g, finder):
    ann, dan = g.person("Ann Lee"), g.person("Dan Wu")
    g.user(ann)
    g.user(dan)
    bob, carl, eve, fay = (g.person(n) for n in ("Bob Smith", "Carl Rossi", "Eve Adams", "Fay Moss"))
    acme = g.org("Acme Corp")
    acme_eu = g.org("Acme Europe", parent=acme)
    g.role(bob, acme, date(2020, 1, 1), title="CTO")
    g.role(carl, acme, date(2010, 1, 1), date(2015, 1, 1))
    g.role(eve, acme, date(2022, 1, 1))  # nobody on the team knows Eve
    g.role(fay, acme_eu, date(2023, 1, 1))
    g.interactions(ann, bob, [1, 2, 3, 10])
    g.knows(dan, bob, strength=0.3)
    g.knows(dan, carl, strength=0.6)
    g.interactions(ann, fay, [200])

    known = finder.who_we_know_at(acme, g.tenant)

    assert [k.person.id for k in known.people] == [bob, carl, fay]
    bob_known = known.people[0]
    assert bob_known.current and bob_known.title == "CTO"
    assert bob_known.organization.id == acme
    assert [n.id for n in bob_known.tie.nodes] == [ann, bob]  # Ann's emails beat Dan's weak tie
    assert not known.people[1].current
    assert known.people[2].organization == EntityRef(id=acme_eu, type="Organization", name="Acme Europe")
    assert known.summary == (
        "The team knows 3 people at Acme Corp: Bob Smith (CTO, via Ann Lee), Carl Rossi (formerly, via Dan Wu), "
        "Fay Moss (Engineer, via Ann Lee)."
    )


def test_how_well_do_we_know_someone_and_the_trend(g, finder):
    ann, dan, priya = g.person("Ann Lee"), g.person("Dan Wu"), g.person("Priya Patel")
    g.user(ann)
    g.user(dan)
    g.interactions(ann, priya, [5, 20, 60])  # the last 90 days: 3
    g.interactions(dan, priya, [100])  # the 90 days before: 1
    g.interactions(ann, priya, [300])  # outside both windows

    report = finder.how_well_do_we_know(priya, g.tenant)

    assert report.direct
    assert report.strongest is not None and [n.id for n in report.strongest.nodes] == [ann, priya]
    assert (report.recent_interactions, report.previous_interactions, report.trend) == (3, 1, "rising")
    assert report.last_interaction_at == days_ago(5)
    assert report.summary.endswith("3 interactions with Priya Patel in the last 90 days, 1 in the 90 before (rising).")


def test_how_well_do_we_know_an_organization(g, finder):
    ann, bob, carl = g.person("Ann Lee"), g.person("Bob Smith"), g.person("Carl Rossi")
    g.user(ann)
    acme = g.org("Acme Corp")
    g.role(bob, acme, date(2021, 1, 1))
    g.role(carl, acme, date(2010, 1, 1), date(2015, 1, 1))
    g.interactions(ann, bob, [10, 120, 150])
    g.interactions(ann, carl, [3, 4, 5, 6])  # he left: not counted in the trend of Acme

    report = finder.how_well_do_we_know(acme, g.tenant)

    assert report.direct
    assert report.strongest is not None and [n.id for n in report.strongest.nodes][-1] == acme
    assert (report.recent_interactions, report.previous_interactions, report.trend) == (1, 2, "falling")


def test_how_well_do_we_know_someone_we_never_met(g, finder):
    ann, bob, priya = g.person("Ann Lee"), g.person("Bob Smith"), g.person("Priya Patel")
    g.user(ann)
    g.knows(ann, bob)
    g.knows(bob, priya)

    report = finder.how_well_do_we_know(priya, g.tenant)

    assert not report.direct
    assert report.strongest is not None and len(report.strongest.hops) == 2
    assert report.trend == "none"
    assert report.summary.startswith("Nobody on the team knows Priya Patel directly; the best introduction: Ann Lee")


# --- free-text targets --------------------------------------------------------------------------------------


class StubResolver:
    def __init__(self, candidates: list[Candidate], ambiguous: bool) -> None:
        self.result = Resolution(text="", candidates=candidates, ambiguous=ambiguous)

    def resolve(self, text, tenant_id, types=None, limit=5) -> Resolution:
        assert set(types) == {"Person", "Organization"}
        return self.result.model_copy(update={"text": text})


def test_a_free_text_target_is_resolved_first(g, gateway):
    ann, priya = g.person("Ann Lee"), g.person("Priya Patel")
    g.user(ann)
    g.knows(ann, priya)
    one = Candidate(id=priya, type="Person", name="Priya Patel", score=0.95)
    other = Candidate(id=ann, type="Person", name="Ann Lee", score=0.9)

    resolved = ConnectionFinder(gateway, clock=lambda: NOW, resolver=StubResolver([one], False))
    ambiguous = ConnectionFinder(gateway, clock=lambda: NOW, resolver=StubResolver([one, other], True))

    assert node_ids(resolved.connections_for_text("Priya", g.tenant)) == [[ann, priya]]
    with pytest.raises(AmbiguousTargetError) as error:
        ambiguous.connections_for_text("P", g.tenant)
    assert [c.id for c in error.value.candidates] == [priya, ann]


def test_exact_names_resolve_when_the_entity_resolver_is_missing(g, gateway):
    priya = g.person("Priya Patel")
    bob_one, bob_two = g.person("Bob Smith"), g.person("Bob Smith")
    acme = g.org("Acme Corp")
    resolver = ExactNameResolver(gateway)

    assert [c.id for c in resolver.resolve(" priya PATEL", g.tenant).candidates] == [priya]
    assert not resolver.resolve("Priya Patel", g.tenant).ambiguous
    assert resolver.resolve("Bob Smith", g.tenant).ambiguous
    assert {c.id for c in resolver.resolve("Bob Smith", g.tenant).candidates} == {bob_one, bob_two}
    assert [c.id for c in resolver.resolve("acme corp", g.tenant, types=["Organization"]).candidates] == [acme]
    assert resolver.resolve("Acme Corp", g.tenant, types=["Person"]).candidates == []
    assert resolver.resolve("Priya Patel", str(uuid.uuid4())).candidates == []


# --- the seeded graph ---------------------------------------------------------------------------------------


def test_planted_strongest_paths_are_in_the_top_three(seeded, finder):
    misses = []
    for tenant in seeded["tenants"]:
        for planted in tenant["warm_paths"]:
            to_person = node_ids(finder.connections(planted["target"]["id"], tenant["id"]))
            to_org = node_ids(finder.connections(planted["target_organization"]["id"], tenant["id"]))
            if planted["nodes"] not in to_person[:3]:
                misses.append(("person", planted["target"]["name"], to_person[:3]))
            if [*planted["nodes"], planted["target_organization"]["id"]] not in to_org[:3]:
                misses.append(("organization", planted["target_organization"]["name"], to_org[:3]))

    assert sum(len(t["warm_paths"]) for t in seeded["tenants"]) >= 4
    assert misses == []


def test_seeded_paths_stay_in_their_tenant(seeded, finder, gateway):
    first, second = seeded["tenants"][:2]
    planted = first["warm_paths"][0]

    result = finder.connections(planted["target"]["id"], first["id"])
    ids = {n.id for p in result.paths for n in p.nodes}

    assert _tenants_of(gateway, ids) == {first["id"]}
    with pytest.raises(NotFoundError):
        finder.connections(planted["target"]["id"], second["id"])
    for alike in seeded["look_alikes"]:  # "Acme" and "Robert Smith" in every tenant, with ids of their own
        mine = alike["per_tenant"][first["slug"]]["id"]
        theirs = alike["per_tenant"][second["slug"]]["id"]
        paths = finder.connections(mine, first["id"], limit=10).paths
        assert _tenants_of(gateway, {n.id for p in paths for n in p.nodes}) <= {first["id"]}
        with pytest.raises(NotFoundError):
            finder.connections(theirs, first["id"])


# --- the command line ---------------------------------------------------------------------------------------


def run_cli(seeded_crm, neo4j_credentials, *args: str):
    path, _ = seeded_crm
    settings = Settings(
        environment="test",
        database_url=f"sqlite:///{path}",
        neo4j_uri=neo4j_credentials.uri,
        neo4j_user=neo4j_credentials.user,
        neo4j_password=SecretStr(neo4j_credentials.password.get_secret_value()),
    )
    app = typer.Typer()
    app.command()(connections_command)
    return CliRunner().invoke(app, list(args), obj=settings)


def test_cli_resolves_a_name_and_prints_the_api_answer(seeded_crm, neo4j_credentials):
    tenant = seeded_crm[1]["tenants"][0]
    planted = tenant["warm_paths"][0]
    user = next(u for u in tenant["users"] if u["id"] == planted["user_id"])

    by_name = run_cli(seeded_crm, neo4j_credentials, planted["target"]["name"], "--tenant", tenant["slug"], "--json")
    by_id = run_cli(
        seeded_crm, neo4j_credentials, planted["target"]["id"], "--tenant", tenant["slug"],
        "--from-user", user["email"].upper(), "--json", "--limit", "2",
    )  # fmt: skip
    table = run_cli(seeded_crm, neo4j_credentials, planted["target"]["id"], "--tenant", tenant["slug"])

    assert by_name.exit_code == 0, by_name.output
    answer = json.loads(by_name.output)
    assert answer["target"]["id"] == planted["target"]["id"]
    assert [n["id"] for n in answer["paths"][0]["nodes"]] == planted["nodes"]
    assert set(answer["paths"][0]["hops"][0]) >= {"from", "to", "relation", "evidence"}
    assert by_id.exit_code == 0, by_id.output
    assert {p["from_user"]["id"] for p in json.loads(by_id.output)["paths"]} == {user["id"]}
    assert table.exit_code == 0 and planted["target"]["name"] in table.output


def test_cli_refuses_unknown_tenants_and_users(seeded_crm, neo4j_credentials):
    tenant = seeded_crm[1]["tenants"][0]
    target = tenant["warm_paths"][0]["target"]["id"]

    no_tenant = run_cli(seeded_crm, neo4j_credentials, target, "--tenant", "no-such-tenant")
    no_user = run_cli(seeded_crm, neo4j_credentials, target, "--tenant", tenant["slug"], "--from-user", "x@y.z")

    assert isinstance(no_tenant.exception, NotFoundError)
    assert isinstance(no_user.exception, NotFoundError)
