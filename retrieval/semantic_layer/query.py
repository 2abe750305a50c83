"""The structured query: what any question compiles to, typed and checked against the semantic model.

:class:`StructuredQuery` is a pydantic model (its JSON schema is what an LLM fills
through function calling). :func:`validate_query` checks it against the model in
``model.py``: an unknown entity, field, operator for a type, or a value of the wrong
type is refused with a :class:`QueryError` naming it, with the closest valid names
(rapidfuzz), the way MetricFlow's query parser suggests. The tenant is not part of
the query: the compiler adds it on the server.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from rapidfuzz import process

from kgcrm.core.errors import QueryError
from kgcrm.retrieval.semantic_layer.model import DATE_TYPES, ENTITY, NUMBER_TYPES, Dimension, Entity

Operator = Literal["=", "!=", "<", "<=", ">", ">=", "between", "in", "contains", "is_set", "is_not_set"]
Aggregation = Literal["count", "sum", "avg", "min", "max"]

MAX_LIMIT = 1000


class Filter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: str = Field(description="a dimension of the entity, e.g. status, status_category, owner, amount")
    op: Operator
    value: Any = Field(default=None, description="a scalar; [low, high] for between; a list for in")
    display: str | None = Field(default=None, description="how to show the value (a name for an id)")


class TimeFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: str = Field(description="a date dimension, e.g. created_at, closed_at, due_at, occurred_at")
    start: datetime | None = Field(default=None, description="inclusive; null = open")
    end: datetime | None = Field(default=None, description="exclusive; null = open")
    label: str = Field(default="", description="the window in words: 'last quarter'")


class Measure(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agg: Aggregation
    field: str | None = Field(default=None, description="a number field (amount, probability …); none for count")


class Order(BaseModel):
    model_config = ConfigDict(extra="forbid")

    by: str = Field(description="'measure' or a field of the entity")
    direction: Literal["asc", "desc"] = "desc"


class Related(BaseModel):
    """Rows that have (or have no) related rows of another entity: "companies with open deals" is organizations
    that some deal with status category open reaches through its ``organization`` relation."""

    model_config = ConfigDict(extra="forbid")

    entity: str = Field(description="the related entity, e.g. deal in 'companies with open deals'")
    via: str = Field(description="the related entity's relation that reaches the asked entity, e.g. organization")
    exists: bool = Field(default=True, description="false: the rows with none ('companies with no open deals')")
    filters: list[Filter] = Field(default_factory=list)
    time: list[TimeFilter] = Field(default_factory=list)


class StructuredQuery(BaseModel):
    """One question about the CRM, as data: entity, filters, time windows, measure, grouping, order, limit."""

    model_config = ConfigDict(extra="forbid")

    entity: str = Field(
        description="deal, job, partnership, lead, organization, person, contact, account, task, "
        "note, interaction or user"
    )
    filters: list[Filter] = Field(default_factory=list)
    time: list[TimeFilter] = Field(default_factory=list)
    measure: Measure | None = Field(default=None, description="none: list the rows")
    group_by: list[str] = Field(default_factory=list)
    order: list[Order] = Field(default_factory=list)
    limit: int | None = Field(default=None, ge=1, le=MAX_LIMIT)
    fields: list[str] = Field(default_factory=list, description="fields to return with each row")
    related: list[Related] = Field(
        default_factory=list, max_length=2, description="conditions on related rows ('companies with open deals')"
    )


def suggest(word: str, choices: list[str] | tuple[str, ...], limit: int = 3) -> list[str]:
    return [m[0] for m in process.extract(word, list(choices), limit=limit, score_cutoff=60)]


def entity_of(query: StructuredQuery) -> Entity:
    entity = ENTITY.get(query.entity)
    if entity is None:
        raise QueryError(
            f"unknown entity '{query.entity}'", field="entity", suggestions=suggest(query.entity, list(ENTITY))
        )
    return entity


def dimension_of(entity: Entity, key: str, where: str) -> Dimension:
    dim = entity.dimension(key)
    if dim is None:
        raise QueryError(
            f"{entity.plural} have no field '{key}'", field=where, suggestions=suggest(key, entity.dimension_keys)
        )
    return dim


def _number(value: Any, where: str) -> Decimal:
    if isinstance(value, bool):
        raise QueryError(f"expected a number, got {value!r}", field=where)
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise QueryError(f"expected a number, got {value!r}", field=where) from None
    if not number.is_finite():
        raise QueryError(f"expected a finite number, got {value!r}", field=where)
    return number


def _moment(value: Any, where: str, kind: str) -> date | datetime:
    if isinstance(value, datetime | date):
        return value
    if isinstance(value, str):
        try:
            return (
                datetime.fromisoformat(value.replace("Z", "+00:00"))
                if kind == "datetime"
                else date.fromisoformat(value[:10])
            )
        except ValueError:
            pass
    raise QueryError(f"expected an ISO-8601 {kind}, got {value!r}", field=where)


def _scalar(dim: Dimension, value: Any, where: str) -> Any:
    if dim.type in NUMBER_TYPES:
        return _number(value, where)
    if dim.type in DATE_TYPES:
        return _moment(value, where, dim.type)
    if dim.type == "bool":
        if not isinstance(value, bool):
            raise QueryError(f"expected true or false, got {value!r}", field=where)
        return value
    if not isinstance(value, str) or not value or len(value) > 500:
        raise QueryError(f"expected a text value, got {value!r}", field=where)
    return value


def validate_query(query: StructuredQuery) -> StructuredQuery:
    """The query with its values typed (numbers as Decimal, dates parsed); QueryError naming what is wrong."""
    entity = entity_of(query)
    filters: list[Filter] = []
    for n, f in enumerate(query.filters):
        where = f"filters[{n}].field"
        dim = dimension_of(entity, f.field, where)
        value: Any = f.value
        vwhere = f"filters[{n}].value"
        if f.op in ("is_set", "is_not_set"):
            value = None
        elif f.op == "between":
            if not isinstance(value, list | tuple) or len(value) != 2:
                raise QueryError("between takes [low, high]", field=vwhere)
            value = [_scalar(dim, v, vwhere) for v in value]
        elif f.op == "in":
            if not isinstance(value, list | tuple) or not value or len(value) > 100:
                raise QueryError("in takes a list of 1 to 100 values", field=vwhere)
            value = [_scalar(dim, v, vwhere) for v in value]
        else:
            if f.op in ("<", "<=", ">", ">=") and dim.type not in NUMBER_TYPES | DATE_TYPES:
                raise QueryError(
                    f"'{f.op}' needs a number or date field; '{f.field}' is {dim.type}", field=f"filters[{n}].op"
                )
            if f.op == "contains" and dim.type != "text":
                raise QueryError(f"'contains' needs a text field; '{f.field}' is {dim.type}", field=f"filters[{n}].op")
            value = _scalar(dim, value, vwhere)
        filters.append(f.model_copy(update={"value": value}))
    for n, t in enumerate(query.time):
        dim = dimension_of(entity, t.field, f"time[{n}].field")
        if dim.type not in DATE_TYPES:
            raise QueryError(f"'{t.field}' is not a date", field=f"time[{n}].field")
        if t.start is None and t.end is None:
            raise QueryError("a time window needs a start or an end", field=f"time[{n}]")
        for moment in (t.start, t.end):
            if moment is not None and moment.tzinfo is None:
                raise QueryError("times must carry a time zone", field=f"time[{n}]")
    if query.measure is not None:
        m = query.measure
        if m.agg == "count":
            if m.field is not None:
                raise QueryError("count takes no field", field="measure.field")
        else:
            if m.field is None:
                raise QueryError(
                    f"{m.agg} needs a number field", field="measure.field", suggestions=list(entity.number_fields)
                )
            dim = dimension_of(entity, m.field, "measure.field")
            if dim.type not in NUMBER_TYPES or dim.via is not None:
                raise QueryError(
                    f"'{m.field}' is not a number field of {entity.plural}",
                    field="measure.field",
                    suggestions=list(entity.number_fields),
                )
    for n, key in enumerate(query.group_by):
        dim = dimension_of(entity, key, f"group_by[{n}]")
        if dim.type in NUMBER_TYPES:
            raise QueryError(f"cannot group by the number field '{key}'", field=f"group_by[{n}]")
    if query.group_by and query.measure is None:
        raise QueryError("grouping needs a measure (count, sum …)", field="group_by")
    if len(query.group_by) > 3:
        raise QueryError("at most 3 groupings", field="group_by")
    for n, o in enumerate(query.order):
        if o.by == "measure":
            if query.measure is None:
                raise QueryError("ordering by the measure needs a measure", field=f"order[{n}].by")
        else:
            dimension_of(entity, o.by, f"order[{n}].by")
            if query.measure is not None and o.by not in query.group_by:
                raise QueryError(
                    f"an aggregate can only be ordered by the measure or a grouping, not '{o.by}'",
                    field=f"order[{n}].by",
                )
    for n, key in enumerate(query.fields):
        dimension_of(entity, key, f"fields[{n}]")
    related = [_validate_related(entity, r, f"related[{n}]") for n, r in enumerate(query.related)]
    return query.model_copy(update={"filters": filters, "related": related})


def _validate_related(entity: Entity, related: Related, where: str) -> Related:
    """The related entity must reach ``entity`` through ``via``; its filters are checked as its own query's."""
    other = ENTITY.get(related.entity)
    if other is None:
        raise QueryError(
            f"unknown entity '{related.entity}'",
            field=f"{where}.entity",
            suggestions=suggest(related.entity, list(ENTITY)),
        )
    relation = other.relation(related.via)
    if relation is None or relation.target != entity.key:
        reaching = [r.key for r in other.relations if r.target == entity.key]
        raise QueryError(
            f"{other.plural} do not reach {entity.plural} through '{related.via}'",
            field=f"{where}.via",
            suggestions=reaching,
        )
    try:
        checked = validate_query(StructuredQuery(entity=related.entity, filters=related.filters, time=related.time))
    except QueryError as exc:
        raise QueryError(str(exc), field=f"{where}.{exc.field}" if getattr(exc, "field", None) else where) from exc
    return related.model_copy(update={"filters": checked.filters, "time": checked.time})
