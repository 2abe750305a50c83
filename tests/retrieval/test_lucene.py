"""The one Lucene escaper: user text never becomes query syntax, checked against Neo4j's own parser."""

from __future__ import annotations

import uuid

import pytest

from kgcrm.graph.gateway import GraphGateway
from kgcrm.graph.schema import apply_schema
from kgcrm.retrieval.lucene import LUCENE_SPECIAL_CHARACTERS, lucene_escape, lucene_phrase

pytestmark = pytest.mark.neo4j

# Each would change the query if it were not escaped: close the phrase or a group, add a clause, a range,
# a boost, a wildcard, a fuzzy or a regular expression.
ATTACKS = [
    'alpha" OR name:beta OR "x',
    "alpha) OR name:(beta",
    "alpha] OR name:[beta TO zzz",
    "alpha} OR name:{beta TO zzz",
    "alpha\\",
    'alpha\\" OR name:beta',
    "alpha && name:beta || name:beta",
    "alpha^100 name:beta~2 bet* /bet.*/ +beta -alpha !alpha",
    LUCENE_SPECIAL_CHARACTERS,
    f"alpha {LUCENE_SPECIAL_CHARACTERS} beta",
]


@pytest.fixture
def gateway(neo4j_driver, clean_graph) -> GraphGateway:
    gateway = GraphGateway(neo4j_driver)
    apply_schema(gateway, dimensions=384)
    return gateway


@pytest.fixture
def tenant(gateway: GraphGateway) -> str:
    """A tenant with two people: Alpha Target and Beta Other."""
    tenant = str(uuid.uuid4())
    gateway.write(
        "test_lucene_people",
        "UNWIND $names AS name CREATE (:Person {id: randomUUID(), tenant_id: $tenant, name: name})",
        {"tenant": tenant, "names": ["Alpha Target", "Beta Other"]},
    )
    return tenant


def search(gateway: GraphGateway, tenant: str, query: str) -> set[str]:
    rows = gateway.read(
        "test_lucene_search",
        "CALL db.index.fulltext.queryNodes('entity_names', $query) YIELD node "
        "WHERE node.tenant_id = $tenant RETURN node.name AS name",
        {"query": query, "tenant": tenant},
    )
    return {row["name"] for row in rows}


def test_every_special_character_is_escaped() -> None:
    for character in LUCENE_SPECIAL_CHARACTERS:
        assert lucene_escape(f"a{character}b") == f"a\\{character}b"
    assert lucene_escape("Zoë O'Brien 42") == "Zoë O'Brien 42"


def test_the_index_finds_an_escaped_phrase_and_term(gateway: GraphGateway, tenant: str) -> None:
    assert search(gateway, tenant, lucene_phrase("name", "Alpha Target")) == {"Alpha Target"}
    assert search(gateway, tenant, "name:" + lucene_escape("alpha")) == {"Alpha Target"}


@pytest.mark.parametrize("text", ATTACKS)
def test_text_in_a_phrase_never_injects_syntax(gateway: GraphGateway, tenant: str, text: str) -> None:
    found = search(gateway, tenant, lucene_phrase("name", text))  # a parse error would raise here

    assert "Beta Other" not in found


@pytest.mark.parametrize("character", [*LUCENE_SPECIAL_CHARACTERS, "&&", "||"])
def test_a_special_character_in_a_term_is_only_text(gateway: GraphGateway, tenant: str, character: str) -> None:
    # unescaped, most of these end the term in a parse error ("alpha(", "alpha^", "alpha/") or a wildcard
    assert search(gateway, tenant, "name:" + lucene_escape(f"alpha{character}")) == {"Alpha Target"}
    assert search(gateway, tenant, "name:" + lucene_escape(f"{character}alpha")) == {"Alpha Target"}
