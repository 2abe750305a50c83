"""ask(): template answers are exact (every figure equals SQL over the relational CRM), and the
pipeline routes relationship questions, follow-ups and everything else, inside one tenant."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from kgcrm.crm.database import make_engine, upgrade
from kgcrm.crm.seed import seed_database
from kgcrm.crm.seed_generate import SeedConfig
from kgcrm.eval.connections import evaluate_connections
from kgcrm.eval.templates import evaluate_templates
from kgcrm.graph.gateway import GraphGateway
from kgcrm.graph.schema import apply_schema
from kgcrm.retrieval.periods import parse_period
from kgcrm.retrieval.stack import build_stack
from kgcrm.retrieval.templates import TemplateAnswerer, parse_intent
from kgcrm.retrieval.types import Candidate, Resolution
from kgcrm.sync.engine import GraphSync

pytestmark = pytest.mark.neo4j

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


class NoResolver:
    """Deal questions name no entity: resolving anything is a test failure."""

    def resolve(self, text, tenant_id, types=None, limit=5) -> Resolution:
        raise AssertionError(f"unexpected resolution of {text!r}")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory, neo4j_driver):
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('crm') / 'crm.sqlite3'}")
    upgrade(engine)
    report = seed_database(engine, SeedConfig(tenants=2, scale=2400, seed=7, now=NOW))
    gateway = GraphGateway(neo4j_driver)
    with neo4j_driver.session() as session:
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()
    apply_schema(gateway, dimensions=384)
    GraphSync(engine, gateway).full()
    yield engine, gateway, report.truth
    engine.dispose()


def tenants(truth) -> list[str]:
    return [t["id"] for t in truth["tenants"]]


def sql_deals(engine, tenant_id, *, categories=None, period=None, date_column="closed_at"):
    """Count and per-currency sums of opportunities, straight from SQL."""
    query = """
        SELECT o.amount, o.currency, o.closed_at, o.expected_close_on, l.created_at, s.category
        FROM lead l JOIN opportunity o ON o.id = l.id LEFT JOIN status s ON s.id = l.status_id
        WHERE l.tenant_id = :tenant
    """
    count, sums = 0, defaultdict(Decimal)
    with engine.connect() as conn:
        for amount, currency, closed_at, _expected, created_at, category in conn.execute(
            sa.text(query), {"tenant": tenant_id}
        ):
            if categories is not None and category not in categories:
                continue
            if period is not None:
                value = {"closed_at": closed_at, "created_at": created_at}[date_column]
                if value is None:
                    continue
                moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
                if not period.contains(moment):
                    continue
            count += 1
            if amount is not None:
                sums[currency] += Decimal(str(amount))
    return count, {c: str(v.quantize(Decimal("0.01"))) for c, v in sorted(sums.items()) if v}


@pytest.mark.parametrize(
    ("question", "categories", "period_text"),
    [
        ("How many opportunities did we win this quarter?", {"won"}, "this quarter"),
        ("How many deals did we close last quarter?", {"won"}, "last quarter"),
        ("How many deals did we lose in 2025?", {"lost"}, "in 2025"),
        ("What is the total value of all deals?", None, None),
    ],
)
def test_deal_counts_and_sums_equal_sql(seeded, question, categories, period_text):
    engine, gateway, truth = seeded
    answerer = TemplateAnswerer(gateway, NoResolver(), clock=lambda: NOW)
    period = parse_period(period_text, NOW) if period_text else None

    for tenant_id in tenants(truth):
        answer = answerer.answer(question, tenant_id)

        expected_count, expected_sums = sql_deals(engine, tenant_id, categories=categories, period=period)
        assert answer is not None and answer.method == "template"
        assert (answer.data["count"], answer.data["amount"]) == (expected_count, expected_sums), question
        assert answer.cypher and "$tenant" in answer.cypher


def test_deals_by_stage_equal_the_seed_truth(seeded):
    _, gateway, truth = seeded
    answerer = TemplateAnswerer(gateway, NoResolver(), clock=lambda: NOW)

    for tenant in truth["tenants"]:
        answer = answerer.answer("How many deals by stage?", tenant["id"])

        got = {g["stage"]: {"count": g["count"], "amount": g["amount"]} for g in answer.data["groups"]}
        expected = {stage: v for stage, v in tenant["deals"]["by_stage"].items() if v["count"]}
        assert got == expected


def test_pipeline_by_stage_lists_only_open_stages(seeded):
    engine, gateway, truth = seeded
    answerer = TemplateAnswerer(gateway, NoResolver(), clock=lambda: NOW)
    tenant_id = tenants(truth)[0]

    answer = answerer.answer("Show me the pipeline by stage", tenant_id)

    count, sums = sql_deals(engine, tenant_id, categories={"open", "active"})
    assert (answer.data["count"], answer.data["amount"]) == (count, sums)
    assert answer.data["groups"] and all(g["count"] > 0 for g in answer.data["groups"])


def test_answers_carry_their_source_rows(seeded):
    _, gateway, truth = seeded
    answerer = TemplateAnswerer(gateway, NoResolver(), clock=lambda: NOW)

    answer = answerer.answer("How many deals did we win in 2026?", tenants(truth)[0])

    assert answer.sources and {s.table for s in answer.sources} == {"lead"}
    assert all(s.updated_at for s in answer.sources)


def test_each_tenant_sees_only_its_own_deals(seeded):
    engine, gateway, truth = seeded
    answerer = TemplateAnswerer(gateway, NoResolver(), clock=lambda: NOW)
    first, second = tenants(truth)

    counts = {t: answerer.answer("How many deals in total?", t).data["count"] for t in (first, second)}

    assert counts[first] == sql_deals(engine, first)[0]
    assert counts[second] == sql_deals(engine, second)[0]
    assert answerer.answer("How many deals in total?", "no-such-tenant").data["count"] == 0


@pytest.mark.parametrize(
    ("question", "intent", "mention"),
    [
        ("Open tasks for Ann Lee?", "open_tasks", "Ann Lee"),
        ("When did we last talk to Priya Patel?", "last_interaction", "Priya Patel"),
        ("Last interaction with Acme Corp", "last_interaction", "Acme Corp"),
        ("Who are our contacts at Northwind?", "contacts_at", "Northwind"),
        ("Notes about Globex", "notes_about", "Globex"),
    ],
)
def test_entity_questions_are_parsed_with_their_mention(question, intent, mention):
    parsed = parse_intent(question, NOW)

    assert parsed is not None and (parsed.name, parsed.mention) == (intent, mention)


@pytest.mark.parametrize("question", ["Hello there", "Who connects us to Acme?", "Summarise the Acme relationship"])
def test_questions_without_a_template_are_left_to_other_retrievers(question):
    assert parse_intent(question, NOW) is None


def test_candidate_type_is_reused_from_types():
    assert Candidate(id="x", type="Person", name="A", score=1.0).type == "Person"


# --- the whole pipeline ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stack(seeded):
    _, gateway, _ = seeded
    return build_stack(gateway, embed=None, clock=lambda: NOW)


def _ids_in(answer) -> set[str]:
    return {s.id for s in answer.sources} | ({answer.focus.id} if answer.focus else set())


def _tenant_entity_ids(gateway, tenant_id) -> set[str]:
    rows = gateway.read("ids", "MATCH (n:__Entity__ {tenant_id: $t}) RETURN n.id AS id", {"t": tenant_id})
    return {r["id"] for r in rows}


def test_pipeline_answers_deal_questions_with_templates(stack, seeded):
    _, _, truth = seeded

    answer = stack.ask.ask("How many deals did we win this quarter?", tenants(truth)[0])

    assert answer.method == "template"


def test_pipeline_finds_the_planted_warm_path(stack, seeded):
    _, _, truth = seeded
    tenant = truth["tenants"][0]
    planted = tenant["warm_paths"][0]

    answer = stack.ask.ask(f"Who connects us to {planted['target']['name']}?", tenant["id"])

    assert answer.method == "connections"
    assert answer.focus is not None and answer.focus.id == planted["target"]["id"]
    assert [n["id"] for n in answer.data["paths"][0]["nodes"]][-1] == planted["target"]["id"]


def test_follow_up_question_resolves_that_company_from_the_conversation(stack, seeded):
    _, _, truth = seeded
    tenant = truth["tenants"][0]
    org = tenant["warm_paths"][0]["target_organization"]

    first = stack.ask.ask(f"Who are our contacts at {org['name']}?", tenant["id"], conversation_id="c1")
    follow_up = stack.ask.ask("And who at that company do we know?", tenant["id"], conversation_id="c1")

    assert first.focus is not None and first.focus.id == org["id"]
    assert follow_up.method == "connections"
    assert follow_up.focus is not None and follow_up.focus.id == org["id"]


def test_conversations_are_kept_per_tenant(stack, seeded):
    _, _, truth = seeded
    first, second = truth["tenants"][0], truth["tenants"][1]
    org = first["warm_paths"][0]["target_organization"]
    stack.ask.ask(f"Who are our contacts at {org['name']}?", first["id"], conversation_id="shared-id")

    answer = stack.ask.ask("And who at that company do we know?", second["id"], conversation_id="shared-id")

    assert org["id"] not in _ids_in(answer)


def test_questions_without_a_template_fall_back_to_search_inside_the_tenant(stack, seeded):
    _, gateway, truth = seeded
    tenant_id = tenants(truth)[0]

    answer = stack.ask.ask("Summarise what we discussed about renewal pricing", tenant_id)

    assert answer.method == "semantic"
    assert _ids_in(answer) <= _tenant_entity_ids(gateway, tenant_id)


def test_a_name_from_the_other_tenant_never_brings_its_data(stack, seeded):
    _, gateway, truth = seeded
    first, second = tenants(truth)
    theirs = _tenant_entity_ids(gateway, second)
    names = gateway.read("names", "MATCH (o:Organization {tenant_id: $t}) RETURN o.name AS name LIMIT 5", {"t": second})

    for row in names:
        for question in (f"Who connects us to {row['name']}?", f"Notes about {row['name']}", row["name"]):
            assert not (_ids_in(stack.ask.ask(question, first)) & theirs), question


# --- the evaluations, CI-sized (kgcrm eval runs them in full) -----------------------------------


def test_eval_templates_are_all_exact(seeded):
    _, gateway, truth = seeded

    figures = evaluate_templates(gateway, truth)

    assert figures.asked > 10 and figures.accuracy == 1.0, figures.misses


def test_eval_planted_warm_paths_are_in_the_top_three(seeded):
    _, gateway, truth = seeded

    figures = evaluate_connections(gateway, truth)

    assert figures.top3 >= 0.95 and figures.org_top3 >= 0.95, figures.summary()
