"""The compiler: every everyday family answered exactly (equal to SQL over the relational CRM),
inside one tenant, with one parameterised query."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from kgcrm.retrieval.semantic_layer.answer import run_query
from kgcrm.retrieval.semantic_layer.compiler import compile_query
from kgcrm.retrieval.semantic_layer.query import Filter, Measure, Order, StructuredQuery, TimeFilter
from tests.retrieval.semantic_layer.conftest import NOW
from tests.retrieval.semantic_layer.truth import deals, moment, per_currency, sql_rows

pytestmark = pytest.mark.neo4j

Q4 = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
LAST_QUARTER = (datetime(2026, 7, 1, tzinfo=UTC), datetime(2026, 10, 1, tzinfo=UTC))


def q(entity: str, *filters: tuple, **kw) -> StructuredQuery:
    return StructuredQuery(entity=entity, filters=[Filter(field=f, op=o, value=v) for f, o, v in filters], **kw)


def count(entity: str, *filters: tuple, **kw) -> StructuredQuery:
    return q(entity, *filters, measure=Measure(agg="count"), **kw)


def money(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.01")))


def groups(answer) -> dict:
    return {
        tuple(g["key"].values()) + ((g["currency"],) if g["currency"] else ()): g["value"]
        for g in answer.data["groups"]
    }


def test_counts_by_status_category_amount_and_stage(crm):
    engine, gateway, tenants = crm
    for tenant in tenants:
        rows = deals(engine, tenant)
        cases = [
            (count("deal", ("status_category", "=", "open")), [r for r in rows if r["category"] == "open"]),
            (
                count("deal", ("status_category", "=", "open"), ("amount", ">", 50000)),
                [r for r in rows if r["category"] == "open" and r["amount"] is not None and r["amount"] > 50000],
            ),
            (count("deal", ("status", "=", "Negotiation")), [r for r in rows if r["status"] == "Negotiation"]),
            (
                count("deal", ("status", "!=", "Negotiation")),
                [r for r in rows if r["status"] not in (None, "Negotiation")],
            ),
            (
                count("deal", ("amount", "between", [10000, 75000])),
                [r for r in rows if r["amount"] is not None and 10000 <= r["amount"] <= 75000],
            ),
            (
                count("deal", ("status_category", "in", ["won", "lost"])),
                [r for r in rows if r["category"] in ("won", "lost")],
            ),
        ]
        for query, expected in cases:
            answer = run_query(gateway, query, tenant)
            assert answer.data == {"kind": "value", "value": len(expected), "currency": None}, answer.interpretation
            assert answer.method == "semantic_layer" and answer.unapplied == []


def test_sums_are_per_currency_and_exact_to_the_cent(crm):
    engine, gateway, tenants = crm
    for tenant in tenants:
        rows = deals(engine, tenant)
        won = [
            r
            for r in rows
            if r["category"] == "won" and r["closed_at"] and LAST_QUARTER[0] <= r["closed_at"] < LAST_QUARTER[1]
        ]
        query = q(
            "deal",
            ("status_category", "=", "won"),
            measure=Measure(agg="sum", field="amount"),
            time=[TimeFilter(field="closed_at", start=LAST_QUARTER[0], end=LAST_QUARTER[1], label="last quarter")],
        )
        answer = run_query(gateway, query, tenant)
        assert answer.data["kind"] == "groups"
        assert groups(answer) == {(c, c): money(v) for c, v in per_currency(won).items()}
        assert "per currency" in answer.interpretation

        open_usd = [r for r in rows if r["category"] == "open" and r["currency"] == "USD"]
        answer = run_query(
            gateway,
            q(
                "deal",
                ("status_category", "=", "open"),
                ("currency", "=", "USD"),
                measure=Measure(agg="sum", field="amount"),
            ),
            tenant,
        )
        assert answer.data == {"kind": "value", "value": money(sum(r["amount"] for r in open_usd)), "currency": "USD"}

        answer = run_query(
            gateway,
            q(
                "deal",
                ("status_category", "=", "open"),
                ("currency", "=", "USD"),
                measure=Measure(agg="avg", field="amount"),
            ),
            tenant,
        )
        amounts = [r["amount"] for r in open_usd if r["amount"] is not None]
        assert answer.data["value"] == money(sum(amounts) / len(amounts))

        answer = run_query(
            gateway, q("deal", ("status_category", "=", "open"), measure=Measure(agg="max", field="amount")), tenant
        )
        by_currency: dict[str, Decimal] = {}
        for r in rows:
            if r["category"] == "open" and r["amount"] is not None:
                by_currency[r["currency"]] = max(by_currency.get(r["currency"], r["amount"]), r["amount"])
        assert groups(answer) == {(c, c): money(v) for c, v in by_currency.items()}


def test_group_by_owner_and_stage_and_top_rep(crm):
    engine, gateway, tenants = crm
    for tenant in tenants:
        rows = deals(engine, tenant)
        by_owner = Counter(r["owner_id"] for r in rows if r["category"] == "open")
        answer = run_query(gateway, count("deal", ("status_category", "=", "open"), group_by=["owner"]), tenant)
        assert {g["key"]["owner"]: g["value"] for g in answer.data["groups"]} == dict(by_owner)
        assert all(g["names"]["owner"] for g in answer.data["groups"] if g["key"]["owner"])

        top = run_query(
            gateway,
            count("deal", ("status_category", "=", "open"), group_by=["owner"], order=[Order(by="measure")], limit=1),
            tenant,
        )
        assert top.data["total_groups"] == len(by_owner)
        assert top.data["groups"][0]["value"] == max(by_owner.values())

        by_stage = Counter(r["status"] for r in rows)
        answer = run_query(gateway, count("deal", group_by=["status"]), tenant)
        assert {g["key"]["status"]: g["value"] for g in answer.data["groups"]} == dict(by_stage)


def test_largest_open_deal_and_lists_with_totals(crm):
    engine, gateway, tenants = crm
    tenant = tenants[0]
    rows = [r for r in deals(engine, tenant) if r["category"] == "open"]
    answer = run_query(
        gateway, q("deal", ("status_category", "=", "open"), order=[Order(by="amount")], limit=3), tenant
    )
    assert answer.data["total"] == len(rows) and answer.data["shown"] == 3
    top = sorted((r["amount"] for r in rows if r["amount"] is not None), reverse=True)[:3]
    assert [Decimal(str(r["amount"])) for r in answer.data["rows"]] == top
    assert {s.id for s in answer.sources} == {r["id"] for r in answer.data["rows"]}

    closing = [r for r in rows if r["expected_close_on"] and Q4[0].date() <= r["expected_close_on"] < Q4[1].date()]
    window = TimeFilter(field="expected_close_on", start=Q4[0], end=Q4[1], label="this quarter")
    answer = run_query(gateway, q("deal", ("status_category", "=", "open"), time=[window]), tenant)
    assert answer.data["total"] == len(closing)


def test_tasks_open_overdue_and_assigned(crm):
    engine, gateway, tenants = crm
    for tenant in tenants:
        tasks = sql_rows(
            engine,
            """SELECT t.id, t.assignee_id, t.due_at, s.category FROM task t
                                    LEFT JOIN status s ON s.id = t.status_id WHERE t.tenant_id = :t""",
            t=tenant,
        )
        open_tasks = [t for t in tasks if t["category"] == "open"]
        overdue = [t for t in open_tasks if t["due_at"] and moment(t["due_at"]) < NOW]
        user = Counter(t["assignee_id"] for t in open_tasks if t["assignee_id"]).most_common(1)[0][0]
        mine = [t for t in open_tasks if t["assignee_id"] == user]
        answer = run_query(gateway, q("task", ("status_category", "=", "open"), ("due_at", "<", NOW)), tenant)
        assert answer.data["total"] == len(overdue)
        answer = run_query(gateway, q("task", ("status_category", "=", "open"), ("assignee", "=", user)), tenant)
        assert answer.data["total"] == len(mine)
        assert {r["assignee_id"] for r in answer.data["rows"]} == {user}


def test_interactions_in_a_window_by_kind_and_team_member(crm):
    engine, gateway, tenants = crm
    start, end = NOW - timedelta(days=30), NOW
    for tenant in tenants:
        rows = sql_rows(engine, "SELECT id, kind, occurred_at FROM interaction WHERE tenant_id = :t", t=tenant)
        window = [r for r in rows if r["occurred_at"] and start <= moment(r["occurred_at"]) < end]
        answer = run_query(
            gateway,
            count(
                "interaction",
                time=[TimeFilter(field="occurred_at", start=start, end=end, label="the last 30 days")],
                group_by=["kind"],
            ),
            tenant,
        )
        assert {g["key"]["kind"]: g["value"] for g in answer.data["groups"]} == dict(Counter(r["kind"] for r in window))

        members = sql_rows(
            engine,
            """SELECT u.id AS user_id, ip.interaction_id FROM app_user u
                                      JOIN interaction_participant ip ON ip.individual_id = u.individual_id
                                      WHERE u.tenant_id = :t""",
            t=tenant,
        )
        if not members:
            continue
        user = Counter(m["user_id"] for m in members).most_common(1)[0][0]
        theirs = {m["interaction_id"] for m in members if m["user_id"] == user}
        meetings = {r["id"] for r in rows if r["kind"] == "meeting"} & theirs
        answer = run_query(gateway, count("interaction", ("team_member", "=", user), ("kind", "=", "meeting")), tenant)
        assert answer.data["value"] == len(meetings)


def test_companies_by_industry_location_and_accounts_by_tier(crm):
    engine, gateway, tenants = crm
    for tenant in tenants:
        orgs = sql_rows(engine, "SELECT id, industry, location FROM organization WHERE tenant_id = :t", t=tenant)
        answer = run_query(gateway, count("organization", group_by=["industry"]), tenant)
        assert {g["key"]["industry"]: g["value"] for g in answer.data["groups"]} == dict(
            Counter(o["industry"] for o in orgs)
        )
        location = Counter(o["location"] for o in orgs if o["location"]).most_common(1)[0][0]
        answer = run_query(gateway, q("organization", ("location", "=", location)), tenant)
        assert answer.data["total"] == sum(1 for o in orgs if o["location"] == location)

        accounts = sql_rows(
            engine,
            """SELECT a.id, a.tier, s.name AS status FROM account a
                                       LEFT JOIN status s ON s.id = a.status_id WHERE a.tenant_id = :t""",
            t=tenant,
        )
        answer = run_query(gateway, count("account", group_by=["tier"]), tenant)
        assert {g["key"]["tier"]: g["value"] for g in answer.data["groups"]} == dict(
            Counter(a["tier"] for a in accounts)
        )
        answer = run_query(gateway, count("account", ("status", "=", "At risk")), tenant)
        assert answer.data["value"] == sum(1 for a in accounts if a["status"] == "At risk")


def test_every_node_is_bound_to_the_tenant_and_every_value_is_a_parameter():
    query = q(
        "interaction",
        ("kind", "=", "meeting' OR 1=1 //"),
        ("organization", "=", "org-1"),
        measure=Measure(agg="count"),
        group_by=["organization"],
    )
    compiled = compile_query(query, "tenant-a")
    import re

    nodes = re.findall(r"\((\w+):(\w+)( \{[^)]*\})?\)", compiled.cypher)
    assert nodes and all("tenant_id: $tenant_id" in (props or "") for _, _, props in nodes)
    assert "meeting" not in compiled.cypher and "org-1" not in compiled.cypher
    assert compiled.params["tenant_id"] == "tenant-a"


def test_another_tenant_sees_nothing(crm):
    engine, gateway, tenants = crm
    first, second = tenants
    theirs = {r["id"] for r in deals(engine, second)}
    answer = run_query(gateway, q("deal", limit=1000), first)
    assert answer.data["total"] == len(deals(engine, first))
    assert not theirs & {r["id"] for r in answer.data["rows"]}
    owner = deals(engine, second)[0]["owner_id"]
    assert run_query(gateway, count("deal", ("owner", "=", owner)), first).data["value"] == 0
    assert run_query(gateway, count("deal"), "no-such-tenant").data["value"] == 0


def test_a_filter_naming_one_node_starts_there_and_counts_the_same(crm):
    """owner = X / owner in [X, Y] anchor the MATCH at the named user (no scan of the tenant's deals):
    the counts still equal SQL's, a node reached by several paths counts once, and the rows are the same."""
    engine, gateway, tenants = crm
    for tenant in tenants:
        rows = deals(engine, tenant)
        owners = Counter(r["owner_id"] for r in rows if r["owner_id"])
        (first, n1), (second, _) = owners.most_common(2)
        one = compile_query(count("deal", ("owner", "=", first)), tenant)
        assert one.cypher.splitlines()[1].startswith("WHERE x.id = $") and "WITH DISTINCT n" in one.cypher
        assert run_query(gateway, count("deal", ("owner", "=", first)), tenant).data["value"] == n1
        both = count("deal", ("owner", "in", [first, second]), ("status_category", "=", "open"))
        expected = sum(1 for r in rows if r["owner_id"] in (first, second) and r["category"] == "open")
        assert run_query(gateway, both, tenant).data["value"] == expected
        listed = run_query(gateway, q("deal", ("owner", "=", first), limit=500), tenant)
        assert sorted(r["id"] for r in listed.data["rows"]) == sorted(r["id"] for r in rows if r["owner_id"] == first)
