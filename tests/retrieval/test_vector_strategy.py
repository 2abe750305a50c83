"""Tenant-filtered vector search (retrieval/vector_strategy.py): every strategy, the same tenant-only answers.

Real Neo4j with kgcrm's schema (the ``entity`` vector index, the ``entity_tenant`` range index).
The vectors are deterministic (numpy, fixed seed) and written directly onto the nodes — no model:
what is tested is the search, not the embedding. The expected answers are computed here with
numpy (cosine over the vectors written for the tenant), never through the code under test.

Tenants: ``small`` (150 entities), ``large`` (600) and ``rival``, whose entities are copies of
the query vectors themselves, so an unfiltered index search would answer every query with the
rival's entities first: a strategy that leaked another tenant would show it.

The in-index filter (``SEARCH … WHERE``, Cypher 25) needs Neo4j 2026.01+; on the tests' 5.26 it
is detected as unsupported, and only its selection is tested here (its equality test runs, and
is otherwise skipped, when the server supports it).

The tenant's own vector index (``tenant_index``, graph/tenant_vectors.py) is made by the
``tenant_indexes`` fixture the way ``kgcrm graph tenant-indexes`` makes it (labels backfilled,
then two indexes per tenant the policy wants, its own and its names index: here ``small`` and
``large``, never ``rival``), and dropped again after the tests that use it.
"""

from __future__ import annotations

import numpy as np
import pytest

from kgcrm.core.errors import SchemaError
from kgcrm.graph.gateway import GraphGateway
from kgcrm.graph.schema import apply_schema
from kgcrm.graph.tenant_vectors import (
    TenantIndexPolicy,
    drop_tenant_index,
    reconcile_tenant_indexes,
    tenant_index,
)
from kgcrm.retrieval.entities import EntityReader
from kgcrm.retrieval.semantic import SemanticSearch
from kgcrm.retrieval.vector_strategy import Strategy, TenantVectorSearch

pytestmark = pytest.mark.neo4j

DIMENSIONS = 384
LABELS = ("Person", "Organization", "Note")
SIZES = {"small": 30, "large": 480}  # random entities besides the graded ones
QUERIES = 8
GRADED = 15  # per query and tenant: 8 x 15 = 120


@pytest.fixture(scope="module")
def world(neo4j_driver):
    """The graph (written once for the module) and the vectors each tenant got."""
    with neo4j_driver.session() as session:
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 5000 ROWS").consume()
    gateway = GraphGateway(neo4j_driver)
    apply_schema(gateway, dimensions=DIMENSIONS)
    rng = np.random.default_rng(15)
    queries = _unit(rng.standard_normal((QUERIES, DIMENSIONS)))
    entities: dict[str, list[tuple[str, str, np.ndarray]]] = {}
    for tenant, extra in SIZES.items():
        # per query, GRADED entities at cosines 0.95, 0.91, … (well apart: the index's quantized
        # scores cannot swap them), then EXTRA random ones (cosine ~0 to every query)
        graded = []
        for query in queries:
            orthogonal = _unit(rng.standard_normal((GRADED, DIMENSIONS)))
            orthogonal -= (orthogonal @ query)[:, None] * query
            cosines = 0.95 - 0.04 * np.arange(GRADED)
            graded.append(cosines[:, None] * query + np.sqrt(1 - cosines**2)[:, None] * _unit(orthogonal))
        vectors = _unit(np.vstack([*graded, rng.standard_normal((extra, DIMENSIONS))]))
        entities[tenant] = [(f"{tenant}-{i}", LABELS[i % len(LABELS)], v) for i, v in enumerate(vectors)]
    # the rival tenant: the queries themselves, and near copies, under every label
    rival = [queries[i % QUERIES] + 0.01 * rng.standard_normal(DIMENSIONS) for i in range(QUERIES * 12)]
    entities["rival"] = [(f"rival-{i}", LABELS[i % len(LABELS)], v) for i, v in enumerate(_unit(np.array(rival)))]
    for tenant, rows in entities.items():
        for label in LABELS:
            batch = [{"id": i, "embedding": v.tolist()} for i, lab, v in rows if lab == label]
            gateway.write(
                "test_vectors",
                f"UNWIND $rows AS row CREATE (n:__Entity__:{label}) "
                "SET n.id = row.id, n.tenant_id = $tenant, n.name = row.id, n.embedding = row.embedding",
                {"rows": batch, "tenant": tenant},
            )
    gateway.write("await", "CALL db.awaitIndexes(300)")
    yield gateway, queries, entities
    with neo4j_driver.session() as session:
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 5000 ROWS").consume()


@pytest.fixture
def tenant_indexes(world):
    """``small`` and ``large`` with an index of their own (``rival`` has too few entities), then none again."""
    gateway, _, _ = world
    policy = TenantIndexPolicy(min_entities=100, max_share=1.0, max_indexes=10)
    done = reconcile_tenant_indexes(gateway, dimensions=DIMENSIONS, policy=policy)
    assert sorted(done.wanted) == ["large", "small"]
    yield gateway
    for tenant in SIZES:
        drop_tenant_index(gateway, tenant_index(tenant))
        drop_tenant_index(gateway, tenant_index(tenant, names=True))


def _unit(m: np.ndarray) -> np.ndarray:
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def expected_ids(entities, tenant: str, query: np.ndarray, labels, limit: int) -> list[str]:
    """The tenant's nearest entities by cosine, computed with numpy."""
    rows = [(i, v) for i, label, v in entities[tenant] if labels is None or label in labels]
    scores = np.array([float(v @ query) for _, v in rows])
    order = np.argsort(-scores, kind="stable")[:limit]
    return [rows[k][0] for k in order]


@pytest.mark.parametrize("labels", [None, ["Person", "Organization"]])
@pytest.mark.parametrize("tenant", ["small", "large"])
def test_exact_and_ann_return_the_same_tenant_only_nearest(world, tenant, labels):
    gateway, queries, entities = world
    search = TenantVectorSearch(gateway, in_index=False)
    for query in queries:
        want = expected_ids(entities, tenant, query, labels, 10)
        exact = search.nearest(query.tolist(), tenant, labels=labels, limit=10, strategy=Strategy.EXACT)
        ann = search.nearest(query.tolist(), tenant, labels=labels, limit=10, strategy=Strategy.ANN)
        assert [h["id"] for h in exact] == want
        assert [h["id"] for h in ann] == want
        # the same score scale: the index's cosine score and vector.similarity.cosine agree
        assert [h["score"] for h in exact] == pytest.approx([h["score"] for h in ann], abs=5e-3)  # the index quantizes
        assert all(h["id"].startswith(tenant + "-") for h in exact + ann)
        if labels:
            assert {h["type"] for h in exact + ann} <= set(labels)


@pytest.mark.parametrize("labels", [None, ["Person", "Organization"], ["Note"]])
@pytest.mark.parametrize("tenant", ["small", "large"])
def test_the_tenant_index_returns_the_same_as_exact_and_ann(world, tenant_indexes, tenant, labels):
    gateway, queries, entities = world
    search = TenantVectorSearch(gateway, in_index=False)
    # a third of the graded entities are Notes: 5 per query; below them come random entities at
    # cosine ~0, whose order the index's quantized scores may swap
    limit = 5 if labels == ["Note"] else 10
    for query in queries:
        want = expected_ids(entities, tenant, query, labels, limit)
        own = search.nearest(query.tolist(), tenant, labels=labels, limit=limit, strategy=Strategy.TENANT_INDEX)
        exact = search.nearest(query.tolist(), tenant, labels=labels, limit=limit, strategy=Strategy.EXACT)
        ann = search.nearest(query.tolist(), tenant, labels=labels, limit=limit, strategy=Strategy.ANN)
        assert [h["id"] for h in own] == [h["id"] for h in exact] == [h["id"] for h in ann] == want
        assert [h["score"] for h in own] == pytest.approx([h["score"] for h in exact], abs=5e-3)
        assert all(h["id"].startswith(tenant + "-") for h in own)
        assert {h["type"] for h in own + exact + ann} <= set(labels or LABELS)  # never the internal VecT_ label


def test_people_and_organizations_are_searched_in_the_tenants_names_index(world, tenant_indexes):
    """A search for people and organizations alone reads the tenant's index over those kinds; any other kind
    asked for, or none, reads its whole index; both answer as numpy does."""
    gateway, queries, entities = world
    search = TenantVectorSearch(gateway, in_index=False)
    read, indexes = gateway.read, []

    def spy(name, cypher, params=None, **options):  # the real gateway, with the index each search read noted
        if name == "search_vector_tenant":
            indexes.append(params["index"])
        return read(name, cypher, params, **options)

    gateway.read = spy
    try:
        for labels, index in (
            (["Person", "Organization"], tenant_index("large", names=True)),
            (["Organization"], tenant_index("large", names=True)),
            (["Person", "Note"], tenant_index("large")),
            (None, tenant_index("large")),
        ):
            indexes.clear()
            limit = 5 * len(labels or LABELS)  # the graded entities of those labels (5 a label), not the random ones
            hits = search.nearest(
                queries[1].tolist(), "large", labels=labels, limit=limit, strategy=Strategy.TENANT_INDEX
            )
            assert set(indexes) == {index}, labels
            assert [h["id"] for h in hits] == expected_ids(entities, "large", queries[1], labels, limit)
    finally:
        gateway.read = read


def test_the_internal_tenant_label_never_shows_in_an_entity_or_its_neighbourhood(world, tenant_indexes):
    gateway, _, entities = world
    reader = EntityReader(gateway)
    entity_id, label, _ = entities["large"][0]
    entity = reader.entity(entity_id, "large")
    assert entity is not None and entity.labels == [label] and entity.type == label
    hood = reader.neighborhood(entity_id, "large", depth=1, limit=5)
    assert hood is not None and hood.center.type == label
    assert reader.entity(entity_id, "small") is None  # another tenant's id: nothing


def test_selection_prefers_the_tenant_index_over_the_shared_one_and_exact_stays_for_few_candidates(
    world, tenant_indexes
):
    gateway, _, _ = world
    search = TenantVectorSearch(gateway, exact_max=200, in_index=False)
    assert search.strategy_for("large", None) is Strategy.TENANT_INDEX  # 600 candidates, and its own index
    assert search.strategy_for("large", ["Note"]) is Strategy.EXACT  # 200 Notes: the scan is cheaper still
    assert search.strategy_for("small", None) is Strategy.EXACT  # 150: indexed, but few enough to scan
    assert search.strategy_for("rival", None) is Strategy.EXACT
    lower = TenantVectorSearch(gateway, exact_max=100, exact_fallback_max=120, in_index=False)
    assert lower.strategy_for("small", None) is Strategy.TENANT_INDEX  # 150 > 100, and its own index
    assert lower.strategy_for("rival", None) is Strategy.EXACT  # 96, no index
    assert lower.strategy_for("rival", ["Person"]) is Strategy.EXACT
    assert TenantVectorSearch(gateway, exact_max=200, in_index=True).strategy_for("large", None) is Strategy.IN_INDEX


def test_a_dropped_tenant_index_falls_back_to_the_shared_index(world, tenant_indexes):
    gateway, queries, entities = world
    search = TenantVectorSearch(gateway, exact_max=200, exact_fallback_max=200, in_index=False)
    assert search.strategy_for("large", None) is Strategy.TENANT_INDEX  # listed, then dropped behind its back
    drop_tenant_index(gateway, tenant_index("large"))
    hits = search.nearest(queries[0].tolist(), "large", limit=10)
    assert [h["id"] for h in hits] == expected_ids(entities, "large", queries[0], None, 10)
    assert search.strategy_for("large", None) is Strategy.ANN  # 600 > the fallback's 200
    scan = TenantVectorSearch(gateway, exact_max=200, in_index=False)  # the fallback scan: up to 20,000
    assert scan.strategy_for("large", None) is Strategy.EXACT
    with pytest.raises(SchemaError):  # forced: no silent substitute
        search.nearest(queries[0].tolist(), "large", limit=10, strategy=Strategy.TENANT_INDEX)


def test_in_index_filter_returns_the_same_when_the_server_supports_it(world):
    gateway, queries, entities = world
    search = TenantVectorSearch(gateway)
    if not search.supports_in_index():
        pytest.skip("this Neo4j has no in-index vector filter (SEARCH … WHERE needs 2026.01+): selection tested only")
    for tenant in SIZES:
        for query in queries:
            hits = search.nearest(query.tolist(), tenant, limit=10, strategy=Strategy.IN_INDEX)
            assert [h["id"] for h in hits] == expected_ids(entities, tenant, query, None, 10)


def test_the_in_index_filter_is_detected_off_on_neo4j_5(world):
    gateway, _, _ = world
    version = gateway.read("v", "CALL dbms.components() YIELD versions RETURN versions[0] AS v")[0]["v"]
    if not version.startswith("5."):
        pytest.skip(f"Neo4j {version}")
    search = TenantVectorSearch(gateway)
    assert search.supports_in_index() is False
    assert search.strategy_for("large", None) is not Strategy.IN_INDEX


def test_selection_by_candidates_and_server(world):
    gateway, _, _ = world
    # small: 150 entities; large: 600, 400 of them Person or Organization and 200 Notes
    search = TenantVectorSearch(gateway, exact_max=200, exact_fallback_max=200, in_index=False)
    assert search.candidates("small", None) == 150
    assert search.candidates("large", None) == 201  # counted up to exact_fallback_max + 1 only
    assert search.candidates("large", None, cap=51) == 51  # and up to a cap asked for (cached apart)
    assert search.candidates("large", ["Note"], cap=1000) == 200
    assert TenantVectorSearch(gateway, exact_max=200, in_index=False).strategy_for("large", None) is Strategy.EXACT
    assert search.strategy_for("small", None) is Strategy.EXACT
    assert search.strategy_for("large", None) is Strategy.ANN
    assert search.strategy_for("large", ["Person", "Organization"]) is Strategy.ANN
    assert search.strategy_for("large", ["Note"]) is Strategy.EXACT  # 200 Notes: the scan scores only those
    assert search.strategy_for("nobody", None) is Strategy.EXACT  # a tenant without entities: an empty scan
    forced = TenantVectorSearch(gateway, exact_max=200, in_index=True)
    assert forced.strategy_for("small", None) is Strategy.IN_INDEX
    assert forced.strategy_for("large", None) is Strategy.IN_INDEX


def test_the_candidate_count_is_cached_until_its_ttl(world):
    gateway, _, _ = world
    now = [0.0]
    search = TenantVectorSearch(
        gateway, exact_max=100, exact_fallback_max=100, in_index=False, size_ttl_s=60, clock=lambda: now[0]
    )
    assert search.strategy_for("growing", None) is Strategy.EXACT
    gateway.write(
        "grow",
        "UNWIND range(1, 150) AS i CREATE (n:__Entity__:Person {id: 'growing-' + i, tenant_id: 'growing', "
        "embedding: [x IN range(1, $d) | toFloat(i + x)]})",
        {"d": DIMENSIONS},
    )
    try:
        now[0] = 59.0
        assert search.strategy_for("growing", None) is Strategy.EXACT  # the cached count
        now[0] = 61.0
        assert search.strategy_for("growing", None) is Strategy.ANN
    finally:
        gateway.write("shrink", "MATCH (n:__Entity__ {tenant_id: 'growing'}) DELETE n")


@pytest.mark.parametrize("strategy", [None, Strategy.EXACT, Strategy.ANN])
def test_no_strategy_answers_with_another_tenants_entities(world, strategy):
    """The rival's entities ARE the queries; an unknown or empty tenant id gets nothing."""
    _no_other_tenant(world, strategy)


@pytest.mark.parametrize("strategy", [None, Strategy.TENANT_INDEX])
def test_no_strategy_answers_with_another_tenants_entities_with_tenant_indexes(world, tenant_indexes, strategy):
    """As above, with ``small`` and ``large`` searched through their own indexes (a forced
    ``tenant_index`` for a tenant without one is an error, not an answer)."""
    gateway, queries, _ = world
    for nobody in ("", "nobody", "rival"):
        with pytest.raises(SchemaError):
            TenantVectorSearch(gateway, in_index=False).nearest(
                queries[0].tolist(), nobody, limit=10, strategy=Strategy.TENANT_INDEX
            )
    _no_other_tenant(world, strategy, unknown=strategy is None)


def _no_other_tenant(world, strategy, *, unknown: bool = True) -> None:
    gateway, queries, _ = world
    search = TenantVectorSearch(gateway, exact_max=200, exact_fallback_max=200, in_index=False)
    unfiltered = gateway.read(
        "unfiltered",
        "CALL db.index.vector.queryNodes('entity', 10, $e) YIELD node RETURN node.tenant_id AS t",
        {"e": queries[0].tolist()},
    )
    assert {r["t"] for r in unfiltered} == {"rival"}  # the adversary is really nearest
    for tenant in ("small", "large"):
        for query in queries:
            hits = search.nearest(query.tolist(), tenant, limit=10, strategy=strategy)
            assert len(hits) == 10 and all(h["id"].startswith(tenant + "-") for h in hits)
    for nobody in ("", "nobody", "small' OR 1=1", "rival-0") if unknown else ():
        assert search.nearest(queries[0].tolist(), nobody, limit=10, strategy=strategy) == []


def test_semantic_search_nearest_goes_through_the_strategies(world):
    gateway, queries, entities = world
    by_text = {f"q{i}": q.tolist() for i, q in enumerate(queries)}
    search = SemanticSearch(gateway, by_text.__getitem__, vectors=TenantVectorSearch(gateway, in_index=False))
    for i, query in enumerate(queries):
        for tenant in SIZES:
            hits = search.nearest(f"q{i}", tenant, types=["Person", "Organization"], limit=5)
            assert [h["id"] for h in hits] == expected_ids(entities, tenant, query, ["Person", "Organization"], 5)
