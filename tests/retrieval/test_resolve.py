"""Entity resolution against a real seeded and synced graph (two tenants with look-alike names).

One seeded CRM (SQLite) is synced into Neo4j once for the module; the seed's ground
truth says which entity each planted mention names. The pure parts (the Lucene query
builder, the ranking) are tested without the graph.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from kgcrm.cli.retrieval import resolve_command
from kgcrm.core.errors import DataError
from kgcrm.core.settings import Settings
from kgcrm.crm.database import make_engine, upgrade
from kgcrm.crm.seed import seed_database
from kgcrm.crm.seed_generate import SeedConfig
from kgcrm.eval.resolution import evaluate_resolution
from kgcrm.graph.gateway import GraphGateway
from kgcrm.graph.schema import apply_schema
from kgcrm.retrieval.resolve import EntityResolver, Scored, lucene_escape, lucene_query, rank
from kgcrm.retrieval.resolve import resolver as resolve_module
from kgcrm.sync.engine import GraphSync

NOW = datetime(2026, 3, 18, 15, 0, tzinfo=UTC)
DIMENSIONS = 384

INJECTIONS = [
    "*",
    "?",
    "~",
    '"',
    "\\",
    "name:* OR id:*",
    "*:*",
    "a AND NOT b",
    ") OR (",
    "robert~0.1^100",
    "/.*/",
    "' OR 1=1 --",
    '"}) MATCH (n) DETACH DELETE n //',
    "$tenant",
    "Robert\u200b Smith\u202e",
    "\uff32\uff4f\uff42\uff45\uff52\uff54 \uff33\uff4d\uff49\uff54\uff48",  # full-width Robert Smith
    "😀 at 🏢",
    "ж" * 500,
    "Bob " * 300,
    "",
    "   ",
]


def _wipe(driver) -> None:
    with driver.session() as session:
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()


@pytest.fixture(scope="module")
def seeded(neo4j_driver, sqlite_template, tmp_path_factory) -> Iterator[dict[str, Any]]:
    """A seeded CRM of two tenants (look-alike anchors in both), synced: its ground truth and gateway."""
    _wipe(neo4j_driver)
    gateway = GraphGateway(neo4j_driver)
    apply_schema(gateway, dimensions=DIMENSIONS)
    path = tmp_path_factory.mktemp("resolve") / "crm.sqlite3"
    path.write_bytes(sqlite_template.read_bytes())
    engine = make_engine(f"sqlite:///{path}")
    try:
        upgrade(engine)
        truth = seed_database(engine, SeedConfig(tenants=2, scale=2400, seed=7, now=NOW)).truth
        GraphSync(engine, gateway).full()
    finally:
        engine.dispose()
    yield {"truth": truth, "gateway": gateway}
    _wipe(neo4j_driver)


@pytest.fixture(scope="module")
def gateway(seeded) -> GraphGateway:
    return seeded["gateway"]


@pytest.fixture(scope="module")
def tenants(seeded) -> dict[str, dict[str, Any]]:
    """Tenant truths by slug."""
    return {t["slug"]: t for t in seeded["truth"]["tenants"]}


@pytest.fixture(scope="module")
def a_and_b(tenants) -> tuple[dict[str, Any], dict[str, Any]]:
    first, second = tenants.values()
    return first, second


@pytest.fixture
def resolver(gateway) -> EntityResolver:
    return EntityResolver(gateway, clock=lambda: NOW)


def tenant_of(gateway: GraphGateway, ids: list[str]) -> set[str]:
    rows = gateway.read(
        "t", "UNWIND $ids AS i MATCH (n:__Entity__ {id: i}) RETURN DISTINCT n.tenant_id AS t", {"ids": ids}
    )
    return {r["t"] for r in rows}


def mention(tenant: dict[str, Any], kind: str, text: str | None = None) -> dict[str, Any]:
    return next(m for m in tenant["mentions"] if m["kind"] == kind and (text is None or m["text"] == text))


def node_count(gateway: GraphGateway) -> tuple[int, int]:
    nodes = gateway.read("c", "MATCH (n) RETURN count(n) AS c")[0]["c"]
    rels = gateway.read("c", "MATCH ()-[r]->() RETURN count(r) AS c")[0]["c"]
    return nodes, rels


# --- pure: the Lucene query --------------------------------------------------------------------------


def test_lucene_escape_escapes_every_special_character():
    assert lucene_escape('a+b-c!d(e)f{g}h[i]j^k"l~m*n?o:p\\q/r&s|t') == (
        'a\\+b\\-c\\!d\\(e\\)f\\{g\\}h\\[i\\]j\\^k\\"l\\~m\\*n\\?o\\:p\\\\q\\/r\\&s\\|t'
    )


def test_lucene_query_fuzzes_by_length_and_adds_nicknames():
    query = lucene_query(["Bob", "Patel"], field="name")
    assert query is not None
    assert "(name:bob^2 OR name:bob~1)" in query
    assert "(name:patel^2 OR name:patel~1)" in query
    assert "name:robert" in query  # Bob's full name


@pytest.mark.parametrize("text", INJECTIONS)
def test_lucene_query_never_carries_user_syntax(text):
    query = lucene_query([text], field="name")
    if query is None:  # nothing searchable left
        return
    for clause in query.split(" OR "):
        term = clause.strip("()").split("^")[0].split("~")[0]
        assert term.startswith("name:")
        assert term[len("name:") :].isalnum()


# --- pure: ranking -------------------------------------------------------------------------------------


def scored(id_: str, logit: float, **record: Any) -> Scored:
    return Scored(id=id_, type="Person", name=id_, logit=logit, reasons=(), record={"id": id_, **record})


def test_rank_is_a_softmax_with_a_null_option():
    candidates, ambiguous = rank([scored("a", 4.0)], limit=5)
    assert candidates[0].score == pytest.approx(math.exp(4) / (1 + math.exp(4)), abs=1e-3)
    assert not ambiguous


def test_rank_two_equal_candidates_are_ambiguous():
    candidates, ambiguous = rank(
        [
            scored("a", 3.0, first_name="Maria", last_name="Garcia"),
            scored("b", 3.0, first_name="Maria", last_name="Lopez"),
        ],
        limit=5,
    )
    assert ambiguous
    assert [c.score for c in candidates] == [pytest.approx(candidates[1].score)] * 2
    assert candidates[0].score < 0.5


def test_rank_groups_duplicates_and_counts_them_once():
    same = {"last_name": "Smith", "email": "bob@acme.com", "location": "Chicago, IL"}
    robert, bob = scored("a", 3.0, first_name="Robert", **same), scored("b", 2.0, first_name="Bob", **same)
    other = scored("c", 3.0, first_name="Robert", last_name="Robinson")

    candidates, ambiguous = rank([robert, bob, other], limit=5)

    by_id = {c.id: c for c in candidates}
    assert by_id["a"].score == by_id["b"].score  # one entity, one probability
    assert by_id["a"].score == pytest.approx(math.exp(3) / (1 + 2 * math.exp(3)), abs=1e-3)  # not doubled
    assert ambiguous  # two people, equally likely
    assert any("duplicate record" in reason for reason in by_id["a"].reasons)
    assert not any("duplicate record" in reason for reason in by_id["c"].reasons)


# --- on the seeded graph ------------------------------------------------------------------------------------


@pytest.mark.neo4j
class TestOnTheSeededGraph:
    def test_every_planted_mention_kind_resolves(self, gateway, seeded):
        figures = evaluate_resolution(gateway, seeded["truth"])

        assert figures.mentions >= 140
        assert figures.top1 >= 0.95, [(o.text, o.rank) for o in figures.failures]
        assert figures.top3 >= 0.97
        for kind, kind_figures in figures.by_kind.items():
            if kind != "time":  # "the person we called last week": the seed has other calls that week
                assert kind_figures.top1 == 1.0, (kind, [o.text for o in figures.failures if o.kind == kind])
        assert figures.ece < 0.1

    def test_bob_at_acme_finds_robert_smith_and_his_duplicate(self, resolver, a_and_b):
        for tenant in a_and_b:
            expected = mention(tenant, "nickname_at_org", "Bob at Acme")

            resolution = resolver.resolve("Bob at Acme", tenant["id"])

            top_two = {c.id for c in resolution.candidates[:2]}
            assert top_two == {expected["expect"], *expected["also"]}
            assert not resolution.ambiguous
            best = resolution.candidates[0]
            assert best.score >= 0.9
            assert any("works at acme" in reason.lower() for reason in best.reasons)
            assert any("duplicate record" in reason for reason in best.reasons)

    @pytest.mark.parametrize(
        ("kind", "text"),
        [
            ("first_name_at_org", None),
            ("typo", "Priya Patell"),
            ("domain", "acme.com"),
            ("name_variant", "ACME"),
            ("description", "the robotics startup in Austin"),
            ("time", "the company we met last week"),
            ("time", "the company we met yesterday"),
            ("time", "who we met yesterday"),
        ],
    )
    def test_mentions_of_the_brief(self, resolver, a_and_b, kind, text):
        for tenant in a_and_b:
            planted = mention(tenant, kind, text)

            resolution = resolver.resolve(planted["text"], tenant["id"])

            assert resolution.best is not None
            assert resolution.best.id in {planted["expect"], *planted["also"]}
            assert resolution.best.reasons

    def test_a_deal_names_the_person_on_it(self, resolver, a_and_b):
        for tenant in a_and_b:
            planted = next(m for m in tenant["mentions"] if m["text"].startswith("Priya from"))
            priya = planted["expect"]

            resolution = resolver.resolve("Priya from the Northwind deal", tenant["id"])

            assert resolution.best is not None and resolution.best.id == priya
            assert not resolution.ambiguous

    def test_an_exact_email_is_near_certain(self, resolver, a_and_b):
        for tenant in a_and_b:
            planted = mention(tenant, "email")

            resolution = resolver.resolve(planted["text"], tenant["id"])

            assert resolution.best is not None and resolution.best.id == planted["expect"]
            assert resolution.best.score >= 0.9
            assert "email matches exactly" in resolution.best.reasons

    def test_an_email_in_upper_case_still_matches(self, resolver, a_and_b):
        tenant = a_and_b[0]
        planted = mention(tenant, "email")

        resolution = resolver.resolve(planted["text"].upper(), tenant["id"])

        assert resolution.best is not None and resolution.best.id == planted["expect"]

    def test_nonsense_scores_low(self, resolver, a_and_b):
        for text in ("qwxz zzvbk", "Xylophone Quagmire", "the quantum bakery in Reykjavik"):
            resolution = resolver.resolve(text, a_and_b[0]["id"])
            assert resolution.best is None or resolution.best.score < 0.2, (text, resolution.best)

    def test_a_shared_first_name_is_ambiguous(self, resolver, gateway, a_and_b):
        tenant = a_and_b[0]
        duplicated = {i for d in tenant["duplicates"] for i in d["ids"]}
        rows = gateway.read(
            "shared_first_names",
            "MATCH (p:Person) WHERE p.tenant_id = $tenant AND NOT p.id IN $skip "
            "WITH p.first_name AS first, count(*) AS n WHERE n >= 3 RETURN first ORDER BY n DESC, first LIMIT 1",
            {"tenant": tenant["id"], "skip": sorted(duplicated)},
        )
        first = rows[0]["first"]

        resolution = resolver.resolve(first, tenant["id"])

        assert resolution.ambiguous
        assert len(resolution.candidates) >= 2
        assert resolution.best is not None and resolution.best.score < 0.5

    def test_types_narrow_the_candidates(self, resolver, a_and_b):
        tenant = a_and_b[0]

        people = resolver.resolve("Acme", tenant["id"], types=["Person"])
        organizations = resolver.resolve("Acme", tenant["id"], types=["Organization"])

        assert all(c.type == "Person" for c in people.candidates)
        assert organizations.candidates and all(c.type == "Organization" for c in organizations.candidates)
        with pytest.raises(DataError, match="unknown entity type"):
            resolver.resolve("Acme", tenant["id"], types=["Tenant"])

    def test_a_name_alone_is_resolved_in_one_round_trip_with_the_answer_of_two(
        self, resolver, gateway, a_and_b, caplog, monkeypatch
    ):
        names = [m["text"] for t in a_and_b for m in t["mentions"] if m["kind"] in ("full_name", "organization")]
        names += [
            r["name"]
            for r in gateway.read("names", "MATCH (n:Person|Organization) RETURN n.name AS name ORDER BY n.id LIMIT 40")
        ]
        names += ["Robert Smith", "Acme", "Zzyzx Qwerty"]  # and one that finds nothing
        queries_of: dict[tuple[str, str], list[str]] = {}
        together: dict[tuple[str, str], Any] = {}
        caplog.set_level("DEBUG", logger="kgcrm.graph.gateway")
        for tenant in a_and_b:
            for text in names:
                caplog.clear()
                together[(tenant["id"], text)] = resolver.resolve(text, tenant["id"])
                said = [r.getMessage() for r in caplog.records]
                queries_of[(tenant["id"], text)] = [m.split()[2] for m in said if m.startswith("neo4j query")]
        monkeypatch.setattr(resolve_module, "_only_a_name", lambda mention: False)  # the lookup, then the details

        apart = {(tenant_id, text): resolver.resolve(text, tenant_id) for tenant_id, text in together}

        assert apart == together
        found = [key for key, resolution in together.items() if resolution.candidates]
        assert len(found) > len(together) / 2
        assert all(queries_of[key] == ["resolve_details_feedback"] for key in found)

    # --- tenant isolation ----------------------------------------------------------------------------------

    def test_no_mention_of_one_tenant_returns_the_other_tenants_entities(self, resolver, gateway, a_and_b):
        for mine, theirs in (a_and_b, a_and_b[::-1]):
            for planted in theirs["mentions"]:
                resolution = resolver.resolve(planted["text"], mine["id"])

                ids = [c.id for c in resolution.candidates]
                assert planted["expect"] not in ids
                assert tenant_of(gateway, ids) <= {mine["id"]}, planted["text"]

    def test_a_name_only_the_other_tenant_has_is_not_found(self, resolver, gateway, a_and_b):
        mine, theirs = a_and_b
        names_of_mine = {
            value.lower()
            for r in gateway.read(
                "names",
                "MATCH (p:Person) WHERE p.tenant_id = $t RETURN p.name AS name, p.email AS email",
                {"t": mine["id"]},
            )
            for value in (r["name"], r["email"])
            if value
        }
        only_theirs = [
            m
            for m in theirs["mentions"]
            if m["kind"] in ("full_name", "email") and m["text"].lower() not in names_of_mine
        ]
        assert only_theirs
        for planted in only_theirs:
            resolution = resolver.resolve(planted["text"], mine["id"])

            assert planted["expect"] not in {c.id for c in resolution.candidates}
            assert resolution.best is None or resolution.best.score < 0.9, (planted["text"], resolution.best)

    def test_look_alikes_resolve_within_each_tenant(self, resolver, seeded, a_and_b):
        for anchor in seeded["truth"]["look_alikes"]:
            for tenant in a_and_b:
                own = anchor["per_tenant"][tenant["slug"]]

                resolution = resolver.resolve(own["name"], tenant["id"])

                assert resolution.best is not None
                ids = {c.id for c in resolution.candidates}
                assert own["id"] in ids
                others = {v["id"] for slug, v in anchor["per_tenant"].items() if slug != tenant["slug"]}
                assert not ids & others

    @pytest.mark.parametrize("text", INJECTIONS)
    def test_injection_strings_are_harmless(self, resolver, gateway, a_and_b, text):
        before = node_count(gateway)
        tenant = a_and_b[0]

        resolution = resolver.resolve(text, tenant["id"])

        assert tenant_of(gateway, [c.id for c in resolution.candidates]) <= {tenant["id"]}
        assert node_count(gateway) == before

    def test_another_tenants_id_as_text_finds_nothing_of_theirs(self, resolver, gateway, a_and_b):
        mine, theirs = a_and_b
        resolution = resolver.resolve(theirs["id"], mine["id"])
        assert tenant_of(gateway, [c.id for c in resolution.candidates]) <= {mine["id"]}

    def test_an_unknown_tenant_gets_nothing(self, resolver):
        assert resolver.resolve("Bob at Acme", "no-such-tenant").candidates == []
        with pytest.raises(DataError):
            resolver.resolve("Bob", "")

    # --- vector similarity ----------------------------------------------------------------------------------

    def test_vector_candidates_are_over_fetched_and_filtered_to_the_tenant(self, gateway, a_and_b):
        """The other tenant's nodes are nearer to the query than ours: ours still come back, theirs never."""
        mine, theirs = a_and_b
        axis = [0.0] * DIMENSIONS
        axis[0] = 1.0
        near = [0.0] * DIMENSIONS
        near[0], near[1] = 0.95, math.sqrt(1 - 0.95**2)
        theirs_ids = [
            r["id"]
            for r in gateway.read(
                "theirs", "MATCH (n:Person) WHERE n.tenant_id = $t RETURN n.id AS id LIMIT 300", {"t": theirs["id"]}
            )
        ]
        ours = mine["mentions"][0]["expect"]
        try:
            gateway.write(
                "embed",
                "UNWIND $ids AS i MATCH (n:__Entity__ {id: i}) SET n.embedding = $v",
                {"ids": theirs_ids, "v": axis},
            )
            gateway.write("embed", "MATCH (n:__Entity__ {id: $id}) SET n.embedding = $v", {"id": ours, "v": near})
            resolver = EntityResolver(gateway, embedder=lambda text: axis, clock=lambda: NOW)

            resolution = resolver.resolve("qqqq zzzz", mine["id"], types=["Person"])

            ids = {c.id for c in resolution.candidates}
            assert ours in ids
            assert not ids & set(theirs_ids)
            assert any("semantic similarity" in r for c in resolution.candidates for r in c.reasons)
        finally:
            gateway.write("unembed", "MATCH (n:__Entity__) WHERE n.embedding IS NOT NULL REMOVE n.embedding")

    # --- the command line -------------------------------------------------------------------------------------

    def test_kgcrm_resolve_prints_the_candidates(self, neo4j_credentials, a_and_b):
        app = typer.Typer()
        app.command("resolve")(resolve_command)

        @app.callback()
        def load(ctx: typer.Context) -> None:
            ctx.obj = Settings(
                neo4j_uri=neo4j_credentials.uri,
                neo4j_user=neo4j_credentials.auth[0],
                neo4j_password=neo4j_credentials.auth[1],
            )

        tenant = a_and_b[0]
        result = CliRunner().invoke(app, ["resolve", "Bob at Acme", "--tenant", tenant["slug"]], terminal_width=200)

        assert result.exit_code == 0, result.output
        assert "Smith" in result.output
        assert "works at acme" in result.output.lower()

        missing = CliRunner().invoke(app, ["resolve", "Bob", "--tenant", "no-such-slug"])
        assert missing.exit_code != 0
