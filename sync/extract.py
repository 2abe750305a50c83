"""Get: read CRM rows in batches, with what transform needs to validate them.

Reads through SQLAlchemy Core on lightweight ``table()``/``column()`` objects
built from ``kgcrm.graph.mapping`` alone, so the sync depends on the contract's table
and column names, not on kgcrm's ORM models: another CRM whose tables follow
the contract is read the same way.

For every reference column ``c`` the row also carries ``c + TARGET_TENANT``: the
tenant of the referenced row, or ``None`` when it does not exist.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from kgcrm.graph.mapping import EdgeMapping, NodeMapping, Reference
from kgcrm.sync.transform import SUBTYPE_PRESENT, TARGET_TENANT


def _table(name: str, columns: Sequence[str]) -> sa.TableClause:
    return sa.table(name, *(sa.column(c) for c in dict.fromkeys(columns)))


def _target_tenant(ref: Reference, source: sa.FromClause) -> sa.Label[Any]:
    target = _table(ref.target_table, ("id", "tenant_id")).alias(f"ref_{ref.column}")
    return (
        sa.select(target.c.tenant_id)
        .where(target.c.id == source.c[ref.column])
        .scalar_subquery()
        .label(ref.column + TARGET_TENANT)
    )


def node_select(mapping: NodeMapping) -> tuple[sa.Select[Any], sa.FromClause]:
    """The SELECT of a node table with its validation columns (no WHERE yet)."""
    source = _table(mapping.table, mapping.columns).alias("t")
    selected: list[Any] = [source.c[c] for c in mapping.columns]
    selected += [_target_tenant(ref, source) for ref in mapping.references]
    from_: Any = source
    for subtype in mapping.subtypes:
        sub = _table(subtype.table, ("id", *subtype.properties)).alias(subtype.table)
        from_ = from_.outerjoin(sub, sub.c.id == source.c.id)
        selected += [sub.c[c].label(f"{subtype.table}__{c}") for c in subtype.properties]
        selected.append(sub.c.id.label(f"{subtype.table}__id"))
    if mapping.polymorphic is not None:
        poly = mapping.polymorphic
        whens = []
        for subject_type, table in poly.targets.items():
            target = _table(table, ("id", "tenant_id")).alias(f"subject_{table}")
            lookup = sa.select(target.c.tenant_id).where(target.c.id == source.c[poly.id_column]).scalar_subquery()
            whens.append((source.c[poly.type_column] == subject_type, lookup))
        selected.append(sa.case(*whens, else_=None).label(poly.id_column + TARGET_TENANT))
    return sa.select(*selected).select_from(from_), source


def edge_select(mapping: EdgeMapping) -> tuple[sa.Select[Any], sa.FromClause]:
    source = _table(mapping.table, mapping.columns).alias("t")
    selected: list[Any] = [source.c[c] for c in mapping.columns]
    selected += [_target_tenant(ref, source) for ref in (mapping.start, mapping.end)]
    return sa.select(*selected).select_from(source), source


def _flatten_subtype(mapping: NodeMapping, row: dict[str, Any]) -> dict[str, Any]:
    """Keep only the columns of the subtype the discriminator names."""
    kind = row.get(mapping.discriminator or "")
    for subtype in mapping.subtypes:
        present = row.pop(f"{subtype.table}__id") is not None
        values = {c: row.pop(f"{subtype.table}__{c}") for c in subtype.properties}
        if subtype.table == kind:
            row[SUBTYPE_PRESENT] = present
            row.update(values)
    return row


def _rows(mapping: NodeMapping | EdgeMapping, result: sa.CursorResult[Any]) -> Iterator[dict[str, Any]]:
    for raw in result:
        row = dict(raw._mapping)
        if isinstance(mapping, NodeMapping) and mapping.subtypes:
            row = _flatten_subtype(mapping, row)
        yield row


def _select(mapping: NodeMapping | EdgeMapping) -> tuple[sa.Select[Any], sa.FromClause]:
    return node_select(mapping) if isinstance(mapping, NodeMapping) else edge_select(mapping)


def iter_batches(
    conn: Connection,
    mapping: NodeMapping | EdgeMapping,
    *,
    batch_size: int,
    tenant_id: str | None = None,
) -> Iterator[list[dict[str, Any]]]:
    """Every row of the table, in batches, by keyset pagination on ``id``."""
    query, source = _select(mapping)
    if tenant_id is not None:
        tenant_column = source.c.id if mapping.table == "tenant" else source.c.tenant_id
        query = query.where(tenant_column == tenant_id)
    # Binary order on every database, the same order Neo4j sorts strings in (verify merges both).
    key = source.c.id.collate("C") if conn.dialect.name == "postgresql" else source.c.id
    last: str | None = None
    while True:
        page = query if last is None else query.where(key > last)
        rows = list(_rows(mapping, conn.execute(page.order_by(key).limit(batch_size))))
        if not rows:
            return
        yield rows
        last = rows[-1]["id"]


def fetch_by_ids(conn: Connection, mapping: NodeMapping | EdgeMapping, ids: Sequence[str]) -> list[dict[str, Any]]:
    """The current rows with these ids (ids with no row are absent from the result)."""
    query, source = _select(mapping)
    rows: list[dict[str, Any]] = []
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        rows += _rows(mapping, conn.execute(query.where(source.c.id.in_(chunk))))
    return rows


def existing_ids(conn: Connection, table: str, ids: Sequence[str]) -> set[str]:
    """Which of these ids still have a row in the table."""
    source = _table(table, ("id",))
    found: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        found.update(conn.execute(sa.select(source.c.id).where(source.c.id.in_(chunk))).scalars())
    return found
