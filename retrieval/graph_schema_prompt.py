"""The graph schema as text for a language model, built from the declared model.

:func:`schema_prompt` reads ``sync/mapping.py`` (labels, properties, relationships,
enumerations) plus the derived relationships declared below, never the live
database: the prompt is the same for every call and every tenant, and it cannot
leak one tenant's labels or values to another.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType

from kgcrm.graph.mapping import (
    AUDIT_COLUMNS,
    EDGES,
    EDGES_BY_TABLE,
    ENTITY_LABEL,
    ENUMERATIONS,
    LABEL_OF_TABLE,
    NODES,
    SUBJECT_TYPES,
    NodeMapping,
)
from kgcrm.sync.transform import PROPERTY_NAMES


@dataclass(frozen=True)
class DerivedRelationship:
    """A relationship computed in the graph (``cypher/derive_*.cypher``), not mirrored from a row."""

    type: str
    start: str
    end: str
    properties: tuple[str, ...]
    note: str


# The derived relationships of sync.mapping.DERIVED_RELATIONSHIPS, with their ends and
# properties as cypher/derive_works_at.cypher and cypher/derive_interacted.cypher set them.
DERIVED: Mapping[str, DerivedRelationship] = MappingProxyType(
    {
        "WORKS_AT": DerivedRelationship(
            "WORKS_AT",
            "Person",
            "Organization",
            ("title", "since", "until", "current", "contact_id"),
            "one per Contact (past roles kept); current = true while the role has not ended",
        ),
        "INTERACTED": DerivedRelationship(
            "INTERACTED",
            "Person",
            "Person",
            ("count", "first_at", "last_at", "kinds"),
            "people who took part in the same interactions; stored once per pair: match it undirected",
        ),
    }
)


def _property(table: str, column: str) -> str:
    return PROPERTY_NAMES.get(column, column)


def _node_properties(mapping: NodeMapping) -> list[str]:
    names = ["id"]
    if mapping.entity:
        names.append("name")
    names += [_property(mapping.table, c) for c in mapping.properties if c not in names]
    return names


def _node_lines() -> list[str]:
    lines = []
    for mapping in NODES:
        if not mapping.tenant_scoped:  # Tenant: outside every tenant's graph
            continue
        labels = ":".join(mapping.labels)
        lines.append(f"(:{labels}) {', '.join(_node_properties(mapping))}")
        for subtype in mapping.subtypes:
            extra = ", ".join(_property(subtype.table, c) for c in subtype.properties)
            lines.append(f"(:{mapping.label}:{subtype.label}) a {mapping.label} with {subtype.label} details: {extra}")
    return lines


def _relationship_lines() -> list[str]:
    lines = []
    for mapping in NODES:
        if not mapping.tenant_scoped:
            continue
        for ref in mapping.references:
            lines.append(f"(:{mapping.label})-[:{ref.type}]->(:{LABEL_OF_TABLE[ref.target_table]})")
        if mapping.polymorphic is not None:
            targets = ", ".join(f":{LABEL_OF_TABLE[t]}" for t in SUBJECT_TYPES.values())
            lines.append(f"(:{mapping.label})-[:{mapping.polymorphic.type}]->(one of {targets})")
    for edge in EDGES:
        start, end = LABEL_OF_TABLE[edge.start.target_table], LABEL_OF_TABLE[edge.end.target_table]
        props = ", ".join(_property(edge.table, c) for c in edge.properties)
        lines.append(f"(:{start})-[:{edge.type} {{{props}}}]->(:{end})")
    for derived in DERIVED.values():
        props = ", ".join(derived.properties)
        lines.append(f"(:{derived.start})-[:{derived.type} {{{props}}}]->(:{derived.end})  // {derived.note}")
    return lines


def _enumeration_lines() -> list[str]:
    lines = []
    for enumeration in ENUMERATIONS:
        label = LABEL_OF_TABLE.get(enumeration.table)
        owner = f"(:{label})" if label else f"[:{EDGES_BY_TABLE[enumeration.table].type}]"
        values = ", ".join(f'"{v}"' for v in sorted(enumeration.values))
        lines.append(f"{owner} {_property(enumeration.table, enumeration.column)}: {values}")
    return lines


@cache
def schema_prompt() -> str:
    """The graph model as compact text: node labels and properties, relationships, enumerations."""
    audit = ", ".join(AUDIT_COLUMNS)
    return "\n".join(
        [
            "Node labels and their properties:",
            *_node_lines(),
            f"Every node above also has: {audit} (timestamps are datetimes, dates are dates).",
            f"Every node but :Status also has the label :{ENTITY_LABEL} and a display name in `name`.",
            "",
            "Relationships (direction as written):",
            *_relationship_lines(),
            "",
            "Property values that are enumerations:",
            *_enumeration_lines(),
        ]
    )
