"""The three descriptions of the graph agree: sync/mapping.py, graph/models.py, cypher/schema.cypher."""

from __future__ import annotations

import re

import pytest

from kgcrm import cypher
from kgcrm.graph.mapping import ENTITY_LABEL, NODES, NodeMapping
from kgcrm.graph.models import NODE_CLASSES, SUBTYPE_CLASSES
from kgcrm.sync.transform import PROPERTY_NAMES


def _db_properties(cls) -> set[str]:
    return {p.db_property or name for name, p in cls.defined_properties(rels=False, aliases=False).items()}


def _relationship_types(cls) -> set[str]:
    return {rel.definition["relation_type"] for rel in cls.defined_properties(properties=False, aliases=False).values()}


def _unique_constraints() -> set[tuple[str, str]]:
    """(label, property) of every node uniqueness constraint in cypher/schema.cypher."""
    pattern = re.compile(r"FOR \(n:(\w+)\) REQUIRE n\.(\w+) IS UNIQUE")
    return {m.groups() for s in cypher.statements("schema") for m in pattern.finditer(s)}


@pytest.mark.parametrize("mapping", NODES, ids=lambda m: m.table)
def test_every_mapped_table_has_a_model_with_its_labels(mapping: NodeMapping):
    model = NODE_CLASSES[mapping.label]

    assert model.inherited_labels() == list(mapping.labels)
    for subtype in mapping.subtypes:
        assert SUBTYPE_CLASSES[subtype.label].inherited_labels() == [subtype.label, *mapping.labels]


@pytest.mark.parametrize("mapping", NODES, ids=lambda m: m.table)
def test_model_declares_every_mirrored_property(mapping: NodeMapping):
    mirrored = {PROPERTY_NAMES.get(c, c) for c in mapping.columns}
    if mapping.entity:
        mirrored |= {"name", "embedding", "embedding_hash"}

    assert mirrored <= _db_properties(NODE_CLASSES[mapping.label])
    for subtype in mapping.subtypes:
        assert set(subtype.properties) <= _db_properties(SUBTYPE_CLASSES[subtype.label])


@pytest.mark.parametrize("mapping", [m for m in NODES if m.references or m.polymorphic], ids=lambda m: m.table)
def test_model_declares_every_mirrored_relationship(mapping: NodeMapping):
    expected = {ref.type for ref in mapping.references}
    if mapping.polymorphic:
        expected.add(mapping.polymorphic.type)

    assert expected <= _relationship_types(NODE_CLASSES[mapping.label])


def test_schema_has_a_unique_key_for_every_mapped_label():
    constraints = _unique_constraints()

    for mapping in NODES:
        assert (mapping.label, "id") in constraints
    assert (ENTITY_LABEL, "id") in constraints


def test_every_unique_index_in_the_models_is_a_schema_constraint():
    constraints = _unique_constraints()

    for label, model in NODE_CLASSES.items():
        for name, prop in model.defined_properties(rels=False, aliases=False).items():
            if prop.unique_index:
                owner = label if (label, prop.db_property or name) in constraints else ENTITY_LABEL
                assert (owner, prop.db_property or name) in constraints, (label, name)
