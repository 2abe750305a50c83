"""Suggestions (issue 14) on a CRM written with plain SQL and mirrored by the sync: each planted
situation is found, the expected rows are computed with SQL on the CRM, a dismissed suggestion stays
away until its evidence changes, and nothing of another tenant leaks."""

from __future__ import annotations

from typing import Any

import pytest

from kgcrm.core.errors import DataError, NotFoundError
from kgcrm.graph.gateway import GraphGateway
from kgcrm.graph.schema import apply_schema
from kgcrm.retrieval.connections import ConnectionFinder
from kgcrm.retrieval.dedupe import DuplicateFinder, DuplicatePair
from kgcrm.retrieval.suggestions import (
    COOLING,
    DEAL_AT_RISK,
    DUPLICATE,
    FOLLOW_UP,
    UNOWNED,
    WARM_INTRO,
    SuggestionEngine,
    evidence_hash,
)
from kgcrm.sync.engine import GraphSync
from tests.retrieval.feedback_world import NOW, Planted, plant
from tests.support.crm_fixtures import Rows

pytestmark = pytest.mark.neo4j


@pytest.fixture
def gateway(neo4j_driver, clean_graph) -> GraphGateway:
    gateway = GraphGateway(neo4j_driver)
    apply_schema(gateway, dimensions=384)
    return gateway


@pytest.fixture
def world(engine, gateway) -> tuple[Planted, Planted, GraphSync]:
    rows = Rows(engine)
    a, b = plant(rows, "fa"), plant(rows, "fb")
    sync = GraphSync(engine, gateway)
    sync.full()
    return a, b, sync


def suggester(gateway: GraphGateway) -> SuggestionEngine:
    finder = ConnectionFinder(gateway, clock=lambda: NOW)
    return SuggestionEngine(gateway, paths=finder, clock=lambda: NOW)


def by_kind(result: Any) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for s in result.suggestions:
        out.setdefault(s.kind, set()).add(s.key.split(":", 1)[1])
    return out


def _sql_set(rows: Rows, sql: str, **params: Any) -> set[str]:
    with rows.engine.connect() as connection:
        import sqlalchemy as sa

        return {r[0] for r in connection.execute(sa.text(sql), params)}


def test_every_planted_kind_is_found_and_matches_sql(engine, gateway, world):
    a, b, _ = world
    rows = Rows(engine)
    low, high = sorted([a["bob"], a["bob2"]])
    DuplicateFinder(gateway).write(a.tenant, [DuplicatePair("Person", low, None, high, None, 0.9, 3.0, ("same name",))])

    result = suggester(gateway).suggest(a.tenant, limit=100)

    found = by_kind(result)
    today = NOW.date().isoformat()
    overdue_deals = _sql_set(
        rows,
        "SELECT l.id FROM lead l JOIN opportunity o ON o.id = l.id JOIN status s ON s.id = l.status_id"
        " WHERE l.tenant_id = :t AND s.category = 'open' AND o.closed_at IS NULL AND o.expected_close_on < :today",
        t=a.tenant,
        today=today,
    )
    unowned = _sql_set(
        rows,
        "SELECT l.id FROM lead l JOIN opportunity o ON o.id = l.id JOIN status s ON s.id = l.status_id"
        " WHERE l.tenant_id = :t AND s.category = 'open' AND o.closed_at IS NULL AND l.owner_id IS NULL",
        t=a.tenant,
    )
    overdue_tasks = _sql_set(
        rows,
        "SELECT id FROM task WHERE tenant_id = :t AND completed_at IS NULL AND due_at < :now",
        t=a.tenant,
        now=NOW.isoformat(),
    )
    assert overdue_deals == {a["d_acme"]} and overdue_deals <= found[DEAL_AT_RISK]
    assert found[DEAL_AT_RISK] == {a["d_acme"], a["d_initech"]}  # Initech: nobody there was ever contacted
    assert found[UNOWNED] == unowned == {a["d_globex"]}
    assert found[FOLLOW_UP] == overdue_tasks | {a["m_bob"]}  # the Carol meeting has a note after it
    assert found[COOLING] == {f"{a['u_mia']}|{a['carol']}"}
    assert found[WARM_INTRO] == {a["initech"]}
    assert found[DUPLICATE] == {"|".join(sorted([a["bob"], a["bob2"]]))}
    b_ids = set(b.ids.values())
    for s in result.suggestions:
        assert not {e.id for e in s.entities} & b_ids
        assert not {e.id for e in s.evidence} & b_ids
        assert s.reason.endswith(".") and s.evidence and 0.0 <= s.score <= 1.0


def test_warm_intro_comes_with_its_path(gateway, world):
    a, _, _ = world

    result = suggester(gateway).suggest(a.tenant, limit=10, kinds=[WARM_INTRO])

    [intro] = result.suggestions
    assert [n["id"] for n in intro.path["nodes"]] == [a["mia"], a["dave"], a["erin"], a["initech"]]
    assert "Dave" in intro.reason


def test_for_a_user_and_for_an_organization(gateway, world):
    a, _, _ = world
    engine = suggester(gateway)

    cole = by_kind(engine.suggest(a.tenant, for_id=a["u_cole"], limit=100))
    acme = by_kind(engine.suggest(a.tenant, for_id=a["acme"], limit=100))

    assert DEAL_AT_RISK not in cole and COOLING not in cole  # Cole owns no deal and has no ties
    assert cole[UNOWNED] == {a["d_globex"]}  # ... but nobody owning a deal concerns everyone
    assert acme[DEAL_AT_RISK] == {a["d_acme"]}
    assert acme[FOLLOW_UP] == {a["t_overdue"], a["m_bob"]}
    assert UNOWNED not in acme


def test_another_tenants_id_is_not_found(gateway, world):
    a, b, _ = world
    with pytest.raises(NotFoundError) as raised:
        suggester(gateway).suggest(a.tenant, for_id=b["acme"])
    assert raised.value.field == "for"
    with pytest.raises(NotFoundError):
        suggester(gateway).suggest(a.tenant, for_id=b["u_mia"])


def test_bad_limits_and_kinds_name_the_field(gateway, world):
    a, _, _ = world
    with pytest.raises(DataError) as raised:
        suggester(gateway).suggest(a.tenant, limit=0)
    assert raised.value.field == "limit"
    with pytest.raises(DataError) as raised:
        suggester(gateway).suggest(a.tenant, kinds=["nope"])
    assert raised.value.field == "kinds"


def test_a_dismissed_suggestion_stays_away_until_its_evidence_changes(engine, gateway, world):
    a, _, sync = world
    rows = Rows(engine)
    engine_ = suggester(gateway)
    [unowned] = engine_.suggest(a.tenant, kinds=[UNOWNED]).suggestions

    rows.insert(
        "feedback",
        tenant_id=a.tenant,
        kind="suggestion",
        decision="dismiss",
        suggestion_key=unowned.key,
        evidence_hash=unowned.evidence_hash,
        created_by=a["u_mia"],
    )
    sync.incremental()
    after = engine_.suggest(a.tenant, kinds=[UNOWNED])

    assert after.suggestions == [] and after.dismissed == 1

    rows.execute("UPDATE lead SET title = 'Globex expansion (phase 2)' WHERE id = :id", id=a["d_globex"])
    sync.incremental()
    [back] = engine_.suggest(a.tenant, kinds=[UNOWNED]).suggestions

    assert back.key == unowned.key and back.evidence_hash != unowned.evidence_hash


def test_evidence_hash_depends_on_every_row_and_not_on_order():
    from kgcrm.retrieval.suggestions import Evidence

    one = Evidence(table="lead", id="1", updated_at="2026-01-01T00:00:00+00:00")
    two = Evidence(table="task", id="2", updated_at=None)

    assert evidence_hash([one, two]) == evidence_hash([two, one])
    assert evidence_hash([one, two]) != evidence_hash([one.model_copy(update={"updated_at": "2026-01-02"}), two])
    assert evidence_hash([one]) != evidence_hash([one, two])
