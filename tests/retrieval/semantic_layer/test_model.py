"""The semantic model agrees with the graph model (sync/mapping.py): every label, property and
relationship type it names exists there, so the compiler can only produce Cypher over the real graph."""

from __future__ import annotations

from kgcrm.graph.mapping import DERIVED_RELATIONSHIPS, EDGES, ENTITY_LABEL, NODES
from kgcrm.retrieval.semantic_layer.model import ENTITIES, ENTITY, KIND_WORDS
from kgcrm.sync.transform import PROPERTY_NAMES

LABELS = {m.label for m in NODES} | {s.label for m in NODES for s in m.subtypes} | {ENTITY_LABEL}
PROPERTIES: dict[str, set[str]] = {}
for _m in NODES:
    props = {"id", "tenant_id", "name", *(PROPERTY_NAMES.get(c, c) for c in _m.columns)}
    PROPERTIES[_m.label] = props
    for _s in _m.subtypes:
        PROPERTIES[_s.label] = props | set(_s.properties)
PROPERTIES[ENTITY_LABEL] = {"id", "name", "tenant_id"}
REL_TYPES = (
    {r.type for m in NODES for r in m.references}
    | {m.polymorphic.type for m in NODES if m.polymorphic}
    | {e.type for e in EDGES}
    | set(DERIVED_RELATIONSHIPS)
)


def test_every_label_property_and_relationship_exists_in_the_graph_model():
    for entity in ENTITIES:
        assert set(entity.labels) <= LABELS, entity.key
        own = set.union(*(PROPERTIES[label] for label in entity.labels))
        for relation in entity.relations:
            for hop in relation.hops:
                assert hop.type in REL_TYPES, (entity.key, relation.key, hop.type)
                assert hop.label in LABELS, (entity.key, relation.key, hop.label)
        for dim in entity.dimensions:
            if dim.via is None:
                assert dim.property in own, (entity.key, dim.key, dim.property)
            else:
                relation = entity.relation(dim.via)
                assert relation is not None, (entity.key, dim.key)
                assert dim.property in PROPERTIES[relation.label], (entity.key, dim.key, dim.property)
            if dim.currency:
                assert dim.currency in own


def test_the_entities_of_issue_17_and_their_synonyms():
    assert set(ENTITY) == {
        "deal",
        "job",
        "partnership",
        "lead",
        "organization",
        "person",
        "contact",
        "account",
        "task",
        "note",
        "interaction",
        "user",
    }
    assert {"deal", "opportunity", "opp"} <= set(ENTITY["deal"].synonyms)
    assert {"company", "organization", "firm"} <= set(ENTITY["organization"].synonyms)
    assert {"rep", "seller", "owner"} <= set(ENTITY["deal"].dimension("owner").synonyms)
    assert {"meeting", "call", "email"} <= set(KIND_WORDS)
    assert "touchpoint" in ENTITY["interaction"].synonyms


def test_money_has_a_currency_and_every_entity_can_be_counted():
    for entity in ENTITIES:
        for dim in entity.dimensions:
            assert (dim.type == "money") == (dim.currency is not None), (entity.key, dim.key)
        assert entity.ref_type
