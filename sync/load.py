"""Load: graph records → batched ``UNWIND $rows … MERGE`` Cypher.

The query builders are pure functions returning Cypher text; labels,
relationship types and property names in them come only from ``kgcrm.graph.mapping``
and ``kgcrm.sync.transform`` (code constants), never from data, and every value is a
``$parameter``. The ``write_*`` functions run them inside a transaction the
caller owns, so that a batch and its checkpoint commit together.

Timestamps and dates travel as ISO-8601 text and become Neo4j ``DATETIME``/``DATE``
values in the query (``datetime(row.t.created_at)``): the driver's own conversion of
Python datetimes is pure Python and cost more than the rest of a write together.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from neo4j import ManagedTransaction

from kgcrm.graph.mapping import EDGES, NODES, NodeMapping
from kgcrm.sync.transform import DATE_COLUMNS, PROPERTY_NAMES, TIMESTAMP_COLUMNS, EdgeRecord, NodeRecord

_KNOWN_LABELS = frozenset([m.label for m in NODES] + [s.label for m in NODES for s in m.subtypes] + ["__Entity__"])
_KNOWN_TYPES = frozenset(
    [r.type for m in NODES for r in m.references]
    + [m.polymorphic.type for m in NODES if m.polymorphic]
    + [e.type for e in EDGES]
)


def _label(name: str) -> str:
    """A label for Cypher text: only the mapping's own labels are accepted."""
    if name not in _KNOWN_LABELS:
        raise ValueError(f"unknown label {name!r}")
    return f"`{name}`"


def _type(name: str) -> str:
    if name not in _KNOWN_TYPES:
        raise ValueError(f"unknown relationship type {name!r}")
    return f"`{name}`"


#: Temporal properties (as named in the graph) → the Cypher function that makes them from ISO text.
TEMPORAL: dict[str, str] = {
    **{PROPERTY_NAMES.get(c, c): "datetime" for c in TIMESTAMP_COLUMNS},
    **{PROPERTY_NAMES.get(c, c): "date" for c in DATE_COLUMNS},
}


def _temporal_set(var: str, temporal: Sequence[str]) -> str:
    """``, n.`created_at` = datetime(row.t.`created_at`)…`` for these temporal properties."""
    parts = []
    for name in temporal:
        if name not in TEMPORAL:
            raise ValueError(f"unknown temporal property {name!r}")
        parts.append(f"{var}.`{name}` = {TEMPORAL[name]}(row.t.`{name}`)")
    return "".join(", " + part for part in parts)


def _split(properties: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str | None], tuple[str, ...]]:
    """(plain properties, temporal ones as ISO text, the temporal names) of one record."""
    plain: dict[str, Any] = {}
    temporal: dict[str, str | None] = {}
    for name, value in properties.items():
        if name in TEMPORAL:
            temporal[name] = None if value is None else value.isoformat()
        else:
            plain[name] = value
    return plain, temporal, tuple(sorted(temporal))


# --- query builders (pure) ---------------------------------------------------------------


def upsert_nodes_query(labels: Sequence[str], mapping: NodeMapping, temporal: Sequence[str] = ()) -> str:
    """MERGE nodes by id under their primary label, set properties and labels.

    Other subtype labels are removed (a lead whose type changed loses the old one).
    Properties are set with ``+=``: a column that became NULL is removed, and the
    sync's own properties (embedding, its hash) are kept. ``temporal`` names the
    properties that come as ISO text in ``row.t`` (NULL removes them too).
    """
    primary, *extra = labels
    stale = [s.label for s in mapping.subtypes if s.label not in extra]
    query = f"UNWIND $rows AS row\nMERGE (n:{_label(primary)} {{id: row.id}})\nSET n += row.props"
    if extra:
        query += ", n:" + ":".join(_label(x) for x in extra)
    query += _temporal_set("n", temporal)
    if stale:
        query += "\nREMOVE n:" + ":".join(_label(x) for x in stale)
    return query


def _seek(var: str, label_or_type: str, *, relationship: bool = False) -> str:
    """An index-seek hint for a lookup by ``id``.

    Every label and mirrored relationship type has a unique constraint on ``id`` (cypher/schema.cypher),
    but a query planned while the index statistics are stale (a full sync into an emptied graph: the
    samples still say "empty") may scan the whole index for every row instead: quadratic, until Neo4j
    resamples and replans. (A plain ``USING INDEX`` hint is satisfied by such a scan; ``SEEK`` is not.)
    """
    target = _type(label_or_type) if relationship else _label(label_or_type)
    return f"USING INDEX SEEK {var}:{target}(id)\n"


def upsert_links_query(label: str, rel_type: str, target_label: str) -> str:
    """Point each node's ``rel_type`` relationship at its current target (or at none).

    A relationship is only created when the target is in the same tenant.
    """
    return (
        "UNWIND $rows AS row\n"
        f"MATCH (n:{_label(label)} {{id: row.id}})\n"
        + _seek("n", label)
        + f"OPTIONAL MATCH (n)-[old:{_type(rel_type)}]->(previous)\n"
        "WHERE row.target IS NULL OR previous.id <> row.target\n"
        "DELETE old\n"
        "WITH DISTINCT n, row WHERE row.target IS NOT NULL\n"
        f"MATCH (t:{_label(target_label)} {{id: row.target}})\n"
        + _seek("t", target_label)
        + "WHERE t.tenant_id = n.tenant_id OR n.tenant_id IS NULL\n"
        f"MERGE (n)-[:{_type(rel_type)}]->(t)"
    )


def upsert_edges_query(rel_type: str, start_label: str, end_label: str, temporal: Sequence[str] = ()) -> str:
    """MERGE relationships mirrored from link-table rows, keyed by row id."""
    return (
        "UNWIND $rows AS row\n"
        f"OPTIONAL MATCH ()-[old:{_type(rel_type)} {{id: row.id}}]->()\n"
        + _seek("old", rel_type, relationship=True)
        + "DELETE old\n"
        "WITH DISTINCT row\n"
        f"MATCH (a:{_label(start_label)} {{id: row.start}}), (b:{_label(end_label)} {{id: row.end}})\n"
        + _seek("a", start_label)
        + _seek("b", end_label)
        + "WHERE a.tenant_id = row.props.tenant_id AND b.tenant_id = row.props.tenant_id\n"
        f"CREATE (a)-[r:{_type(rel_type)} {{id: row.id}}]->(b)\n"
        "SET r += row.props" + _temporal_set("r", temporal) + "\n"
        "RETURN row.id AS id"
    )


def delete_nodes_query(label: str) -> str:
    return f"UNWIND $ids AS id\nMATCH (n:{_label(label)} {{id: id}})\n{_seek('n', label)}DETACH DELETE n"


def delete_edges_query(rel_type: str) -> str:
    seek = _seek("r", rel_type, relationship=True)
    return f"UNWIND $ids AS id\nMATCH ()-[r:{_type(rel_type)} {{id: id}}]->()\n{seek}DELETE r"


# --- writers (inside the caller's transaction) ---------------------------------------------


def write_node_properties(tx: ManagedTransaction, records: Sequence[NodeRecord], mapping: NodeMapping) -> None:
    """Upsert nodes (labels and properties), grouped by their label set."""
    by_shape: dict[tuple[tuple[str, ...], tuple[str, ...]], list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        props, times, temporal = _split(record.properties)
        by_shape[(record.labels, temporal)].append({"id": record.id, "props": props, "t": times})
    for (labels, temporal), rows in by_shape.items():
        tx.run(upsert_nodes_query(labels, mapping, temporal), rows=rows).consume()


def write_links(tx: ManagedTransaction, records: Sequence[NodeRecord], mapping: NodeMapping) -> None:
    """Point every node's reference relationships at their current targets."""
    by_link: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        for link in record.links:
            by_link[(link.type, link.target_label)].append({"id": record.id, "target": link.target_id})
    for (rel_type, target_label), rows in sorted(by_link.items()):
        tx.run(upsert_links_query(mapping.label, rel_type, target_label), rows=rows).consume()


def write_edges(tx: ManagedTransaction, records: Iterable[EdgeRecord]) -> set[str]:
    """Upsert relationships from link-table rows; the ids of those written.

    A row whose start or end node is not in the graph (a row the sync skipped) is not written.
    """
    grouped: dict[tuple[str, str, str, tuple[str, ...]], list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        props, times, temporal = _split(record.properties)
        grouped[(record.type, record.start_label, record.end_label, temporal)].append(
            {"id": record.id, "start": record.start_id, "end": record.end_id, "props": props, "t": times}
        )
    written: set[str] = set()
    for (rel_type, start_label, end_label, temporal), rows in grouped.items():
        query = upsert_edges_query(rel_type, start_label, end_label, temporal)
        written.update(record["id"] for record in tx.run(query, rows=rows))
    return written


def delete_nodes(tx: ManagedTransaction, label: str, ids: Sequence[str]) -> None:
    if ids:
        tx.run(delete_nodes_query(label), ids=list(ids)).consume()


def delete_edges(tx: ManagedTransaction, rel_type: str, ids: Sequence[str]) -> None:
    if ids:
        tx.run(delete_edges_query(rel_type), ids=list(ids)).consume()
