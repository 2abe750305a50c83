"""Conditions on related rows ("companies with open deals", "reps with overdue tasks", "people with no
interactions"): one EXISTS in the tenant, counted and listed exactly as SQL counts them, and never a count of
related rows read as a filter ("companies with more than 3 open deals" is not answered as if it were)."""

from __future__ import annotations

import pytest

from kgcrm.core.errors import QueryError
from kgcrm.retrieval.semantic_layer.compiler import compile_query
from kgcrm.retrieval.semantic_layer.query import StructuredQuery
from kgcrm.retrieval.stack import build_stack
from tests.retrieval.semantic_layer.conftest import NOW
from tests.retrieval.semantic_layer.truth import sql_rows

pytestmark = pytest.mark.neo4j


@pytest.fixture(scope="module")
def stack(crm):
    _, gateway, _ = crm
    return build_stack(gateway, embed=None, clock=lambda: NOW)


def _organizations_with_open_deals(engine, tenant: str) -> set[str]:
    rows = sql_rows(
        engine,
        """SELECT DISTINCT l.organization_id AS id FROM lead l JOIN status s ON s.id = l.status_id
           WHERE l.tenant_id = :t AND l.lead_type = 'opportunity' AND s.category = 'open'
             AND l.organization_id IS NOT NULL""",
        t=tenant,
    )
    return {r["id"] for r in rows}


def test_companies_with_and_without_open_deals_equal_sql(crm, stack):
    engine, _, tenants = crm
    for tenant in tenants:
        having = _organizations_with_open_deals(engine, tenant)
        everyone = {r["id"] for r in sql_rows(engine, "SELECT id FROM organization WHERE tenant_id = :t", t=tenant)}
        answer = stack.ask.ask("how many companies have open deals?", tenant)
        assert (answer.method, answer.unapplied) == ("semantic_layer", [])
        assert answer.data["value"] == len(having)
        assert "that have opportunities with status category open" in answer.interpretation
        answer = stack.ask.ask("which companies have no open deals", tenant)
        assert answer.unapplied == []
        assert answer.data["total"] == len(everyone - having)
        assert "that have no opportunities" in answer.interpretation


def test_reps_with_overdue_tasks_equal_sql(crm, stack):
    engine, _, tenants = crm
    tenant = tenants[0]
    rows = sql_rows(
        engine,
        """SELECT DISTINCT t.assignee_id AS id, t.due_at AS due FROM task t JOIN status s ON s.id = t.status_id
           WHERE t.tenant_id = :t AND s.category = 'open' AND t.due_at IS NOT NULL AND t.assignee_id IS NOT NULL""",
        t=tenant,
    )
    overdue = {r["id"] for r in rows if str(r["due"])[:19].replace(" ", "T") < NOW.isoformat()[:19]}
    answer = stack.ask.ask("how many reps have overdue tasks", tenant)
    assert answer.unapplied == []
    assert answer.data["value"] == len(overdue)


def test_a_count_of_related_rows_is_not_read_as_a_filter(crm, stack):
    _, _, tenants = crm
    answer = stack.ask.ask("companies with more than 3 open deals", tenants[0])
    assert answer.unapplied, answer.interpretation  # said, not silently answered as "companies with open deals"


def test_the_related_rows_stay_in_the_tenant():
    query = StructuredQuery.model_validate(
        {
            "entity": "organization",
            "measure": {"agg": "count"},
            "related": [{"entity": "deal", "via": "organization", "exists": False}],
        }
    )
    compiled = compile_query(query, "tenant-a")
    subquery = compiled.cypher[compiled.cypher.index("EXISTS") :]
    assert "{tenant_id: $tenant_id}" in subquery and "NOT EXISTS" in compiled.cypher
    assert compiled.params == {"tenant_id": "tenant-a"}


@pytest.mark.parametrize(
    ("related", "field"),
    [
        ({"entity": "deals", "via": "organization"}, "related[0].entity"),
        ({"entity": "deal", "via": "owner"}, "related[0].via"),  # a deal's owner is a user, not an organization
        (
            {"entity": "deal", "via": "organization", "filters": [{"field": "colour", "op": "=", "value": "x"}]},
            "related[0].filters[0].field",
        ),
    ],
)
def test_a_related_condition_the_model_cannot_express_is_refused_by_name(related, field):
    query = StructuredQuery.model_validate({"entity": "organization", "related": [related]})
    with pytest.raises(QueryError) as refused:
        compile_query(query, "tenant-a")
    assert refused.value.field == field
