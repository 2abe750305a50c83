"""Running a structured query, and saying what it computed: the answer, its data and its interpretation.

:func:`interpret` restates a :class:`StructuredQuery` in one plain sentence
("Counting opportunities with status category open and amount > 50,000 USD"): users
and tests check it. :func:`run_query` compiles the query, runs it through the
gateway on a read session (the gateway's timeout), and shapes the result exactly as
``SPEC-17.md`` says:

- ``{"kind": "value", "value", "currency"}``;
- ``{"kind": "groups", "groups": [{"key", "names", "value", "currency"}], "total_groups"}``
  (a sum/avg/min/max of money without a currency is always per currency);
- ``{"kind": "rows", "rows": [{"id", "type", "name", …}], "total", "shown"}``.

Money is summed in integer cents in Cypher and divided here, in ``Decimal``: the
figures equal SQL's to the cent.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from kgcrm.graph.gateway import GraphGateway
from kgcrm.retrieval.semantic_layer.compiler import Compiled, compile_query
from kgcrm.retrieval.semantic_layer.model import ENTITY, Entity
from kgcrm.retrieval.semantic_layer.query import Filter, StructuredQuery, TimeFilter
from kgcrm.retrieval.types import Answer, SourceRow

METHOD = "semantic_layer"
CENT = Decimal("0.01")

_OPS = {
    "=": "",
    "!=": "not",
    "<": "<",
    "<=": "≤",
    ">": ">",
    ">=": "≥",
    "contains": "containing",
    "in": "in",
    "is_set": "set",
    "is_not_set": "not set",
}
_AGG = {"sum": "Summing", "avg": "Averaging", "min": "Finding the smallest", "max": "Finding the largest"}


def _number_text(value: Any, money: bool = False) -> str:
    if isinstance(value, Decimal | float | int) and not isinstance(value, bool):
        number = Decimal(str(value))
        if money or number != number.to_integral_value():
            return f"{number.quantize(CENT, ROUND_HALF_UP):,}"
        return f"{int(number):,}"
    return str(value)


def _value_text(entity: Entity, f: Filter, currency: str | None) -> str:
    dim = entity.dimension(f.field)
    money = dim is not None and dim.type == "money"
    suffix = f" {currency}" if money and currency else ""

    def one(v: Any) -> str:
        if isinstance(v, datetime | date):
            return v.isoformat()[:10]
        return _number_text(v, money) + suffix if isinstance(v, Decimal | float | int) else str(v)

    if f.display:
        return f.display
    if f.op == "between":
        return f"{one(f.value[0])} and {one(f.value[1])}"
    if f.op == "in":
        return ", ".join(one(v) for v in f.value)
    return one(f.value)


def _currency_filter(query: StructuredQuery) -> str | None:
    return next((str(f.value) for f in query.filters if f.field == "currency" and f.op == "="), None)


def describe_filter(entity: Entity, f: Filter, currency: str | None = None) -> str:
    dim = entity.dimension(f.field)
    words = dim.words if dim else f.field
    if f.op in ("is_set", "is_not_set"):
        return f"{words} {_OPS[f.op]}"
    if f.op == "between":
        return f"{words} between {_value_text(entity, f, currency)}"
    op = _OPS[f.op]
    return f"{words} {op + ' ' if op else ''}{_value_text(entity, f, currency)}"


def interpret(query: StructuredQuery) -> str:
    """The query in one plain sentence."""
    entity = ENTITY[query.entity]
    currency = _currency_filter(query)
    m = query.measure
    if m is None:
        head = f"Listing {entity.plural}"
    elif m.agg == "count":
        head = f"Counting {entity.plural}"
    else:
        dim = entity.dimension(m.field or "")
        head = f"{_AGG[m.agg]} {dim.words if dim else m.field} of {entity.plural}"
    parts = _conditions(entity, query.filters, query.time, currency)
    text = head + (" with " + " and ".join(parts) if parts else "")
    for related in query.related:  # "… that have opportunities with status category open"
        other = ENTITY[related.entity]
        inner = _conditions(other, related.filters, related.time, None, skip_currency=False)
        text += f" that have {'no ' if not related.exists else ''}{other.plural}"
        text += " with " + " and ".join(inner) if inner else ""
    if currency:
        text += f", in {currency}"
    if query.group_by:
        text += ", by " + " and ".join(entity.dimension(g).words for g in query.group_by)  # type: ignore[union-attr]
    money = m is not None and m.agg != "count" and (d := entity.dimension(m.field or "")) is not None
    if money and d is not None and d.type == "money" and not currency and "currency" not in query.group_by:
        text += ", per currency"
    if query.order:
        o = query.order[0]
        what = "the measure" if o.by == "measure" else entity.dimension(o.by).words  # type: ignore[union-attr]
        text += f", ordered by {what} {'descending' if o.direction == 'desc' else 'ascending'}"
        if o.by == "measure" and o.direction == "asc" and query.group_by:
            text += " (among the groups that have at least one)"  # a group with none has no row to rank
    if query.limit:
        text += f", first {query.limit}"
    return text


def _conditions(
    entity: Entity, filters: list[Filter], times: list[TimeFilter], currency: str | None, *, skip_currency: bool = True
) -> list[str]:
    """The filters and time windows in words (a fixed currency is said once, after them, unless not skipped)."""
    shown = [f for f in filters if not (skip_currency and f.field == "currency" and f.op == "=")]
    parts = [describe_filter(entity, f, currency) for f in shown]
    for t in times:
        dim = entity.dimension(t.field)
        window = t.label or _window(t.start, t.end)
        bounded = re.match(r"(?:before|after|since|until|up to|from|more than|less than|older than)\b", window)
        parts.append(f"{dim.words if dim else t.field} {'' if bounded else 'in '}{window}")
    return parts


def _window(start: datetime | None, end: datetime | None) -> str:
    if start and end:
        return f"{start.date().isoformat()} to {end.date().isoformat()} (exclusive)"
    if start:
        return f"since {start.date().isoformat()}"
    assert end is not None
    return f"before {end.date().isoformat()}"


def _plain(value: Any) -> Any:
    if hasattr(value, "to_native"):
        value = value.to_native()
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _measure_value(compiled: Compiled, row: dict[str, Any]) -> float | int | None:
    m = compiled.query.measure
    assert m is not None
    value = row.get("value")
    if m.agg == "count":
        return int(value or 0)
    counted = int(row.get("counted") or 0)
    if value is None or counted == 0:
        return None
    number = Decimal(int(value)) / 100 if compiled.money else Decimal(str(value))
    if m.agg == "avg":
        number = number / counted
    if compiled.money or m.agg == "avg":
        number = number.quantize(CENT, ROUND_HALF_UP)
    return float(number) if number != number.to_integral_value() or compiled.money else int(number)


def _data(compiled: Compiled, rows: list[dict[str, Any]]) -> dict[str, Any]:
    if compiled.shape == "rows":
        total = int(rows[0]["total"]) if rows else 0
        out = []
        for row in rows:
            item: dict[str, Any] = {"id": row["id"], "type": compiled.entity.ref_type, "name": row["name"]}
            for i, key in enumerate(compiled.fields):
                value = _plain(row[f"f{i}"])
                dim = compiled.entity.dimension(key)
                if dim is not None and dim.type == "ref":
                    if isinstance(value, list):
                        item[key] = [v.get("name") for v in value]
                        item[f"{key}_ids"] = [v.get("id") for v in value]
                    else:
                        item[key] = (value or {}).get("name")
                        item[f"{key}_id"] = (value or {}).get("id")
                else:
                    item[key] = value
            out.append(item)
        return {"kind": "rows", "rows": out, "total": total, "shown": len(out)}
    if compiled.shape == "value":
        row = rows[0] if rows else {"value": 0, "counted": 0}
        return {"kind": "value", "value": _measure_value(compiled, row), "currency": compiled.currency}
    groups = []
    for row in rows:
        group_key = {k.key: _plain(row[k.alias]) for k in compiled.group_keys}
        names = {k.key: row[k.label_alias] for k in compiled.group_keys if k.label_alias}
        currency = row.get("currency") if compiled.money else compiled.currency
        group: dict[str, Any] = {"key": group_key, "value": _measure_value(compiled, row), "currency": currency}
        if names:
            group["names"] = names
        groups.append(group)
    total_groups = len(groups)
    if compiled.limit:
        groups = groups[: compiled.limit]
    return {"kind": "groups", "groups": groups, "total_groups": total_groups}


def _money_text(value: Any, currency: str | None) -> str:
    return _number_text(value, True) + (f" {currency}" if currency else "")


def sentence(compiled: Compiled, data: dict[str, Any]) -> str:
    """The answer in words, from the data."""
    entity = compiled.entity
    m = compiled.query.measure
    if data["kind"] == "value":
        value = data["value"]
        if m is not None and m.agg == "count":
            noun = entity.singular if value == 1 else entity.plural
            return f"{_number_text(value)} {noun}."
        if value is None:
            return f"No {entity.plural} with a value to compute."
        return f"{_money_text(value, data['currency']) if compiled.money else _number_text(value)}."
    if data["kind"] == "groups":
        if not data["groups"]:
            return f"No {entity.plural} match."
        parts = []
        for g in data["groups"]:
            label = ", ".join(
                str((g.get("names") or {}).get(k) or v if v is not None else "(none)") for k, v in g["key"].items()
            )
            value = _money_text(g["value"], g["currency"]) if compiled.money else _number_text(g["value"])
            parts.append(f"{label}: {value}" if label else value)
        more = (
            f" ({data['total_groups']} groups, first {len(data['groups'])} shown)"
            if data["total_groups"] > len(data["groups"])
            else ""
        )
        return "; ".join(parts) + more + "."
    total, shown = data["total"], data["shown"]
    if total == 0:
        return f"No {entity.plural} match."
    names = "; ".join(str(r.get("name") or r["id"]) for r in data["rows"])
    noun = entity.singular if total == 1 else entity.plural
    first = f", first {shown} shown" if shown < total else ""
    return f"{total} {noun}{first}: {names}."


def run_compiled(gateway: GraphGateway, compiled: Compiled) -> tuple[dict[str, Any], list[SourceRow]]:
    rows = gateway.read(f"semantic_layer_{compiled.entity.key}_{compiled.shape}", compiled.cypher, compiled.params)
    data = _data(compiled, rows)
    sources: list[SourceRow] = []
    if compiled.shape == "rows":
        sources = [
            SourceRow(
                id=r["id"],
                type=compiled.entity.ref_type,
                name=r.get("name"),
                table=compiled.entity.table if compiled.entity.ref_type != "Lead" else "lead",
                updated_at=_plain(r.get("updated_at")),
                updated_by=r.get("updated_by"),
            )
            for r in rows
        ]
    return data, sources


def run_query(
    gateway: GraphGateway, query: StructuredQuery, tenant_id: str, *, unapplied: list[str] | None = None
) -> Answer:
    """Compile, run and answer ``query`` inside ``tenant_id``."""
    compiled = compile_query(query, tenant_id)
    data, sources = run_compiled(gateway, compiled)
    interpretation = interpret(compiled.query)
    text = sentence(compiled, data)
    left = list(unapplied or [])
    if left:
        text += " Not applied: " + ", ".join(f"“{p}”" for p in left) + "."
    return Answer(
        answer=text,
        data=data,
        cypher=compiled.cypher,
        sources=sources,
        method=METHOD,
        interpretation=interpretation,
        unapplied=left,
        query=compiled.query.model_dump(mode="json"),
    )
