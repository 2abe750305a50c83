"""Verdicts (``/work/wt/SPEC-17.md``, "The evaluation's verdicts").

answered = ``method == "semantic_layer"`` and ``unapplied == []``; then **exact** when ``data`` equals the
SQL truth, else **wrong**; anything else is **declined**. Comparison rules:

- numbers to the cent (averages within a cent); money carries its currency;
- groups as maps ``key → value`` (zero-valued groups of counts ignored; an entity-valued key may be given
  by id or by name; a money group's currency is part of its key);
- lists as sets of ids with their ``total`` (when only the first N are shown, they must be among the truth);
- top-N by the ordering values, ties allowed: the i-th item returned must have the i-th truth value;
- a family may accept several readings (:class:`Accept`): any one equal is exact.

A **trap** (:class:`Trap`, ``bank/traps.yaml``) carries a constraint the semantic model cannot express: it is
**exact** when the answer is declined or names what it left out (a non-empty ``unapplied``), **wrong** when it
answers with ``method == "semantic_layer"`` and an empty ``unapplied`` (the silent drop); never declined.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

CENT = Decimal("0.01")


def num(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def same_number(a: Any, b: Any, *, tolerance: Decimal = Decimal(0)) -> bool:
    x, y = num(a), num(b)
    if x is None or y is None:
        return a is None and b is None
    return abs(x.quantize(CENT) - y.quantize(CENT)) <= tolerance


def _scalar(value: Any) -> Any:
    """An ordering value as comparable text or number (dates as ISO text, to the second)."""
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return _scalar(datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            return value
    n = num(value)
    return n.quantize(CENT) if n is not None else value


@dataclass(frozen=True)
class Value:
    value: Any
    currency: str | None = None
    tolerance: Decimal = Decimal(0)  # CENT for averages

    def plain(self) -> Any:
        return {"value": str(self.value) if self.value is not None else None, "currency": self.currency}


@dataclass(frozen=True)
class Groups:
    """``values``: canonical key (dims, then currency for money) → value; ``aliases`` per dim: text → canonical."""

    dims: tuple[str, ...]
    values: Mapping[tuple[Any, ...], Any]
    money: bool = False
    aliases: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    tolerance: Decimal = Decimal(0)

    def plain(self) -> Any:
        return {" / ".join(str(k) for k in key): str(v) for key, v in self.values.items()}


@dataclass(frozen=True)
class Rows:
    ids: frozenset[str]

    def plain(self) -> Any:
        return {"total": len(self.ids), "ids": sorted(self.ids)[:10]}


@dataclass(frozen=True)
class Top:
    """The whole ordering ``[(key, value)]`` (best first); the answer must give its first ``n``."""

    n: int
    ordered: tuple[tuple[Any, Any], ...]
    dims: tuple[str, ...] = ()  # () → rows by id; else a grouping
    aliases: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def plain(self) -> Any:
        return [[str(k), str(_scalar(v))] for k, v in self.ordered[: self.n + 2]]


@dataclass(frozen=True)
class Accept:
    options: tuple[Any, ...]

    def plain(self) -> Any:
        return [o.plain() for o in self.options]


@dataclass(frozen=True)
class Trap:
    """A question the semantic model cannot fully express; ``missing`` says what (for the reader only)."""

    missing: str

    def plain(self) -> Any:
        return {"trap": self.missing}


Expected = Value | Groups | Rows | Top | Accept | Trap


def _canonical(dim: str, raw: Any, aliases: Mapping[str, Mapping[str, Any]]) -> Any:
    if raw is None:
        return None
    if isinstance(raw, Mapping):  # {"id": …, "name": …}
        for k in ("id", "name", "value"):
            if k in raw:
                found = _canonical(dim, raw[k], aliases)
                if found is not None:
                    return found
        return None
    table = aliases.get(dim, {})
    return table.get(str(raw).strip().lower(), raw if not table else ("?", raw))


def _group_key(
    group: Mapping[str, Any], dims: tuple[str, ...], money: bool, aliases: Mapping[str, Any]
) -> tuple[Any, ...]:
    key = group.get("key") or {}
    if not isinstance(key, Mapping):
        key = {dims[0]: key} if dims else {}
    named = {k: v for k, v in key.items() if k != "currency"}
    parts = []
    for dim in dims:
        if dim in named:
            raw = named[dim]
        elif len(named) == 1 and len(dims) == 1:
            raw = next(iter(named.values()))
        else:
            raw = ("missing", dim)
        parts.append(_canonical(dim, raw, aliases) if not isinstance(raw, tuple) else raw)
    if money:
        parts.append(key.get("currency") or group.get("currency"))
    return tuple(parts)


def _nonzero(values: Mapping[tuple[Any, ...], Any]) -> dict[tuple[Any, ...], Any]:
    return {k: v for k, v in values.items() if num(v) is None or num(v) != 0}


def matches(expected: Expected, data: Any) -> bool:
    """Does an answer's ``data`` equal the expected answer?"""
    if isinstance(expected, Accept):
        return any(matches(option, data) for option in expected.options)
    if isinstance(expected, Trap):
        raise TypeError("a trap has no answer to match: use trap_verdict")
    if not isinstance(data, Mapping):
        return False
    kind = data.get("kind")
    if isinstance(expected, Value):
        if kind == "value":
            if expected.currency is not None and data.get("currency") != expected.currency:
                return False
            return same_number(data.get("value"), expected.value, tolerance=expected.tolerance)
        if kind == "groups" and expected.currency is not None:  # one currency, given as one group
            groups = data.get("groups") or []
            return (
                len(groups) == 1
                and (groups[0].get("currency") or (groups[0].get("key") or {}).get("currency")) == expected.currency
                and same_number(groups[0].get("value"), expected.value, tolerance=expected.tolerance)
            )
        if kind == "rows" and expected.currency is None:  # "how many …" answered with a list and its total
            return same_number(data.get("total"), expected.value)
        return False
    if isinstance(expected, Groups):
        if kind == "value" and not _nonzero(expected.values):  # nothing to add up: 0 or no value
            return num(data.get("value")) in (None, Decimal(0))
        if kind == "value" and len(expected.values) == 1 and expected.money:  # one currency only
            ((key, value),) = expected.values.items()
            return data.get("currency") == key[-1] and same_number(
                data.get("value"), value, tolerance=expected.tolerance
            )
        if kind != "groups":
            return False
        got: dict[tuple[Any, ...], Any] = {}
        for group in data.get("groups") or []:
            key = _group_key(group, expected.dims, expected.money, expected.aliases)
            if key in got:
                return False
            got[key] = group.get("value")
        want, got = _nonzero(expected.values), _nonzero(got)
        return want.keys() == got.keys() and all(
            same_number(got[k], v, tolerance=expected.tolerance) for k, v in want.items()
        )
    if isinstance(expected, Rows):
        if kind != "rows":
            return False
        ids = [str(r.get("id")) for r in data.get("rows") or [] if isinstance(r, Mapping)]
        if not same_number(data.get("total"), len(expected.ids)) or len(set(ids)) != len(ids):
            return False
        if len(ids) >= len(expected.ids):
            return set(ids) == expected.ids
        return set(ids) <= expected.ids
    if isinstance(expected, Top):
        top = [_scalar(v) for _, v in expected.ordered[: expected.n]]
        value_of = {k: _scalar(v) for k, v in expected.ordered}
        if not expected.dims:
            if kind != "rows":
                return False
            keys = [str(r.get("id")) for r in data.get("rows") or [] if isinstance(r, Mapping)]
        else:
            if kind != "groups":
                return False
            keys = [_group_key(g, expected.dims, False, expected.aliases)[0] for g in data.get("groups") or []]
        keys = keys[: expected.n]
        return (
            len(keys) == len(top)
            and len(set(keys)) == len(keys)
            and all(k in value_of and value_of[k] == w for k, w in zip(keys, top, strict=True))
        )
    raise TypeError(f"unknown expectation {expected!r}")


def trap_verdict(answer: Mapping[str, Any]) -> str:
    """A trap's verdict: ``exact`` when declined or when ``unapplied`` names something, else ``wrong``."""
    if answer.get("method") != "semantic_layer" or answer.get("unapplied"):
        return "exact"
    return "wrong"


def verdict(expected: Expected, answer: Mapping[str, Any]) -> str:
    """``exact``, ``wrong`` or ``declined`` for one answer (a dict as ``/v1/ask`` returns it)."""
    if isinstance(expected, Trap):
        return trap_verdict(answer)
    if answer.get("method") != "semantic_layer" or answer.get("unapplied"):
        return "declined"
    return "exact" if matches(expected, answer.get("data")) else "wrong"


def _legacy_data(expected: Expected, data: Any) -> Any:
    """Today's template data (``{"count", "amount": {cur: "…"}, "groups": [{"stage"|"owner", "count", "amount"}]}``
    or a list of rows) in the answer shapes of issue 17, read the way its sentence reads to a user."""
    if isinstance(data, list):
        rows = [r for r in data if isinstance(r, Mapping)]
        return {"kind": "rows", "rows": rows, "total": len(rows), "shown": len(rows)}
    if not isinstance(data, Mapping) or "count" not in data:
        return None
    amounts = data.get("amount") or {}
    option = expected.options[0] if isinstance(expected, Accept) else expected
    if isinstance(option, Value) and option.currency is not None:
        return {"kind": "value", "value": amounts.get(option.currency), "currency": option.currency}
    if isinstance(option, Groups) and option.dims == () and option.money:
        return {"kind": "groups", "groups": [{"key": {"currency": c}, "value": v} for c, v in amounts.items()]}
    if isinstance(option, Groups | Top) and data.get("groups"):
        dim = option.dims[0] if option.dims else "status"
        name = "stage" if "stage" in data["groups"][0] else "owner"
        if isinstance(option, Groups) and option.money:
            groups = [
                {"key": {dim: g[name]}, "value": v, "currency": c}
                for g in data["groups"]
                for c, v in (g.get("amount") or {}).items()
            ]
        else:
            groups = [{"key": {dim: g[name]}, "value": g["count"]} for g in data["groups"]]
        return {"kind": "groups", "groups": groups, "total_groups": len(groups)}
    return {"kind": "value", "value": data["count"], "currency": None}


def legacy_verdict(expected: Expected, answer: Mapping[str, Any]) -> str:
    """Today's answers (before issue 17), for the baseline only: a ``template`` answer counts as answered
    (it says nothing about what it left out), read as above; every other method is declined."""
    if isinstance(expected, Trap):  # a template answer says nothing about what it left out: a silent answer
        silent = answer.get("method") in ("semantic_layer", "template") and not answer.get("unapplied")
        return "wrong" if silent else "exact"
    if answer.get("method") == "semantic_layer":
        return verdict(expected, answer)
    if answer.get("method") != "template":
        return "declined"
    if answer.get("data") == [] and str(answer.get("answer", "")).startswith("I found nothing called"):
        return "declined"  # it said which name it could not resolve
    return "exact" if matches(expected, _legacy_data(expected, answer.get("data"))) else "wrong"
