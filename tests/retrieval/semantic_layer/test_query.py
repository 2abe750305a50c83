"""StructuredQuery: a JSON schema for function calling, and validation against the semantic model
that refuses unknown names (with suggestions) and values of the wrong type."""

from __future__ import annotations

from datetime import datetime

import pytest

from kgcrm.core.errors import QueryError
from kgcrm.retrieval.semantic_layer.answer import interpret
from kgcrm.retrieval.semantic_layer.query import Filter, Measure, StructuredQuery, validate_query


def test_the_json_schema_names_the_operators_and_forbids_extra_fields():
    schema = StructuredQuery.model_json_schema()
    assert schema["additionalProperties"] is False
    assert "between" in str(schema) and "is_not_set" in str(schema)
    assert "tenant" not in str(schema).lower()


@pytest.mark.parametrize(
    ("query", "field", "suggestion"),
    [
        (StructuredQuery(entity="deals"), "entity", "deal"),
        (
            StructuredQuery(entity="deal", filters=[Filter(field="stauts", op="=", value="x")]),
            "filters[0].field",
            "status",
        ),
        (StructuredQuery(entity="deal", measure=Measure(agg="sum", field="amout")), "measure.field", "amount"),
        (StructuredQuery(entity="task", group_by=["asignee"], measure=Measure(agg="count")), "group_by[0]", "assignee"),
    ],
)
def test_unknown_names_are_refused_with_suggestions(query, field, suggestion):
    with pytest.raises(QueryError) as error:
        validate_query(query)
    assert error.value.field == field and suggestion in error.value.suggestions


@pytest.mark.parametrize(
    "query",
    [
        StructuredQuery(entity="deal", filters=[Filter(field="amount", op=">", value="lots")]),
        StructuredQuery(entity="deal", filters=[Filter(field="status", op=">", value="Won")]),
        StructuredQuery(entity="deal", filters=[Filter(field="amount", op="between", value=[1])]),
        StructuredQuery(entity="deal", filters=[Filter(field="created_at", op="<", value="yesterday")]),
        StructuredQuery(entity="deal", measure=Measure(agg="sum", field="status")),
        StructuredQuery(entity="deal", measure=Measure(agg="sum")),
        StructuredQuery(entity="deal", group_by=["status"]),
        StructuredQuery(entity="deal", filters=[Filter(field="amount", op="=", value=True)]),
        StructuredQuery(entity="deal", filters=[Filter(field="amount", op="=", value="NaN")]),
    ],
)
def test_wrong_types_and_shapes_are_refused(query):
    with pytest.raises(QueryError):
        validate_query(query)


def test_values_are_typed():
    query = validate_query(
        StructuredQuery(
            entity="deal",
            filters=[
                Filter(field="amount", op=">", value="50000"),
                Filter(field="created_at", op=">=", value="2026-01-01T00:00:00Z"),
            ],
        )
    )
    assert str(query.filters[0].value) == "50000" and isinstance(query.filters[1].value, datetime)


def test_interpretation_of_a_count_with_a_threshold():
    query = StructuredQuery(
        entity="deal",
        filters=[
            Filter(field="status_category", op="=", value="open"),
            Filter(field="amount", op=">", value=50000),
            Filter(field="currency", op="=", value="USD"),
        ],
        measure=Measure(agg="count"),
    )
    assert interpret(query) == "Counting opportunities with status category open and amount > 50,000.00 USD, in USD"
