"""A validated :class:`StructuredQuery` → ONE parameterised Cypher query.

Pure: no I/O. Labels, properties and relationship types come only from the semantic
model (``model.py``); every value is a ``$parameter``; every node pattern carries
``tenant_id: $tenant_id``. The shape of the query:

- **value / groups** (a measure): ``MATCH (n:<labels> {tenant_id}) WHERE <filters>``,
  then ``WITH DISTINCT n, <group keys>`` (a many-valued path is unwound first, and the
  DISTINCT makes sure a node is counted or summed once per group, never once per path),
  then one aggregating ``WITH``. Money is summed in integer cents, and per currency
  unless the query fixes the currency.
- **rows** (no measure): the matching nodes ordered, counted in total, and the first
  ``limit`` projected with their fields (paths read by pattern comprehensions, so a
  row never multiplies).

A dimension on a path is an expression over ``n``: ``head([(n)-[:OWNED_BY]->(x:User
{tenant_id: $tenant_id}) | x.id])`` for a to-one path, the list itself for a
many-valued one (filtered with ``any``/``none``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal

from kgcrm.retrieval.semantic_layer.model import DATE_TYPES, ENTITY, Dimension, Entity, Relation
from kgcrm.retrieval.semantic_layer.query import StructuredQuery, entity_of, validate_query

DEFAULT_SHOWN = 10
TENANT = "$tenant_id"

_COMPARE = {"=": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


@dataclass(frozen=True)
class GroupKey:
    key: str  # the dimension key (or "currency" added for money)
    alias: str
    label_alias: str | None  # the display name's column, for references


@dataclass(frozen=True)
class Compiled:
    cypher: str
    params: dict[str, Any]
    shape: Literal["value", "groups", "rows"]
    query: StructuredQuery
    entity: Entity
    group_keys: tuple[GroupKey, ...] = ()
    money: bool = False  # the measure is money: values in cents
    fields: tuple[str, ...] = ()  # row fields (dimension keys)
    limit: int = DEFAULT_SHOWN
    currency: str | None = None  # the currency fixed by a filter
    notes: list[str] = field(default_factory=list)


class _Params:
    def __init__(self, tenant_id: str) -> None:
        self.values: dict[str, Any] = {"tenant_id": tenant_id}
        self._n = 0

    def add(self, value: Any) -> str:
        name = f"p{self._n}"
        self._n += 1
        self.values[name] = _neo4j_value(value)
        return "$" + name


def _neo4j_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list | tuple):
        return [_neo4j_value(v) for v in value]
    return value


def _labels(labels: tuple[str, ...]) -> str:
    return "".join(f":{label}" for label in labels)


def _path(relation: Relation, start: str = "n") -> tuple[str, str]:
    """``(pattern, where)`` of a relation from ``start``; the far node is ``x``."""
    parts = [f"({start})"]
    conditions = []
    for i, hop in enumerate(relation.hops):
        node = "x" if i == len(relation.hops) - 1 else f"y{i}"
        rel = f"r{i}"
        left, right = ("-", "->") if hop.direction == "out" else ("<-", "-")
        parts.append(f"{left}[{rel}:{hop.type}]{right}({node}:{hop.label} {{tenant_id: {TENANT}}})")
        if hop.where:
            conditions.append(hop.where.replace("r.", f"{rel}."))
    return "".join(parts), " AND ".join(conditions)


def _comprehension(relation: Relation, projection: str, start: str = "n") -> str:
    pattern, where = _path(relation, start)
    return f"[{pattern}{' WHERE ' + where if where else ''} | {projection}]"


def _path_into(relation: Relation, start: str, end: str) -> tuple[str, str]:
    """``(pattern, where)`` of a relation from ``start`` whose far node is the bound variable ``end`` (its own
    variables are ``q<i>``/``e<i>``, so that the pattern comprehensions of ``start``'s filters never capture them)."""
    parts = [f"({start})"]
    conditions = []
    for i, hop in enumerate(relation.hops):
        node = f"({end})" if i == len(relation.hops) - 1 else f"(e{i}:{hop.label} {{tenant_id: {TENANT}}})"
        rel = f"q{i}"
        left, right = ("-", "->") if hop.direction == "out" else ("<-", "-")
        parts.append(f"{left}[{rel}:{hop.type}]{right}{node}")
        if hop.where:
            conditions.append(hop.where.replace("r.", f"{rel}."))
    return "".join(parts), " AND ".join(conditions)


class _Expr:
    """Expressions of an entity's dimensions over the variable ``var`` (``n``, or ``m`` for a related row)."""

    def __init__(self, entity: Entity, var: str = "n") -> None:
        self.entity = entity
        self.var = var

    def relation(self, dim: Dimension) -> Relation | None:
        if dim.via is None:
            return None
        relation = self.entity.relation(dim.via)
        assert relation is not None, f"{self.entity.key}.{dim.key}: no relation {dim.via}"
        return relation

    def many(self, dim: Dimension) -> bool:
        relation = self.relation(dim)
        return relation is not None and relation.many

    def value(self, dim: Dimension) -> str:
        """A scalar (to-one) or a list (many-valued) expression of the dimension's value."""
        relation = self.relation(dim)
        if relation is None:
            return f"{self.var}.{dim.property}"
        comprehension = _comprehension(relation, f"x.{dim.property}", self.var)
        return comprehension if relation.many else f"head({comprehension})"

    def ref(self, dim: Dimension) -> str:
        """For a reference: a ``{id, name}`` map (to-one) or a list of them."""
        relation = self.relation(dim)
        if relation is None:  # an id held in a property (a note's created_by)
            prop = f"{self.var}.{dim.property}"
            user = f"(u:User {{tenant_id: {TENANT}, id: {prop}}})"
            return f"{{id: {prop}, name: COLLECT {{ MATCH {user} RETURN u.name }}[0]}}"
        comprehension = _comprehension(relation, f"{{id: x.{dim.property}, name: x.name}}", self.var)
        return comprehension if relation.many else f"head({comprehension})"


def _date_bound(value: datetime, kind: str) -> datetime | date:
    """A half-open datetime bound as a bound on a date field: the first day whose midnight is ≥ value."""
    if kind != "date":
        return value
    moment = value.astimezone(UTC)
    day = moment.date()
    return day if moment.time() == time(0) else day + timedelta(days=1)


def _condition(expr: _Expr, dim: Dimension, op: str, value: Any, params: _Params) -> str:
    many = expr.many(dim)
    target = expr.value(dim)
    if dim.type == "date":
        value = (
            [v.date() if isinstance(v, datetime) else v for v in value]
            if isinstance(value, list)
            else (value.date() if isinstance(value, datetime) else value)
        )
    if op in ("is_set", "is_not_set"):
        if many:
            return f"size({target}) {'>' if op == 'is_set' else '='} 0"
        return f"{target} IS {'NOT ' if op == 'is_set' else ''}NULL"
    if op == "between":
        lo, hi = params.add(value[0]), params.add(value[1])

        def test(v: str) -> str:
            return f"({v} >= {lo} AND {v} <= {hi})"
    elif op == "in":
        values = params.add(list(value))

        def test(v: str) -> str:
            return f"{v} IN {values}"
    elif op == "contains":
        text = params.add(value)

        def test(v: str) -> str:
            return f"toLower({v}) CONTAINS toLower({text})"
    else:
        param = params.add(value)
        compare = "=" if op == "!=" else _COMPARE[op]

        def test(v: str) -> str:
            return f"{v} {compare} {param}"

    if op == "!=":  # SQL's <>: a missing value is neither equal nor unequal
        if many:
            return f"none(v IN {target} WHERE {test('v')})"
        return f"({target} IS NOT NULL AND NOT {test(target)})"
    if many:
        return f"any(v IN {target} WHERE {test('v')})"
    return test(target)


def _where(query: StructuredQuery, entity: Entity, expr: _Expr, params: _Params) -> list[str]:
    conditions: list[str] = []
    for f in query.filters:
        dim = entity.dimension(f.field)
        assert dim is not None
        conditions.append(_condition(expr, dim, f.op, f.value, params))
    for t in query.time:
        dim = entity.dimension(t.field)
        assert dim is not None
        target = expr.value(dim)
        if t.start is not None:
            conditions.append(f"{target} >= {params.add(_date_bound(t.start, dim.type))}")
        if t.end is not None:
            conditions.append(f"{target} < {params.add(_date_bound(t.end, dim.type))}")
    for related in query.related:  # "companies with open deals": an EXISTS over the related rows, in the tenant
        other = ENTITY[related.entity]
        relation = other.relation(related.via)
        assert relation is not None
        pattern, path_where = _path_into(relation, f"m{_labels(other.labels)} {{tenant_id: {TENANT}}}", expr.var)
        inner = StructuredQuery(entity=related.entity, filters=related.filters, time=related.time)
        tests = ([path_where] if path_where else []) + _where(inner, other, _Expr(other, "m"), params)
        where = f" WHERE {' AND '.join(tests)}" if tests else ""
        conditions.append(f"{'' if related.exists else 'NOT '}EXISTS {{ MATCH {pattern}{where} }}")
    return conditions


def _anchored(query: StructuredQuery, entity: Entity, expr: _Expr, params: _Params) -> list[str] | None:
    """Start from the one node a filter names, when one does: ``organization = <id>``, ``owner = <id>``.

    Otherwise every node of the tenant's entity is scanned and its path walked (at 1M rows, 15,000
    interactions and 300,000 db hits for "the last interaction with X"). The anchor reaches the
    candidates from the named node (its id is unique), ``WITH DISTINCT n`` drops the path's variables
    and duplicates, and the filters stay as they are, so the result is the same.
    """
    for f in query.filters:
        dim = entity.dimension(f.field)
        relation = expr.relation(dim) if dim is not None else None
        if dim is None or relation is None or dim.property != "id":
            continue
        if f.op == "=" and isinstance(f.value, str):
            test = f"x.id = {params.add(f.value)}"
        elif f.op == "in" and isinstance(f.value, list) and f.value:
            test = f"x.id IN {params.add(list(f.value))}"
        else:
            continue
        pattern, where = _path(relation, f"n{_labels(entity.labels)} {{tenant_id: {TENANT}}}")
        return [f"MATCH {pattern}", f"WHERE {test}" + (f" AND {where}" if where else ""), "WITH DISTINCT n"]
    return None


def _money_measure(query: StructuredQuery, entity: Entity) -> Dimension | None:
    if query.measure is None or query.measure.field is None:
        return None
    dim = entity.dimension(query.measure.field)
    return dim if dim is not None and dim.type == "money" else None


def _fixed_currency(query: StructuredQuery) -> str | None:
    for f in query.filters:
        if f.field == "currency" and f.op == "=" and isinstance(f.value, str):
            return f.value
        if f.field == "currency" and f.op == "in" and isinstance(f.value, list) and len(f.value) == 1:
            return str(f.value[0])
    return None


def compile_query(query: StructuredQuery, tenant_id: str, *, shown: int = DEFAULT_SHOWN) -> Compiled:
    """The Cypher text and parameters of ``query`` inside ``tenant_id``."""
    if not tenant_id:
        raise ValueError("tenant_id is required")
    query = validate_query(query)
    entity = entity_of(query)
    expr = _Expr(entity)
    params = _Params(tenant_id)
    lines = _anchored(query, entity, expr, params) or [f"MATCH (n{_labels(entity.labels)} {{tenant_id: {TENANT}}})"]
    conditions = _where(query, entity, expr, params)
    if conditions:
        lines.append("WHERE " + "\n  AND ".join(conditions))
    if query.measure is None:
        return _rows(query, entity, expr, params, lines, shown)
    return _aggregate(query, entity, expr, params, lines)


def _aggregate(query: StructuredQuery, entity: Entity, expr: _Expr, params: _Params, lines: list[str]) -> Compiled:
    assert query.measure is not None
    money = _money_measure(query, entity)
    currency = _fixed_currency(query)
    group_dims = [entity.dimension(k) for k in query.group_by]
    keys: list[GroupKey] = []
    carried: list[str] = []
    prepared: list[str] = []
    for i, dim in enumerate(group_dims):
        assert dim is not None
        alias = f"k{i}"
        source = expr.ref(dim) if dim.type == "ref" else expr.value(dim)
        if expr.many(dim):
            lines.append(f"UNWIND CASE WHEN size({source}) = 0 THEN [null] ELSE {source} END AS m{i}")
        else:
            prepared.append(f"{source} AS m{i}")
        if dim.type == "ref":
            carried += [f"m{i}.id AS {alias}", f"m{i}.name AS l{i}"]
            keys.append(GroupKey(dim.key, alias, f"l{i}"))
        else:
            carried.append(f"m{i} AS {alias}")
            keys.append(GroupKey(dim.key, alias, None))
    if prepared:
        unwinds = [line for line in lines if line.startswith("UNWIND")]
        lines[:] = [line for line in lines if not line.startswith("UNWIND")]
        lines.append("WITH n, " + ", ".join(prepared))
        lines += unwinds
    split_currency = money is not None and currency is None and "currency" not in query.group_by
    if split_currency:
        assert money is not None and money.currency is not None
        carried.append(f"n.{money.currency} AS currency")
        keys.append(GroupKey("currency", "currency", None))
    if carried or keys:
        lines.append("WITH DISTINCT n" + "".join(f", {c}" for c in carried))
    m = query.measure
    aggregates: list[str]
    if m.agg == "count":
        aggregates = ["count(n) AS value"]
    else:
        dim = entity.dimension(m.field or "")
        assert dim is not None
        prop = f"n.{dim.property}"
        if money is not None:
            cents = f"toInteger(round({prop} * 100))"
            aggregates = {
                "sum": [f"sum({cents}) AS value", f"count({prop}) AS counted"],
                "avg": [f"sum({cents}) AS value", f"count({prop}) AS counted"],
                "min": [f"min({cents}) AS value", f"count({prop}) AS counted"],
                "max": [f"max({cents}) AS value", f"count({prop}) AS counted"],
            }[m.agg]
        else:
            aggregates = {
                "sum": [f"sum({prop}) AS value", f"count({prop}) AS counted"],
                "avg": [f"sum({prop}) AS value", f"count({prop}) AS counted"],
                "min": [f"min({prop}) AS value", f"count({prop}) AS counted"],
                "max": [f"max({prop}) AS value", f"count({prop}) AS counted"],
            }[m.agg]
    group_cols = [k.alias for k in keys] + [k.label_alias for k in keys if k.label_alias]
    lines.append("WITH " + ", ".join([*group_cols, *aggregates]))
    if m.agg != "count":
        lines.append("WHERE counted > 0")
    ret = [*group_cols, "value"] + ([] if m.agg == "count" else ["counted"])
    order = _group_order(query, keys)
    lines.append("RETURN " + ", ".join(ret))
    if keys:
        lines.append("ORDER BY " + ", ".join(order))
    shape: Literal["value", "groups"] = "groups" if keys else "value"
    return Compiled(
        cypher="\n".join(lines),
        params=params.values,
        shape=shape,
        query=query,
        entity=entity,
        group_keys=tuple(keys),
        money=money is not None,
        currency=currency,
        limit=query.limit or 0,
    )


def _group_order(query: StructuredQuery, keys: list[GroupKey]) -> list[str]:
    order: list[str] = []
    for o in query.order:
        direction = "DESC" if o.direction == "desc" else "ASC"
        if o.by == "measure":
            # avg orders by the mean: value / counted
            target = "toFloat(value) / counted" if query.measure and query.measure.agg == "avg" else "value"
            order.append(f"{target} {direction}")
        else:
            alias = next(k.alias for k in keys if k.key == o.by)
            order.append(f"{alias} {direction}")
    if not order:
        order.append("value DESC")
    order += [f"{k.alias} ASC" for k in keys]
    return order


def _rows(
    query: StructuredQuery, entity: Entity, expr: _Expr, params: _Params, lines: list[str], shown: int
) -> Compiled:
    order_terms: list[str] = []
    for o in query.order:
        dim = entity.dimension(o.by)
        assert dim is not None
        target = expr.value(dim)
        if expr.many(dim):
            target = f"head({target})"
        direction = "DESC" if o.direction == "desc" else "ASC"
        # nulls last both ways (Cypher puts them last ascending, first descending)
        order_terms += [f"{target} IS NULL", f"{target} {direction}"]
    order_terms.append("n.id")
    limit = query.limit or shown
    fields = list(
        dict.fromkeys(
            [
                *entity.default_fields,
                *query.fields,
                *(o.by for o in query.order),
                *(f.field for f in query.filters),
                *(t.field for t in query.time),
            ]
        )
    )
    fields = [f for f in fields if f not in ("name",) and entity.dimension(f) is not None]
    lines.append("WITH n ORDER BY " + ", ".join(order_terms))
    lines.append(f"WITH count(n) AS total, collect(n)[..{params.add(limit)}] AS shown")
    lines.append("UNWIND shown AS n")
    projections = ["total", "n.id AS id", "n.name AS name", "n.updated_at AS updated_at", "n.updated_by AS updated_by"]
    for i, key in enumerate(fields):
        dim = entity.dimension(key)
        assert dim is not None
        projections.append(f"{expr.ref(dim) if dim.type == 'ref' else expr.value(dim)} AS f{i}")
    lines.append("RETURN " + ", ".join(projections))
    return Compiled(
        cypher="\n".join(lines),
        params=params.values,
        shape="rows",
        query=query,
        entity=entity,
        fields=tuple(fields),
        limit=limit,
    )


__all__ = ["DATE_TYPES", "Compiled", "GroupKey", "compile_query"]
