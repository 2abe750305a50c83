"""The Cypher guard: what it refuses, how it rewrites, and what the server-side checks add.

The string tests need no database. The ``run_guarded`` tests run against the real
Neo4j, on two tenants with look-alike data, and check that the graph is unchanged.
"""

from __future__ import annotations

import hashlib
import json

import neo4j
import pytest

from kgcrm.graph.gateway import GraphGateway, GraphQueryError
from kgcrm.retrieval import cypher_guard
from kgcrm.retrieval.cypher_guard import GuardedQuery, UnsafeCypherError, guard, run_guarded

T = "{tenant_id: $__tenant}"

# --- two tenants with look-alike data (also used by test_text2cypher.py) ------------------------

ALPHA = "t-alpha"
BETA = "t-beta"

SEED = """
CREATE (:Tenant {id: "t-alpha", name: "Alpha", slug: "alpha"}), (:Tenant {id: "t-beta", name: "Beta", slug: "beta"})
CREATE (aacme:Organization:__Entity__ {id: "a-org-acme", tenant_id: "t-alpha", name: "Acme", industry: "Software",
                                       embedding: [0.1, 0.2, 0.3]})
CREATE (aglobex:Organization:__Entity__ {id: "a-org-globex", tenant_id: "t-alpha", name: "Globex"})
CREATE (ainitech:Organization:__Entity__ {id: "a-org-initech", tenant_id: "t-alpha", name: "Initech"})
CREATE (bacme:Organization:__Entity__ {id: "b-org-acme", tenant_id: "t-beta", name: "Acme", industry: "Software"})
CREATE (bumbrella:Organization:__Entity__ {id: "b-org-umbrella", tenant_id: "t-beta", name: "Umbrella"})
CREATE (adana:Person:__Entity__ {id: "a-person-dana", tenant_id: "t-alpha", name: "Dana Smith", email: "dana@a.test"})
CREATE (alee:Person:__Entity__ {id: "a-person-lee", tenant_id: "t-alpha", name: "Lee Chan"})
CREATE (bdana:Person:__Entity__ {id: "b-person-dana", tenant_id: "t-beta", name: "Dana Smith", email: "dana@b.test"})
CREATE (bsam:Person:__Entity__ {id: "b-person-sam", tenant_id: "t-beta", name: "Sam Secret", bio: "beta only"})
CREATE (adana)-[:WORKS_AT {tenant_id: "t-alpha", title: "CTO", current: true}]->(aacme)
CREATE (alee)-[:WORKS_AT {tenant_id: "t-alpha", title: "CEO", current: true}]->(aglobex)
CREATE (bdana)-[:WORKS_AT {tenant_id: "t-beta", title: "Spy", current: true}]->(bacme)
CREATE (bsam)-[:WORKS_AT {tenant_id: "t-beta", title: "Boss", current: true}]->(bumbrella)
CREATE (adana)-[:KNOWS {tenant_id: "t-alpha", kind: "colleague", strength: 0.5}]->(alee)
CREATE (bdana)-[:KNOWS {tenant_id: "t-beta", kind: "investor", strength: 0.9}]->(bsam)
CREATE (:Status {id: "a-status-open", tenant_id: "t-alpha", name: "Open", category: "open"})
CREATE (:Status {id: "b-status-open", tenant_id: "t-beta", name: "Open", category: "open"})
"""


def seed_two_tenants(driver: neo4j.Driver) -> None:
    """Replace the graph with the two look-alike tenants above."""
    with driver.session() as session:
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()
        session.run(SEED).consume()


def graph_state(driver: neo4j.Driver) -> tuple[int, int, str]:
    """Node count, relationship count and a checksum of every label, type and property."""
    with driver.session() as session:
        nodes = session.run("MATCH (n) RETURN elementId(n) AS id, labels(n) AS labels, properties(n) AS props").data()
        rels = session.run(
            "MATCH (a)-[r]->(b) RETURN elementId(a) AS a, type(r) AS type, properties(r) AS props, elementId(b) AS b"
        ).data()
    canonical = json.dumps(sorted(json.dumps(x, sort_keys=True, default=str) for x in nodes + rels), sort_keys=True)
    return len(nodes), len(rels), hashlib.sha256(canonical.encode()).hexdigest()


# --- rewriting -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "rewritten"),
    [
        (
            "MATCH (p:Person)-[:WORKS_AT]->(o) RETURN o.name",
            f"MATCH (p:Person {T})-[:WORKS_AT]->(o {T}) RETURN o.name",
        ),
        ("MATCH (n) RETURN n", f"MATCH (n {T}) RETURN n"),
        ("MATCH () RETURN 1 AS one", f"MATCH ({T}) RETURN 1 AS one"),
        ("MATCH (n ) RETURN n", f"MATCH (n {T}) RETURN n"),
        (
            'MATCH (o:Organization {name: "Acme", industry: "x"}) RETURN o.id',
            'MATCH (o:Organization {tenant_id: $__tenant, name: "Acme", industry: "x"}) RETURN o.id',
        ),
        ("MATCH (o:Organization {}) RETURN o.id", f"MATCH (o:Organization {T}) RETURN o.id"),
        (
            "OPTIONAL MATCH (n)-[r]-() RETURN n, r",
            f"OPTIONAL MATCH (n {T})-[r]-({T}) RETURN n, r",
        ),
        (
            "MATCH (n) RETURN [(n)-->(m) | m.name] AS names",
            f"MATCH (n {T}) RETURN [(n {T})-->(m {T}) | m.name] AS names",
        ),
        (
            "MATCH (n) WHERE EXISTS { MATCH (n)-->(m) RETURN m } RETURN n",
            f"MATCH (n {T}) WHERE EXISTS {{ MATCH (n {T})-->(m {T}) RETURN m }} RETURN n",
        ),
        (
            "MATCH (n) WHERE NOT (n)-[:KNOWS]->(:Person) RETURN n",
            f"MATCH (n {T}) WHERE NOT (n {T})-[:KNOWS]->(:Person {T}) RETURN n",
        ),
        (
            "MATCH (a) RETURN a.name AS x UNION MATCH (b) RETURN b.name AS x",
            f"MATCH (a {T}) RETURN a.name AS x UNION MATCH (b {T}) RETURN b.name AS x",
        ),
        (
            'MATCH p = shortestPath((a:Person {name: "A"})-[:KNOWS*..4]-(b:Person)) RETURN p',
            'MATCH p = shortestPath((a:Person {tenant_id: $__tenant, name: "A"})-[:KNOWS*..4]-'
            f"(b:Person {T})) RETURN p",
        ),
        ("MATCH (n)\nRETURN n;", f"MATCH (n {T})\nRETURN n"),
        ("MATCH (n) RETURN n ;  ", f"MATCH (n {T}) RETURN n"),
    ],
)
def test_every_node_pattern_gets_the_tenant_filter(query, rewritten):
    guarded = guard(query)

    assert guarded.cypher == rewritten
    assert guarded.node_patterns == rewritten.count("$__tenant")
    assert guarded.original == query


def test_a_query_is_normalised_nfkc_before_anything_else():
    guarded = guard(
        "\uff2d\uff21\uff34\uff23\uff28 (\uff4e)\u00a0\uff32\uff25\uff34\uff35\uff32\uff2e \uff4e"
    )  # full-width letters, a no-break space

    assert guarded.cypher == f"MATCH (n {T}) RETURN n"


def test_unicode_inside_string_literals_is_kept():
    guarded = guard("MATCH (p:Person) WHERE p.name = 'Zoë Ångström' RETURN p.id")

    assert "'Zoë Ångström'" in guarded.cypher


def test_property_keys_and_labels_named_like_keywords_are_fine():
    guarded = guard("MATCH (s:Status) WHERE s.set = 1 RETURN {set: s.name} AS m")

    assert guarded.cypher.startswith(f"MATCH (s:Status {T})")


# --- refusals ------------------------------------------------------------------------------

WRITES = [
    'CREATE (n:Organization {name: "Evil"})',
    "MATCH (n) DETACH DELETE n",
    "MATCH (n) DELETE n",
    'MATCH (o:Organization) SET o.name = "pwned" RETURN o',
    'MATCH (o:Organization) SET o += {name: "pwned"}',
    "MATCH (o:Organization) SET o:Evil",
    'MERGE (o:Organization {name: "Evil"}) RETURN o',
    "MATCH (o:Organization) REMOVE o.name",
    "MATCH (n) CALL { WITH n DETACH DELETE n } RETURN count(*) AS c",
    "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS",
    "CALL { MATCH (n) RETURN n } RETURN n",
    'LOAD CSV FROM "file:///etc/passwd" AS row RETURN row',
    'USING PERIODIC COMMIT LOAD CSV FROM "file:///x.csv" AS row CREATE (n)',
    "FOREACH (x IN range(1, 3) | CREATE (:Evil))",
    "MATCH (n) FOREACH (x IN [1] | SET n.x = 1)",
]

PROCEDURES_AND_FUNCTIONS = [
    'CALL apoc.create.node(["Evil"], {name: "x"}) YIELD node RETURN node',
    'CALL apoc.periodic.iterate("MATCH (n) RETURN n", "DETACH DELETE n", {batchSize: 10})',
    'CALL apoc.cypher.runWrite("MATCH (n) DETACH DELETE n", {}) YIELD value RETURN value',
    'MATCH (n) CALL apoc.cypher.runWrite("CREATE (x)", {}) YIELD value RETURN value',
    "CALL db.labels() YIELD label RETURN label",
    'CALL db.createLabel("Evil")',
    "CALL dbms.components()",
    'RETURN apoc.cypher.runFirstColumnSingle("MATCH (n) RETURN count(n)", {}) AS n',
    'RETURN apoc.text.join(["a"], ",") AS s',
    'RETURN `apoc`.`text`.`join`(["a"], ",") AS s',
    'RETURN apoc.load.json("file:///etc/passwd") AS v',
    'RETURN db.nameFromElementId("4:x:1") AS n',
]

ADMIN = [
    "CREATE INDEX evil FOR (n:Evil) ON (n.x)",
    "DROP INDEX person_tenant",
    "SHOW USERS",
    "SHOW DATABASES",
    'ALTER USER neo4j SET PASSWORD "x"',
    "GRANT ROLE admin TO evil",
    "EXPLAIN MATCH (n) RETURN n",
    "PROFILE MATCH (n) RETURN n",
    "CYPHER runtime=slotted MATCH (n) RETURN n",
    "USE system SHOW USERS",
    "MATCH (n) USING INDEX n:Person(name) RETURN n",
]

TENANT_TRICKS = [
    "MATCH (n) WHERE n.tenant_id <> $tenant RETURN n",
    "MATCH (n {tenant_id: $__tenant}) RETURN n",
    "MATCH (n) WHERE n.tenant_id = $__tenant OR true RETURN n",
    'MATCH (n {tenant_id: "t-beta"}) RETURN n',
    "MATCH (n $props) RETURN n",
    "MATCH (n) WHERE n.__tenant = 1 RETURN n",
    "MATCH (n) RETURN $1 AS x",
]

STATEMENTS_AND_COMMENTS = [
    "MATCH (n) RETURN n; MATCH (m) DETACH DELETE m",
    "MATCH (n) RETURN n;;",
    "MATCH (n) RETURN n /* */ ; MATCH (m) DETACH DELETE m",
    "MATCH (n) RETURN n // comment",
    "MATCH (n) /* DETACH DELETE n */ RETURN n",
    'MATCH (n) WHERE n.name = "x\\" DETACH DELETE n //" RETURN n',
    "MATCH (n) WHERE n.name = 'x\\' DETACH DELETE n //' RETURN n",
    'MATCH (n) WHERE n.name = "a\nb" RETURN n',
]

UNICODE_TRICKS = [
    "\u0421REATE (n:Evil)",  # Cyrillic Es for the C of CREATE
    "MATCH (n) \u0414ETACH DELETE n",  # Cyrillic De
    "\uff23\uff32\uff25\uff21\uff34\uff25 (n:Evil)",  # full-width: NFKC turns it into CREATE
    "MATCH (n) DE\u200bTACH DELETE n",  # zero-width space
    "MATCH (n) RETURN n\u200d",  # zero-width joiner
    "MATCH (n)\u202e RETURN n",  # right-to-left override
    "MATCH (n)\u180eRETURN n",  # Mongolian vowel separator (a format character)
    "MATCH (n)\u2028RETURN n",  # line separator
    "MATCH (n) RETURN n\x00",
    "MATCH (n)\x1cRETURN n",  # a file separator, which str.split() takes for a space
    "MATCH (n:Pers\u043en) RETURN n",  # Cyrillic o in a label
    "MATCH (n) RETURN n.n\u0430me",  # Cyrillic a in a property
    "MATCH (n:`CREATE`) RETURN n",  # a keyword in backticks
    "MATCH (n) RETURN n.`x``y`",
    "MATCH (n) RETURN n.`x;y`",
    "MATCH (n) RETURN n LIMIT 0x10",
]

NOT_IN_THE_SUBSET = [
    "",
    "   ",
    "MATCH (n RETURN n",
    "MATCH (n) RETURN n {.name}",
    "MATCH (n) RETURN COUNT { (n)--() } AS c",
    "MATCH (n:Person|User) RETURN n",
    'MATCH (n) WHERE n.name =~ "A.*" RETURN n',
    "MATCH (n) RETURN n.x-1",
    "hello, here is your query",
]


@pytest.mark.parametrize(
    "query",
    WRITES + PROCEDURES_AND_FUNCTIONS + ADMIN + TENANT_TRICKS + STATEMENTS_AND_COMMENTS + UNICODE_TRICKS
    + NOT_IN_THE_SUBSET,
)  # fmt: skip
def test_the_guard_refuses(query):
    with pytest.raises(UnsafeCypherError) as refused:
        guard(query)

    assert refused.value.reason


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("MATCH (n) DETACH DELETE n", "DETACH at line 1, column 11: only read-only queries"),
        ("CALL db.labels()", "CALL at line 1, column 1"),
        ('RETURN apoc.text.join(["a"], ",")', "function apoc.text.join is not allowed"),
        ("MATCH (n) WHERE n.tenant_id <> $tenant RETURN n", "parameters are not allowed ($tenant"),
        ('MATCH (n {tenant_id: "x"}) RETURN n', "sets tenant_id: leave the tenant out"),
        ("MATCH (n) RETURN n; MATCH (m) RETURN m", "more than one statement"),
        ("MATCH (n) RETURN n // x", "comments are not allowed"),
        ("\u0421REATE (n)", "non-ASCII character U+0421 CYRILLIC CAPITAL LETTER ES outside a string literal"),
        ("MATCH (n) RETURN n\u200b", "invisible or format character U+200B ZERO WIDTH SPACE"),
        ("MATCH (n) RETURN n\x07", "control character U+0007"),
        ("MATCH (n RETURN n", "the query does not parse at line 1"),
        ("MATCH (n) RETURN n.`x``y`", "the query does not parse"),
    ],
)
def test_a_refusal_says_why(query, reason):
    with pytest.raises(UnsafeCypherError) as refused:
        guard(query)

    assert reason in refused.value.reason


def test_an_overlong_query_is_refused():
    query = "MATCH (n) RETURN " + " + ".join(["n.x"] * 2000)

    with pytest.raises(UnsafeCypherError, match="longer than"):
        guard(query)


def test_deep_nesting_is_refused_before_the_recursive_parser_sees_it():
    assert guard("RETURN " + "(" * 16 + "1" + ")" * 16 + " AS x").node_patterns == 0

    with pytest.raises(UnsafeCypherError, match="nested more than 16 deep"):
        guard("RETURN " + "[" * 300 + "1" + "]" * 300 + " AS x")


def test_a_query_that_is_not_a_string_is_refused():
    with pytest.raises(UnsafeCypherError, match="must be a string"):
        guard(None)  # type: ignore[arg-type]


def test_the_procedure_allow_list_starts_empty():
    assert not cypher_guard.ALLOWED_PROCEDURES


# --- run_guarded, against the real Neo4j ---------------------------------------------------


@pytest.fixture(scope="module")
def gateway(neo4j_driver) -> GraphGateway:
    seed_two_tenants(neo4j_driver)
    return GraphGateway(neo4j_driver)


@pytest.mark.neo4j
def test_run_guarded_returns_only_the_callers_tenant(gateway, neo4j_driver):
    before = graph_state(neo4j_driver)
    guarded = guard("MATCH (n) RETURN DISTINCT n.tenant_id AS tenant")

    alpha = run_guarded(gateway, guarded, ALPHA)
    beta = run_guarded(gateway, guarded, BETA)

    assert alpha.rows == [{"tenant": ALPHA}]
    assert beta.rows == [{"tenant": BETA}]
    assert graph_state(neo4j_driver) == before


@pytest.mark.neo4j
def test_run_guarded_stops_after_max_rows(gateway):
    guarded = guard("UNWIND range(1, 1000) AS x RETURN x")

    result = run_guarded(gateway, guarded, ALPHA, max_rows=5)

    assert [row["x"] for row in result.rows] == [1, 2, 3, 4, 5]
    assert result.truncated


@pytest.mark.neo4j
def test_run_guarded_applies_the_timeout(gateway):
    guarded = guard("UNWIND range(1, 2000000000) AS x WITH x WHERE x < 0 RETURN count(x) AS n")

    with pytest.raises(GraphQueryError) as failed:
        run_guarded(gateway, guarded, ALPHA, timeout_s=0.5)

    assert "Timed" in failed.value.code or "Terminated" in failed.value.code


@pytest.mark.neo4j
def test_nodes_come_back_as_properties_without_embeddings_and_as_sources(gateway):
    guarded = guard('MATCH (o:Organization {name: "Acme"}) RETURN o')

    result = run_guarded(gateway, guarded, ALPHA)

    (row,) = result.rows
    assert row["o"]["_labels"] == ["Organization", "__Entity__"]
    assert row["o"]["tenant_id"] == ALPHA
    assert "embedding" not in row["o"]
    assert [(s.id, s.type, s.name, s.table) for s in result.sources] == [
        ("a-org-acme", "Organization", "Acme", "organization")
    ]


# The syntactic guard refuses all of these; GuardedQuery is built by hand here to show
# that the server-side checks (EXPLAIN and the read transaction) refuse them on their own.
BYPASSING_THE_SYNTACTIC_GUARD = [
    ('CREATE (n:Evil {tenant_id: $__tenant, name: "x"}) RETURN n', "not read-only"),
    ("MATCH (n {tenant_id: $__tenant}) DETACH DELETE n", "not read-only"),
    ('MATCH (n {tenant_id: $__tenant}) SET n.name = "pwned" RETURN n', "not read-only"),
    ("CALL db.labels() YIELD label RETURN label, $__tenant AS t", "ProcedureCall"),
    ('LOAD CSV FROM "file:///nowhere.csv" AS row RETURN row, $__tenant AS t', "LoadCSV"),
]


@pytest.mark.neo4j
@pytest.mark.parametrize(("cypher", "reason"), BYPASSING_THE_SYNTACTIC_GUARD)
def test_explain_refuses_what_the_syntactic_guard_would_have(gateway, neo4j_driver, cypher, reason):
    before = graph_state(neo4j_driver)
    smuggled = GuardedQuery(original=cypher, cypher=cypher, node_patterns=1)

    with pytest.raises((UnsafeCypherError, GraphQueryError)) as refused:
        run_guarded(gateway, smuggled, ALPHA)

    assert reason in str(refused.value)
    assert graph_state(neo4j_driver) == before


@pytest.mark.neo4j
def test_the_read_transaction_refuses_a_write_even_without_explain(gateway, neo4j_driver, monkeypatch):
    monkeypatch.setattr(cypher_guard, "_check_plan", lambda summary, guarded: None)
    before = graph_state(neo4j_driver)
    cypher = 'MATCH (o:Organization {tenant_id: $__tenant}) SET o.name = "pwned" RETURN o.name AS name'

    with pytest.raises(GraphQueryError, match=r"(?i)read"):
        run_guarded(gateway, GuardedQuery(original=cypher, cypher=cypher, node_patterns=1), ALPHA)

    assert graph_state(neo4j_driver) == before


@pytest.mark.neo4j
def test_run_guarded_takes_only_a_guarded_query_and_a_tenant(gateway):
    with pytest.raises(TypeError, match="guard"):
        run_guarded(gateway, "MATCH (n) RETURN n", ALPHA)  # type: ignore[arg-type]
    with pytest.raises(UnsafeCypherError, match="tenant"):
        run_guarded(gateway, guard("MATCH (n) RETURN n"), "")
