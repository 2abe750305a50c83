"""Transform: relational rows → graph records. Pure functions, no I/O.

A row that cannot be mirrored (a missing required field, a reference to a
missing row or to another tenant's row, an enumeration value outside the
contract, a value of the wrong type) becomes a :class:`RejectedRow` naming the
table, the row id, the field and the reason; the caller reports and skips it.

Rows come from ``kgcrm.sync.extract`` with, for every reference column ``c``, the
tenant of the referenced row in ``c + TARGET_TENANT`` (``None`` when that row does
not exist), so validation needs no lookups here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from kgcrm.graph.mapping import (
    AUDIT_COLUMNS,
    BOOLEAN_COLUMNS,
    DATE_COLUMNS,
    ENTITY_LABEL,
    ENUMERATIONS,
    LABEL_OF_TABLE,
    NUMBER_COLUMNS,
    PROPERTY_NAMES,
    TIMESTAMP_COLUMNS,
    EdgeMapping,
    NodeMapping,
    Reference,
    display_name,
)

TARGET_TENANT = "__tenant"  # suffix of the extracted column holding a referenced row's tenant
SUBTYPE_PRESENT = "__subtype_present"


_ALLOWED: Mapping[tuple[str, str], frozenset[str]] = {(e.table, e.column): e.values for e in ENUMERATIONS}


@dataclass(frozen=True)
class RejectedRow:
    """A row the sync reports and skips."""

    table: str
    id: str | None
    reason: str
    field: str | None = None

    def __str__(self) -> str:
        where = f"{self.table} {self.id or '<no id>'}"
        return f"{where}: field '{self.field}': {self.reason}" if self.field else f"{where}: {self.reason}"


@dataclass(frozen=True)
class Link:
    """A relationship from the row's node to another node, by id."""

    type: str
    target_label: str
    target_id: str | None  # None: the row has no such link (any old one is removed)


@dataclass(frozen=True)
class NodeRecord:
    table: str
    id: str
    tenant_id: str | None
    labels: tuple[str, ...]  # the primary label first
    properties: dict[str, Any]
    links: tuple[Link, ...] = ()

    @property
    def label(self) -> str:
        return self.labels[0]


@dataclass(frozen=True)
class EdgeRecord:
    table: str
    type: str
    id: str
    tenant_id: str
    start_label: str
    start_id: str
    end_label: str
    end_id: str
    properties: dict[str, Any] = field(default_factory=dict)


class _Invalid(Exception):
    def __init__(self, field: str | None, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


# --- values ------------------------------------------------------------------------------


def parse_timestamp(value: Any) -> datetime | None:
    """A timezone-aware UTC datetime from a datetime or ISO-8601 text (naive = UTC)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        text = value.strip().replace(" ", "T", 1)
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"not an ISO-8601 timestamp: {value!r}") from None
    else:
        raise ValueError(f"not a timestamp: {value!r}")
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def parse_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            raise ValueError(f"not an ISO-8601 date: {value!r}") from None
    raise ValueError(f"not a date: {value!r}")


def _value(column: str, value: Any) -> Any:
    if value is None:
        return None
    if column in TIMESTAMP_COLUMNS:
        return parse_timestamp(value)
    if column in DATE_COLUMNS:
        return parse_date(value)
    if column in BOOLEAN_COLUMNS:
        if isinstance(value, str):
            return value.strip().lower() in {"1", "true", "t", "yes"}
        return bool(value)
    if column in NUMBER_COLUMNS:
        if isinstance(value, bool):
            raise ValueError(f"not a number: {value!r}")
        number = float(value) if isinstance(value, Decimal | str) else value
        if not isinstance(number, int | float):
            raise ValueError(f"not a number: {value!r}")
        return int(number) if column == "position" else number
    if isinstance(value, Decimal):
        return float(value)
    return value


def _properties(table: str, columns: tuple[str, ...], row: Mapping[str, Any]) -> dict[str, Any]:
    props: dict[str, Any] = {}
    for column in columns:
        value = row.get(column)
        allowed = _ALLOWED.get((table, column))
        if allowed is not None and value is not None and value not in allowed:
            raise _Invalid(column, f"value {value!r} is not one of {sorted(allowed)}")
        try:
            props[PROPERTY_NAMES.get(column, column)] = _value(column, value)
        except (ValueError, TypeError) as exc:
            raise _Invalid(column, str(exc)) from exc
    return props


def _check_reference(ref: Reference, row: Mapping[str, Any], tenant_id: str | None) -> str | None:
    target = row.get(ref.column)
    if target is None or target == "":
        if ref.required:
            raise _Invalid(ref.column, "is required")
        return None
    target_tenant = row.get(ref.column + TARGET_TENANT)
    if target_tenant is None:
        raise _Invalid(ref.column, f"refers to {ref.target_table} {target}, which does not exist")
    if tenant_id is not None and target_tenant != tenant_id:
        raise _Invalid(ref.column, f"refers to {ref.target_table} {target} of another tenant")
    return str(target)


def _require(row: Mapping[str, Any], column: str) -> str:
    value = row.get(column)
    if value is None or value == "":
        raise _Invalid(column, "is required")
    return str(value)


# --- names ---------------------------------------------------------------------------------


# --- rows → records -------------------------------------------------------------------------


def transform_node(mapping: NodeMapping, row: Mapping[str, Any]) -> NodeRecord | RejectedRow:
    """One row of a node table → a NodeRecord, or the reason it cannot be mirrored."""
    row_id = row.get("id")
    try:
        node_id = _require(row, "id")
        tenant_id = _require(row, "tenant_id") if mapping.tenant_scoped else None
        labels = list(mapping.labels)
        properties = _properties(mapping.table, mapping.columns, row)
        if mapping.subtypes:
            kind = row.get(mapping.discriminator or "")
            subtype = next((s for s in mapping.subtypes if s.table == kind), None)
            if subtype is None:
                raise _Invalid(mapping.discriminator, f"value {kind!r} names no subtype table")
            if not row.get(SUBTYPE_PRESENT):
                raise _Invalid(mapping.discriminator, f"is {kind!r} but the {kind} row is missing")
            labels.insert(1, subtype.label)
            properties.update(_properties(subtype.table, subtype.properties, row))
        links = [
            Link(ref.type, LABEL_OF_TABLE[ref.target_table], _check_reference(ref, row, tenant_id))
            for ref in mapping.references
        ]
        if mapping.polymorphic is not None:
            links.append(_polymorphic_link(mapping, row, tenant_id))
    except _Invalid as invalid:
        return RejectedRow(mapping.table, None if row_id is None else str(row_id), invalid.reason, invalid.field)
    if mapping.entity:
        properties["name"] = display_name(mapping.table, row)
    return NodeRecord(mapping.table, node_id, tenant_id, tuple(labels), properties, tuple(links))


def _polymorphic_link(mapping: NodeMapping, row: Mapping[str, Any], tenant_id: str | None) -> Link:
    poly = mapping.polymorphic
    assert poly is not None
    subject_type = row.get(poly.type_column)
    subject_id = row.get(poly.id_column)
    if subject_type is None and subject_id is None:
        return Link(poly.type, ENTITY_LABEL, None)
    if subject_type is None or subject_id is None:
        missing = poly.type_column if subject_type is None else poly.id_column
        raise _Invalid(missing, "is required when the other subject column is set")
    target_table = poly.targets[subject_type]  # the enumeration check ran before
    ref = Reference(poly.id_column, poly.type, target_table, required=True)
    # Every subject is an entity, keyed by its row id: one link query serves all subject types.
    return Link(poly.type, ENTITY_LABEL, _check_reference(ref, row, tenant_id))


def transform_edge(mapping: EdgeMapping, row: Mapping[str, Any]) -> EdgeRecord | RejectedRow:
    """One row of a link table → an EdgeRecord, or the reason it cannot be mirrored."""
    row_id = row.get("id")
    try:
        edge_id = _require(row, "id")
        tenant_id = _require(row, "tenant_id")
        start = _check_reference(mapping.start, row, tenant_id)
        end = _check_reference(mapping.end, row, tenant_id)
        properties = _properties(mapping.table, mapping.properties, row)
        properties.update(_properties(mapping.table, ("tenant_id",), row))
        if mapping.audited:
            properties.update(_properties(mapping.table, AUDIT_COLUMNS, row))
    except _Invalid as invalid:
        return RejectedRow(mapping.table, None if row_id is None else str(row_id), invalid.reason, invalid.field)
    assert start is not None and end is not None  # both references are required
    return EdgeRecord(
        mapping.table,
        mapping.type,
        edge_id,
        tenant_id,
        LABEL_OF_TABLE[mapping.start.target_table],
        start,
        LABEL_OF_TABLE[mapping.end.target_table],
        end,
        properties,
    )


def checksum(properties: Mapping[str, Any]) -> str:
    """A stable digest of a property map (for ``sync verify``)."""

    def default(value: Any) -> str:
        if isinstance(value, datetime):
            return parse_timestamp(value).isoformat()  # type: ignore[union-attr]
        return str(value)

    canonical = json.dumps(
        {k: v for k, v in sorted(properties.items()) if v is not None}, default=default, sort_keys=True
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]
