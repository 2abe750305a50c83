"""Value linking against a real graph: a CRM written with plain SQL whose stages, industries, tiers, currencies and
people the seed generator never uses, mirrored by the real sync; one tenant's values never link for another."""

from __future__ import annotations

import itertools
import time

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kgcrm.crm.database import make_engine, upgrade
from kgcrm.graph.gateway import GraphGateway
from kgcrm.graph.schema import apply_schema
from kgcrm.retrieval.cache import GraphVersion
from kgcrm.retrieval.semantic_layer.values import ValueIndex, ValueIndexCache, fold
from kgcrm.sync.engine import GraphSync
from tests.support.crm_fixtures import Rows

pytestmark = pytest.mark.neo4j

# What the tenant's rows hold, per dimension, straight from SQL (never through the graph or the index).
TRUTH_SQL = {
    "status": "SELECT name FROM status WHERE tenant_id = :t",
    "status_category": "SELECT category FROM status WHERE tenant_id = :t",
    "industry": "SELECT industry FROM organization WHERE tenant_id = :t",
    "location": "SELECT location FROM organization WHERE tenant_id = :t UNION SELECT location FROM individual "
    "WHERE tenant_id = :t UNION SELECT location FROM job WHERE tenant_id = :t",
    "tier": "SELECT tier FROM account WHERE tenant_id = :t",
    "currency": "SELECT currency FROM opportunity WHERE tenant_id = :t "
    "UNION SELECT currency FROM job WHERE tenant_id = :t",
    "source": "SELECT source FROM lead WHERE tenant_id = :t UNION SELECT source FROM interaction WHERE tenant_id = :t",
    "kind": "SELECT kind FROM interaction WHERE tenant_id = :t "
    "UNION SELECT kind FROM relationship WHERE tenant_id = :t",
    "employment_type": "SELECT employment_type FROM job WHERE tenant_id = :t",
    "partnership_type": "SELECT partnership_type FROM partnership WHERE tenant_id = :t",
    "user": "SELECT id FROM app_user WHERE tenant_id = :t",
}


def _harbor(rows: Rows) -> dict[str, str]:
    """Tenant A: a shipping broker with its own words for everything."""
    t = rows.tenant()
    ids = {"tenant": t}

    def status(entity_type: str, name: str, category: str, position: int) -> str:
        return rows.insert(
            "status",
            tenant_id=t,
            entity_type=entity_type,
            name=name,
            category=category,
            position=position,
            is_terminal=category in ("won", "lost", "done"),
        )

    ids["scoping"] = status("opportunity", "Scoping", "open", 1)
    ids["redlines"] = status("opportunity", "Redlines", "open", 2)
    ids["signed"] = status("opportunity", "Signed & Sealed", "won", 3)
    ids["walked"] = status("opportunity", "Walked Away", "lost", 4)
    ids["parked"] = status("task", "Parked", "open", 1)
    ids["wrapped"] = status("task", "Wrapped", "done", 2)
    ids["dormant"] = status("account", "Dormant", "inactive", 1)
    ids["ingrid_s"] = rows.insert("app_user", tenant_id=t, email="is@harbor.no", full_name="Ingrid Solberg")
    ids["ingrid_b"] = rows.insert("app_user", tenant_id=t, email="ib@harbor.no", full_name="Ingrid Berg")
    ids["tomasz"] = rows.insert("app_user", tenant_id=t, email="tn@harbor.no", full_name="Tomasz Nowak")
    ids["fjord"] = rows.insert(
        "organization", tenant_id=t, name="Fjordline", industry="Maritime Logistics", location="Tromsø, Norway"
    )
    ids["vet"] = rows.insert(
        "organization", tenant_id=t, name="Pawsitive", industry="Veterinary Clinics", location="Austin, TX"
    )
    ids["kari"] = rows.insert("individual", tenant_id=t, first_name="Kari", last_name="Lund", location="Bergen, Norway")
    ids["olav"] = rows.insert("individual", tenant_id=t, first_name="Olav", last_name="Dahl")
    rows.insert(
        "account",
        tenant_id=t,
        organization_id=ids["fjord"],
        name="Fjordline",
        tier="Harbor Pilot",
        status_id=ids["dormant"],
    )
    rows.insert("account", tenant_id=t, organization_id=ids["vet"], name="Pawsitive", tier="Keel")
    for title, status_id, currency, amount in (
        ("Fjordline fleet", ids["redlines"], "NOK", 900000),
        ("Pawsitive clinics", ids["signed"], "CHF", 120000),
        ("Fjordline ferries", ids["walked"], "NOK", 50000),
    ):
        lead = rows.insert(
            "lead",
            tenant_id=t,
            lead_type="opportunity",
            title=title,
            status_id=status_id,
            organization_id=ids["fjord"],
            owner_id=ids["tomasz"],
            source="Trade Fair",
        )
        rows.insert("opportunity", id=lead, tenant_id=t, amount=amount, currency=currency, probability=40)
    job = rows.insert("lead", tenant_id=t, lead_type="job", title="Deckhand", source="Word of Mouth")
    rows.insert(
        "job",
        id=job,
        tenant_id=t,
        role_title="Deckhand",
        location="Stavanger, Norway",
        employment_type="Seasonal",
        salary_min=400000,
        salary_max=500000,
        currency="SEK",
    )
    partnership = rows.insert("lead", tenant_id=t, lead_type="partnership", title="Co-op with Pawsitive")
    rows.insert("partnership", id=partnership, tenant_id=t, partnership_type="Co-marketing")
    rows.insert("task", tenant_id=t, title="Send redlines", assignee_id=ids["ingrid_s"], status_id=ids["parked"])
    call = rows.insert(
        "interaction",
        tenant_id=t,
        kind="meeting",
        subject="Fleet review",
        occurred_at="2026-11-02T10:00:00Z",
        source="calendar",
    )
    rows.insert("interaction_participant", tenant_id=t, interaction_id=call, individual_id=ids["kari"], role="to")
    rows.insert(
        "relationship", tenant_id=t, from_individual_id=ids["kari"], to_individual_id=ids["olav"], kind="advisor"
    )
    return ids


def _orbit(rows: Rows) -> dict[str, str]:
    """Tenant B: other values that must never show up for tenant A."""
    t = rows.tenant()
    ids = {"tenant": t}
    ids["orbit"] = rows.insert(
        "status",
        tenant_id=t,
        entity_type="opportunity",
        name="Orbit Check",
        category="open",
        position=1,
        is_terminal=False,
    )
    ids["zoltan"] = rows.insert("app_user", tenant_id=t, email="zk@orbit.io", full_name="Zoltan Kiss")
    org = rows.insert(
        "organization", tenant_id=t, name="Regolith Co", industry="Space Mining", location="Reykjavik, Iceland"
    )
    rows.insert("account", tenant_id=t, organization_id=org, name="Regolith", tier="Asteroid Belt")
    lead = rows.insert(
        "lead",
        tenant_id=t,
        lead_type="opportunity",
        title="Regolith drill",
        status_id=ids["orbit"],
        organization_id=org,
        owner_id=ids["zoltan"],
        source="Cold Outreach",
    )
    rows.insert("opportunity", id=lead, tenant_id=t, amount=7000000, currency="JPY")
    return ids


@pytest.fixture(scope="module")
def crm(tmp_path_factory, neo4j_driver):
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('values') / 'crm.sqlite3'}")
    upgrade(engine)
    rows = Rows(engine)
    harbor, orbit = _harbor(rows), _orbit(rows)
    gateway = GraphGateway(neo4j_driver)
    with neo4j_driver.session() as session:
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()
    apply_schema(gateway, dimensions=384)
    GraphSync(engine, gateway).full()
    yield engine, rows, gateway, harbor, orbit
    engine.dispose()


def truth(engine, tenant_id: str, dimension: str) -> set[str]:
    with engine.connect() as conn:
        return {str(v) for (v,) in conn.execute(sa.text(TRUTH_SQL[dimension]), {"t": tenant_id}) if v is not None}


def linked(index: ValueIndex, text: str) -> list[tuple[str, str, str]]:
    return [(text[m.span[0] : m.span[1]], m.dimension, m.value) for m in index.link(text)]


def test_every_value_kind_is_read_from_the_graph_as_sql_has_it(crm):
    engine, _, gateway, harbor, orbit = crm
    for tenant_id in (harbor["tenant"], orbit["tenant"]):
        index = ValueIndex.load(gateway, tenant_id)
        for dimension in TRUTH_SQL:
            assert {m.value for m in index.values(dimension)} == truth(engine, tenant_id, dimension), dimension


def test_status_entity_types_and_user_display(crm):
    _, _, gateway, harbor, _ = crm
    index = ValueIndex.load(gateway, harbor["tenant"])
    (parked,) = [m for m in index.values("status") if m.value == "Parked"]
    assert parked.entity_types == ("task",)
    assert {m.value: m.entity_types for m in index.values("status_category")}["open"] == ("opportunity", "task")
    assert {m.value: m.display for m in index.values("user")}[harbor["tomasz"]] == "Tomasz Nowak"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("how many deals are in Redlines", [("Redlines", "status", "Redlines")]),
        ("signed & sealed deals this year", [("signed & sealed", "status", "Signed & Sealed")]),
        ("walked-away opps", [("walked-away", "status", "Walked Away")]),
        ("companies in maritime logistics", [("maritime logistics", "industry", "Maritime Logistics")]),
        ("which companies are in tromso", [("tromso", "location", "Tromsø, Norway")]),
        ("orgs in Austin, TX", [("Austin, TX", "location", "Austin, TX")]),
        ("vets in austin", [("austin", "location", "Austin, TX")]),
        ("harbor pilot accounts", [("harbor pilot", "tier", "Harbor Pilot")]),
        ("deals in NOK", [("NOK", "currency", "NOK")]),
        ("Seasonal jobs", [("Seasonal", "employment_type", "Seasonal")]),
        ("co-marketing partnerships", [("co-marketing", "partnership_type", "Co-marketing")]),
        ("leads from trade fair", [("trade fair", "source", "Trade Fair")]),
        ("meetings last week", [("meetings", "kind", "meeting")]),
        ("advisors of Kari", [("advisors", "kind", "advisor")]),
        ("dormant accounts", [("dormant", "status", "Dormant")]),
        ("open tasks", [("open", "status_category", "open")]),
        ("deals in redlnes", [("redlnes", "status", "Redlines")]),
        ("maritme logistics firms", [("maritme logistics", "industry", "Maritime Logistics")]),
    ],
)
def test_link_values_in_questions(crm, question, expected):
    _, _, gateway, harbor, _ = crm
    index = ValueIndex.load(gateway, harbor["tenant"])
    assert linked(index, question) == expected


def test_team_members_by_full_or_first_name(crm):
    _, _, gateway, harbor, _ = crm
    index = ValueIndex.load(gateway, harbor["tenant"])

    assert linked(index, "deals owned by tomasz nowak") == [("tomasz nowak", "user", harbor["tomasz"])]
    assert linked(index, "what is on Tomasz's plate") == [("Tomasz", "user", harbor["tomasz"])]
    (ingrid,) = index.link("Ingrid's open tasks", dimensions=["user"])
    assert {ingrid.value, *(a.value for a in ingrid.alternatives)} == {harbor["ingrid_s"], harbor["ingrid_b"]}
    assert ingrid.score < 1
    (solberg,) = index.link("tasks for Ingrid Solberg", dimensions=["user"])
    assert (solberg.value, solberg.score, solberg.alternatives) == (harbor["ingrid_s"], 1.0, ())


def test_matches_do_not_overlap_and_come_best_first(crm):
    _, _, gateway, harbor, _ = crm
    index = ValueIndex.load(gateway, harbor["tenant"])
    text = "Tomasz's deals in redlnes with maritime logistics companies in Austin, TX in NOK"
    found = index.link(text)
    spans = sorted(m.span for m in found)
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))
    assert [m.score for m in found] == sorted((m.score for m in found), reverse=True)
    assert {m.value for m in found} == {harbor["tomasz"], "Redlines", "Maritime Logistics", "Austin, TX", "NOK"}


def test_exclude_spans_and_dimensions(crm):
    _, _, gateway, harbor, _ = crm
    index = ValueIndex.load(gateway, harbor["tenant"])
    text = "open deals in NOK"
    assert [m.value for m in index.link(text, dimensions=["currency"])] == ["NOK"]
    assert [m.value for m in index.link(text, exclude_spans=[(0, 4)])] == ["NOK"]


def test_one_tenants_values_never_link_for_another(crm):
    engine, _, gateway, harbor, orbit = crm
    a, b = ValueIndex.load(gateway, harbor["tenant"]), ValueIndex.load(gateway, orbit["tenant"])
    theirs = (
        "Orbit Check deals of Zoltan Kiss in space mining companies in Reykjavik, asteroid belt accounts, JPY, "
        "cold outreach"
    )
    mine = (
        "Redlines deals of Tomasz Nowak in maritime logistics companies in Tromso, harbor pilot accounts, NOK, "
        "trade fair"
    )

    assert a.link(theirs) == []
    assert b.link(mine) == []
    everything_a = set().union(*(truth(engine, harbor["tenant"], d) for d in TRUTH_SQL))
    assert {m.value for m in a.link(mine + " " + theirs)} <= everything_a
    assert len(ValueIndex.load(gateway, "no-such-tenant")) == 0


def test_the_cache_reloads_a_tenant_when_the_sync_checkpoint_moves(crm):
    engine, rows, gateway, harbor, orbit = crm
    cache = ValueIndexCache(gateway, GraphVersion(gateway, check_every_s=0), max_tenants=8)

    first = cache.get(harbor["tenant"])
    assert cache.get(harbor["tenant"]) is first and cache.loads == 1
    assert linked(first, "deals in Lighthouse Review") == []

    rows.insert(
        "status",
        tenant_id=harbor["tenant"],
        entity_type="opportunity",
        name="Lighthouse Review",
        category="open",
        position=9,
        is_terminal=False,
    )
    GraphSync(engine, gateway).incremental()

    again = cache.get(harbor["tenant"])
    assert again is not first and cache.loads == 2
    assert linked(again, "deals in Lighthouse Review") == [("Lighthouse Review", "status", "Lighthouse Review")]
    assert linked(cache.get(orbit["tenant"]), "deals in Lighthouse Review") == []


def test_the_cache_is_bounded(crm):
    _, _, gateway, harbor, orbit = crm
    cache = ValueIndexCache(gateway, GraphVersion(gateway, check_every_s=60), max_tenants=1)
    cache.get(harbor["tenant"])
    cache.get(orbit["tenant"])
    cache.get(harbor["tenant"])
    assert cache.loads == 3


def test_fold():
    assert fold("São") == "sao" and fold("TROMSØ") == "tromso" and fold("Straße") == "strasse"


def test_linking_without_a_graph_from_rows():
    index = ValueIndex(
        "t",
        statuses=[{"entity_type": "opportunity", "name": "Will Sign", "category": "open"}],
        users=[{"id": "u1", "full_name": "Will Ames"}, {"id": "u2", "full_name": "Mark"}],
        properties=[{"dimension": "industry", "entity_type": "organization", "value": "Other"}],
    )
    assert linked(index, "deals that will close") == []  # an everyday word is a first name only when capitalised
    assert linked(index, "show Will's deals") == [("Will", "user", "u1")]
    assert linked(index, "Will you show the deals? Will's first") == []  # where a sentence starts: not a name
    assert linked(index, "deals that will sign") == [("will sign", "status", "Will Sign")]
    assert linked(index, "other companies") == [("other", "industry", "Other")]
    assert index.link("") == [] and index.link("?!" * 5000) == []


_FUZZ_INDEX = ValueIndex(
    "t",
    statuses=[{"entity_type": "opportunity", "name": n, "category": "open"} for n in ("Negotiation", "Closed Won")],
    properties=[
        {"dimension": "location", "entity_type": "organization", "value": "Austin, TX"},
        {"dimension": "industry", "entity_type": "organization", "value": "Financial Services"},
    ],
    users=[{"id": "u1", "full_name": "Dana Lee"}],
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.one_of(st.text(max_size=10_000), st.text(min_size=9_000, max_size=10_000)))
def test_fuzz_link_terminates_fast_and_never_raises(text):
    started = time.perf_counter()
    for match in _FUZZ_INDEX.link(text):
        assert 0 <= match.span[0] < match.span[1] <= len(text)
    assert time.perf_counter() - started < 2.0


def test_a_near_value_of_another_entity_type_is_an_alternative():
    index = ValueIndex(
        "t",
        statuses=[
            {"entity_type": "opportunity", "name": "Negotiation", "category": "open"},
            {"entity_type": "partnership", "name": "Negotiating", "category": "open"},
        ],
    )
    (match,) = index.link("deals negotiating")
    assert (match.value, match.entity_types, match.score) == ("Negotiating", ("partnership",), 1.0)
    assert [(a.value, a.entity_types) for a in match.alternatives] == [("Negotiation", ("opportunity",))]
    assert 0.85 < match.alternatives[0].score < 1


def test_a_busy_crm_reloads_at_most_every_refresh_interval(crm):
    engine, rows, gateway, harbor, _ = crm
    clock = [0.0]
    cache = ValueIndexCache(gateway, GraphVersion(gateway, check_every_s=0), refresh_every_s=10, clock=lambda: clock[0])
    first = cache.get(harbor["tenant"])
    rows.insert(
        "status",
        tenant_id=harbor["tenant"],
        entity_type="task",
        name="Snoozed",
        category="open",
        position=7,
        is_terminal=False,
    )
    GraphSync(engine, gateway).incremental()

    clock[0] = 5.0
    assert cache.get(harbor["tenant"]) is first  # the checkpoint moved, but within 10 s: the same index
    clock[0] = 10.0
    assert linked(cache.get(harbor["tenant"]), "Snoozed tasks") == [("Snoozed", "status", "Snoozed")]
    assert cache.loads == 2
