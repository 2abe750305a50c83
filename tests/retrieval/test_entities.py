"""``kgcrm.retrieval.entities`` and ``kgcrm.retrieval.targets``: one entity, its neighbourhood, a connections target,
each read inside one tenant; another tenant's ids are nothing here."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from kgcrm.cli.connections import ExactNameResolver
from kgcrm.core.errors import AmbiguousTargetError, DataError, NotFoundError
from kgcrm.graph.gateway import GraphGateway
from kgcrm.retrieval.entities import EntityReader, Link
from kgcrm.retrieval.targets import resolve_target

pytestmark = pytest.mark.neo4j


@dataclass(frozen=True)
class Two:
    """Tenant A: Ann works at Acme, knows both Priya Patels, a note is about Acme. Tenant B: Bob, who
    (against the rules, as a corrupt graph might) KNOWS Ann, and a status node of A that is no entity."""

    a: str
    b: str
    ann: str
    priya: str
    priya_twin: str
    acme: str
    note: str
    bob: str
    status: str


def _id() -> str:
    return str(uuid.uuid4())


@pytest.fixture(scope="module")
def gateway(neo4j_driver) -> Iterator[GraphGateway]:
    with neo4j_driver.session() as session:
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()
    yield GraphGateway(neo4j_driver)


@pytest.fixture(scope="module")
def two(gateway) -> Two:
    t = Two(a=_id(), b=_id(), ann=_id(), priya=_id(), priya_twin=_id(), acme=_id(), note=_id(), bob=_id(), status=_id())
    gateway.write(
        "test_entities",
        """
        CREATE (ann:Person:__Entity__ {id: $ann, tenant_id: $a, name: 'Ann Lee', email: 'ann@acme.example',
                                       embedding: [0.1, 0.2], embedding_hash: 'h'})
        CREATE (p1:Person:__Entity__ {id: $priya, tenant_id: $a, name: 'Priya Patel'})
        CREATE (p2:Person:__Entity__ {id: $twin, tenant_id: $a, name: 'Priya Patel'})
        CREATE (acme:Organization:__Entity__ {id: $acme, tenant_id: $a, name: 'Acme'})
        CREATE (note:Note:__Entity__ {id: $note, tenant_id: $a, name: 'SSO first'})
        CREATE (bob:Person:__Entity__ {id: $bob, tenant_id: $b, name: 'Bob Stone'})
        CREATE (:Status {id: $status, tenant_id: $a, name: 'Done'})
        CREATE (ann)-[:WORKS_AT]->(acme), (note)-[:ABOUT]->(acme), (ann)-[:KNOWS]->(p1), (ann)-[:KNOWS]->(p2),
               (bob)-[:KNOWS]->(ann)
        """,
        {
            "a": t.a,
            "b": t.b,
            "ann": t.ann,
            "priya": t.priya,
            "twin": t.priya_twin,
            "acme": t.acme,
            "note": t.note,
            "bob": t.bob,
            "status": t.status,
        },
    )
    return t


@pytest.fixture
def reader(gateway) -> EntityReader:
    return EntityReader(gateway)


def test_an_entity_with_its_properties_but_not_its_embedding(reader, two):
    ann = reader.entity(two.ann, two.a)

    assert ann is not None
    assert (ann.id, ann.type, ann.name, ann.labels) == (two.ann, "Person", "Ann Lee", ["Person"])
    assert ann.properties == {"email": "ann@acme.example", "id": two.ann, "name": "Ann Lee", "tenant_id": two.a}


def test_another_tenants_id_a_non_entity_and_a_made_up_id_are_all_none(reader, two):
    assert reader.entity(two.bob, two.a) is None
    assert reader.entity(two.ann, two.b) is None
    assert reader.entity(two.status, two.a) is None
    assert reader.entity(_id(), two.a) is None
    assert reader.neighborhood(two.bob, two.a, depth=2, limit=50) is None
    assert reader.neighborhood(two.ann, two.b, depth=2, limit=50) is None


def test_the_neighbourhood_shows_only_the_tenants_entities(reader, two):
    one = reader.neighborhood(two.acme, two.a, depth=1, limit=50)
    both = reader.neighborhood(two.acme, two.a, depth=2, limit=50)
    of_ann = reader.neighborhood(two.ann, two.a, depth=2, limit=50)

    assert one is not None and both is not None and of_ann is not None
    assert one.center.id == two.acme and not one.truncated
    assert {n.id for n in one.nodes} == {two.acme, two.ann, two.note}
    assert set(one.links) == {Link(two.ann, two.acme, "WORKS_AT"), Link(two.note, two.acme, "ABOUT")}
    assert {n.id for n in both.nodes} == {two.acme, two.ann, two.note, two.priya, two.priya_twin}
    assert two.bob not in {n.id for n in of_ann.nodes}
    assert all(two.bob not in (link.from_id, link.to_id) for link in of_ann.links)


def test_a_neighbourhood_cut_at_the_limit_says_so(reader, two):
    cut = reader.neighborhood(two.ann, two.a, depth=1, limit=1)

    assert cut is not None and cut.truncated
    assert len(cut.nodes) == 2 and cut.nodes[0].id == two.ann
    kept = {n.id for n in cut.nodes}
    assert all(link.from_id in kept and link.to_id in kept for link in cut.links)


# --- resolve_target -----------------------------------------------------------------------------------------


def target(gateway, two, text: str, tenant: str | None = None) -> str:
    reader = EntityReader(gateway)
    return resolve_target(text, tenant or two.a, entities=reader, resolver=ExactNameResolver(gateway))


def test_a_target_by_id_or_by_an_unambiguous_name(gateway, two):
    assert target(gateway, two, two.ann) == two.ann
    assert target(gateway, two, two.acme) == two.acme
    assert target(gateway, two, "Ann Lee") == two.ann


def test_an_entity_that_is_no_person_or_organization_is_invalid_naming_target(gateway, two):
    with pytest.raises(DataError) as error:
        target(gateway, two, two.note)
    assert error.value.field == "target" and "Note" in str(error.value)


def test_another_tenants_id_and_name_are_not_found_naming_target(gateway, two):
    for text in (two.bob, "Bob Stone"):
        with pytest.raises(NotFoundError) as error:
            target(gateway, two, text)
        assert error.value.field == "target"
    with pytest.raises(NotFoundError):
        target(gateway, two, "Ann Lee", tenant=two.b)


def test_a_name_of_two_people_is_ambiguous_with_both(gateway, two):
    with pytest.raises(AmbiguousTargetError) as error:
        target(gateway, two, "Priya Patel")
    assert error.value.field == "target"
    assert {c.id for c in error.value.candidates} == {two.priya, two.priya_twin}
