"""The ask pipeline on the semantic layer: a dev set of everyday phrasings answered exactly (SQL truth),
bad questions answered plainly, "my" = the caller, follow-ups refining the previous query, and the LLM
path with a scripted (fake) model that returns unknown fields, wrong types and another tenant's ids."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from kgcrm.retrieval.llm import ScriptedChatModel
from kgcrm.retrieval.stack import build_stack
from tests.retrieval.semantic_layer.conftest import NOW
from tests.retrieval.semantic_layer.truth import deals, moment, per_currency, sql_rows

pytestmark = pytest.mark.neo4j


@pytest.fixture(scope="module")
def stack(crm):
    _, gateway, _ = crm
    return build_stack(gateway, embed=None, clock=lambda: NOW)


def value(answer):
    assert answer.method == "semantic_layer", (answer.method, answer.answer)
    assert answer.unapplied == [], answer.unapplied
    return answer.data


def cents(v: Decimal) -> float:
    return float(v.quantize(Decimal("0.01")))


def test_dev_set_counts_and_sums(crm, stack):
    engine, _, tenants = crm
    for tenant in tenants:
        rows = deals(engine, tenant)
        open_deals = [r for r in rows if r["category"] == "open"]
        big = [r for r in open_deals if r["amount"] is not None and r["amount"] > 75000]
        for question in (
            "how many open opps are above 75k",
            "Number of open deals over $75,000?",
            "open opportunities greater than 75000 — how many",
        ):
            data = value(stack.ask.ask(question, tenant))
            assert data["value"] == len(big), question
        negotiation = [r for r in rows if r["status"] == "Negotiation"]
        for question in (
            "number of deals sitting in Negotiation",
            "how many deals are in negotiation?",
            "count of opps in negotation",
        ):
            assert value(stack.ask.ask(question, tenant))["value"] == len(negotiation), question
        q_start, q_end = datetime(2026, 10, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
        won = [r for r in rows if r["category"] == "won" and r["closed_at"] and q_start <= r["closed_at"] < q_end]
        for question in ("How many deals did we win this quarter?", "deals won this qtr: how many"):
            assert value(stack.ask.ask(question, tenant))["value"] == len(won), question
        data = value(stack.ask.ask("total value of deals won this quarter", tenant))
        assert {g["currency"]: g["value"] for g in data["groups"]} == {
            c: cents(v) for c, v in per_currency(won).items()
        }


def test_dev_set_groups_top_and_lists(crm, stack):
    engine, _, tenants = crm
    tenant = tenants[0]
    rows = deals(engine, tenant)
    open_deals = [r for r in rows if r["category"] == "open"]
    by_owner = Counter(r["owner_id"] for r in open_deals)
    for question in ("rep with the most open deals", "which rep has the most open opportunities?"):
        data = value(stack.ask.ask(question, tenant))
        assert data["groups"][0]["value"] == max(by_owner.values()), question
    data = value(stack.ask.ask("deals by stage", tenant))
    assert {g["key"]["status"]: g["value"] for g in data["groups"]} == dict(Counter(r["status"] for r in rows))
    data = value(stack.ask.ask("the largest open deal", tenant))
    assert data["total"] == len(open_deals) and data["shown"] == 1
    assert Decimal(str(data["rows"][0]["amount"])) == max(r["amount"] for r in open_deals if r["amount"] is not None)
    start, end = datetime(2026, 11, 1).date(), datetime(2026, 12, 1).date()
    closing = [r for r in open_deals if r["expected_close_on"] and start <= r["expected_close_on"] < end]
    answer = stack.ask.ask("deals closing this month", tenant)  # a deal still to close is an open one
    assert value(answer)["total"] == len(closing) and "status category open" in answer.interpretation


def test_dev_set_tasks_interactions_companies_accounts(crm, stack):
    engine, _, tenants = crm
    tenant = tenants[0]
    tasks = sql_rows(
        engine,
        """SELECT t.id, t.assignee_id, t.due_at, s.category FROM task t
                                LEFT JOIN status s ON s.id = t.status_id WHERE t.tenant_id = :t""",
        t=tenant,
    )
    open_tasks = [t for t in tasks if t["category"] == "open"]
    overdue = [t for t in open_tasks if t["due_at"] and moment(t["due_at"]) < NOW]
    assert value(stack.ask.ask("overdue tasks", tenant))["total"] == len(overdue)
    user = Counter(t["assignee_id"] for t in open_tasks if t["assignee_id"]).most_common(1)[0][0]
    mine = [t for t in open_tasks if t["assignee_id"] == user]
    for question in ("what's on my plate", "my open tasks"):
        assert value(stack.ask.ask(question, tenant, user_id=user))["total"] == len(mine), question
    # "my" without a caller is not silently dropped
    assert stack.ask.ask("my open tasks", tenant).unapplied

    interactions = sql_rows(engine, "SELECT id, kind, occurred_at FROM interaction WHERE tenant_id = :t", t=tenant)
    last_week = (datetime(2026, 11, 9, tzinfo=UTC), datetime(2026, 11, 16, tzinfo=UTC))
    meetings = [
        i for i in interactions if i["kind"] == "meeting" and last_week[0] <= moment(i["occurred_at"]) < last_week[1]
    ]
    for question in ("meetings last week", "how many meetings did we have last week?"):
        data = value(stack.ask.ask(question, tenant))
        assert data.get("total", data.get("value")) == len(meetings), question

    orgs = sql_rows(engine, "SELECT industry, location FROM organization WHERE tenant_id = :t", t=tenant)
    industry = Counter(o["industry"] for o in orgs if o["industry"]).most_common(1)[0][0]
    data = value(stack.ask.ask(f"how many companies are in {industry.lower()}?", tenant))
    assert data["value"] == sum(1 for o in orgs if o["industry"] == industry)
    city = Counter(o["location"] for o in orgs if o["location"]).most_common(1)[0][0]
    data = value(stack.ask.ask(f"which companies are in {city.split(',')[0]}", tenant))
    assert data["total"] == sum(1 for o in orgs if o["location"] == city)

    accounts = sql_rows(engine, "SELECT tier FROM account WHERE tenant_id = :t", t=tenant)
    data = value(stack.ask.ask("accounts by tier", tenant))
    assert {g["key"]["tier"]: g["value"] for g in data["groups"]} == dict(Counter(a["tier"] for a in accounts))


def test_interpretation_restates_the_query(crm, stack):
    _, _, tenants = crm
    answer = stack.ask.ask("how many open opps are above 50k", tenants[0])
    assert answer.interpretation == "Counting opportunities with status category open and amount > 50,000.00"
    assert answer.query["entity"] == "deal" and answer.cypher and "$tenant_id" in answer.cypher


def test_a_follow_up_refines_the_previous_query(crm, stack):
    engine, _, tenants = crm
    tenant = tenants[0]
    rows = [r for r in deals(engine, tenant) if r["category"] == "open"]
    first = stack.ask.ask("how many open deals do we have?", tenant, conversation_id="refine-1")
    assert value(first)["value"] == len(rows)
    answer = stack.ask.ask("and how many of those are over 50k?", tenant, conversation_id="refine-1")
    assert value(answer)["value"] == sum(1 for r in rows if r["amount"] is not None and r["amount"] > 50000)
    assert "status category open" in answer.interpretation


@pytest.mark.parametrize(
    "question",
    [
        "",
        "   ",
        "?!?...",
        "x" * 10_000,
        "deals' OR 1=1 --",
        "MATCH (n) DETACH DELETE n",
        "how many deals by zodiac sign",
    ],
)
def test_bad_questions_get_a_plain_answer_never_an_error(crm, stack, question):
    _, gateway, tenants = crm
    before = gateway.read("count", "MATCH (n) RETURN count(n) AS n")[0]["n"]
    answer = stack.ask.ask(question, tenants[0])
    assert answer.answer
    assert gateway.read("count", "MATCH (n) RETURN count(n) AS n")[0]["n"] == before
    if answer.method == "semantic_layer" and question.strip(" ?!.") and "x" * 50 not in question:
        assert answer.unapplied  # never a looser question answered silently


def test_another_tenants_names_bring_nothing(crm, stack):
    engine, _, tenants = crm
    first, second = tenants
    their_org = sql_rows(engine, "SELECT name FROM organization WHERE tenant_id = :t LIMIT 1", t=second)[0]["name"]
    answer = stack.ask.ask(f"deals with {their_org}", first)
    theirs = {r["id"] for r in deals(engine, second)}
    rows = answer.data.get("rows", []) if isinstance(answer.data, dict) else []
    assert not theirs & {r.get("id") for r in rows}


def _scripted_stack(crm, replies):
    _, gateway, _ = crm
    return build_stack(gateway, embed=None, clock=lambda: NOW, chat_model=ScriptedChatModel(replies))


def test_scripted_llm_fills_the_structured_query(crm):
    engine, _, tenants = crm
    reply = json.dumps(
        {
            "entity": "deal",
            "filters": [{"field": "status", "op": "=", "value": "negotiation"}],
            "measure": {"agg": "count"},
        }
    )
    stack = _scripted_stack(crm, [reply])
    answer = stack.ask.ask("deals whose stage smells like haggling", tenants[0])
    assert answer.method == "semantic_layer"
    assert answer.data["value"] == sum(1 for r in deals(engine, tenants[0]) if r["status"] == "Negotiation")


@pytest.mark.parametrize(
    "reply",
    [
        json.dumps(
            {"entity": "deal", "filters": [{"field": "zodiac", "op": "=", "value": "leo"}], "measure": {"agg": "count"}}
        ),
        json.dumps({"entity": "deal", "filters": [{"field": "amount", "op": ">", "value": "lots"}]}),
        json.dumps({"entity": "deal", "measure": {"agg": "sum", "field": "status"}}),
        "MATCH (n) RETURN n",
        json.dumps({"entity": "spaceship"}),
    ],
)
def test_scripted_llm_unknown_fields_and_wrong_types_are_refused(crm, reply):
    _, _, tenants = crm
    stack = _scripted_stack(crm, [reply, "```cypher\nMATCH (o:Organization) RETURN count(o) AS n\n```"])
    answer = stack.ask.ask("deals whose stage smells like haggling", tenants[0])
    assert not (answer.method == "semantic_layer" and not answer.unapplied)


def test_scripted_llm_with_another_tenants_id_is_refused(crm):
    engine, _, tenants = crm
    their_owner = deals(engine, tenants[1])[0]["owner_id"]
    reply = json.dumps(
        {
            "entity": "deal",
            "filters": [{"field": "owner", "op": "=", "value": their_owner}],
            "measure": {"agg": "count"},
        }
    )
    stack = _scripted_stack(crm, [reply, "no query"])
    answer = stack.ask.ask("deals whose stage smells like haggling", tenants[0])
    assert not (answer.method == "semantic_layer" and not answer.unapplied)
