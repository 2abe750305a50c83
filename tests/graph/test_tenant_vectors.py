"""Tenant vector indexes (graph/tenant_vectors.py): labels, the promotion policy, and keeping them exact.

The Neo4j tests write entities with deterministic vectors directly (no model) and check what
the tenant's own index holds with ``db.index.vector.queryNodes`` asked for more entries than
the graph has: the whole index, compared with what was written for the tenant.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from kgcrm.core.errors import SchemaError
from kgcrm.graph.gateway import GraphGateway
from kgcrm.graph.schema import apply_schema
from kgcrm.graph.tenant_vectors import (
    TenantIndexPolicy,
    create_tenant_index,
    drop_tenant_index,
    embedded_counts,
    label_tenant_entities,
    online_tenant_indexes,
    plan_tenant_indexes,
    reconcile_tenant_indexes,
    tenant_index,
    tenant_label,
)

DIMENSIONS = 384  # as the other tests' 'entity' index, which they share
HOSTILE = ["x`) DETACH DELETE n //", "tenant:with:colons", "", "ünï cödé", "a" * 500]


@pytest.mark.parametrize("tenant", ["vt-01", "0b1c9e6e-2a4d-4c1b-9a57-3c2f7f0e8a11", *HOSTILE])
def test_labels_and_index_names_are_identifiers_made_of_a_hash_only(tenant):
    assert re.fullmatch(r"VecT_[0-9a-f]{16}", tenant_label(tenant))
    assert re.fullmatch(r"entity_t_[0-9a-f]{16}", tenant_index(tenant))
    assert re.fullmatch(r"VecT_n[0-9a-f]{16}", tenant_label(tenant, names=True))
    assert re.fullmatch(r"entity_t_n[0-9a-f]{16}", tenant_index(tenant, names=True))
    assert tenant_label(tenant) == tenant_label(tenant)  # deterministic
    assert tenant_label(tenant, names=True)[len("VecT_n") :] == tenant_label(tenant)[len("VecT_") :]


def test_different_tenants_get_different_labels():
    tenants = ["vt-01", "vt-02", "VT-01", "vt-01 ", *HOSTILE]
    assert len({tenant_label(t) for t in tenants}) == len(tenants)


def test_the_policy_keeps_tenants_between_the_size_floor_and_the_share_ceiling_largest_first():
    counts = {"huge": 500_000, "big": 250_000, "mid": 60_000, "mid2": 30_000, "small": 4_999, "tiny": 10}
    total = sum(counts.values())
    policy = TenantIndexPolicy(min_entities=5_000, max_share=0.3, max_indexes=10)
    assert 250_000 / total <= 0.3 < 500_000 / total  # what the expectation below rests on
    assert plan_tenant_indexes(counts, policy) == ["big", "mid", "mid2"]
    assert plan_tenant_indexes(counts, TenantIndexPolicy(min_entities=5_000, max_share=0.3, max_indexes=2)) == [
        "big",
        "mid",
    ]
    assert plan_tenant_indexes(counts, TenantIndexPolicy(min_entities=1, max_share=1.0, max_indexes=0)) == []
    assert plan_tenant_indexes({}, policy) == []


# --- with Neo4j --------------------------------------------------------------------------------


@pytest.fixture
def gateway(neo4j_driver, clean_graph) -> GraphGateway:
    gateway = GraphGateway(neo4j_driver)
    apply_schema(gateway, dimensions=DIMENSIONS)
    yield gateway
    for name in _all_tenant_indexes(gateway):
        drop_tenant_index(gateway, name)


def _all_tenant_indexes(gateway: GraphGateway) -> set[str]:
    rows = gateway.read("idx", "SHOW INDEXES YIELD name WHERE name STARTS WITH 'entity_t_' RETURN name")
    return {r["name"] for r in rows}


def _write(
    gateway: GraphGateway, tenant: str, count: int, *, start: int = 0, label: bool = False, kind: str = "Person"
) -> list[str]:
    """``count`` entities of ``kind`` (Person or Note) of ``tenant`` with vectors; ``label``: with the tenant
    labels, as the sync writes them (the names label on a person)."""
    rng = np.random.default_rng([start, count, len(tenant)])
    ids = [f"{tenant}/{start + i}" for i in range(count)]
    rows = [{"id": i, "embedding": rng.standard_normal(DIMENSIONS).tolist()} for i in ids]
    labels = [tenant_label(tenant)] + ([tenant_label(tenant, names=True)] if kind == "Person" else []) if label else []
    gateway.write(
        "write",
        f"UNWIND $rows AS row CREATE (n:__Entity__:{kind} {{id: row.id, tenant_id: $tenant}}) "
        "SET n.embedding = row.embedding, n:$($labels)",
        {"rows": rows, "tenant": tenant, "labels": labels},
    )
    return ids


def _index_holds(gateway: GraphGateway, tenant: str, *, names: bool = False) -> list[tuple[str, str]]:
    """Every (id, tenant) the tenant's index (``names``: its names index) holds: asked for more neighbours
    than the graph has nodes."""
    rows = gateway.read(
        "whole_index",
        "CALL db.index.vector.queryNodes($index, 10000, $e) YIELD node RETURN node.id AS id, node.tenant_id AS t",
        {"index": tenant_index(tenant, names=names), "e": [1.0] * DIMENSIONS},
    )
    return sorted((r["id"], r["t"]) for r in rows)


def _both(*tenants: str) -> set[str]:
    """The two indexes of each tenant."""
    return {name for t in tenants for name in (tenant_index(t), tenant_index(t, names=True))}


@pytest.mark.neo4j
def test_reconcile_labels_what_an_older_writer_left_and_indexes_exactly_the_tenant(gateway):
    ours = _write(gateway, "ours", 40)  # written without the labels (before they existed)
    notes = _write(gateway, "ours", 6, start=100, kind="Note")
    _write(gateway, "theirs", 30)
    _write(gateway, "tiny", 3)
    gateway.write("no_vector", "CREATE (:__Entity__:Note {id: 'ours/plain', tenant_id: 'ours'})")
    assert embedded_counts(gateway) == {"ours": 46, "theirs": 30, "tiny": 3}

    done = reconcile_tenant_indexes(
        gateway, dimensions=DIMENSIONS, policy=TenantIndexPolicy(min_entities=10, max_share=1.0, max_indexes=5)
    )

    assert done.wanted == ["ours", "theirs"]
    assert set(done.created) == _both("ours", "theirs") and len(done.created) == 4
    assert done.labelled == 76 + 70 and done.dropped == []  # every entity its tenant label, the people the names one
    assert online_tenant_indexes(gateway) == _both("ours", "theirs")
    assert _index_holds(gateway, "ours") == sorted((i, "ours") for i in ours + notes)
    assert _index_holds(gateway, "ours", names=True) == sorted((i, "ours") for i in ours)  # people only
    assert {t for _, t in _index_holds(gateway, "theirs")} == {"theirs"}
    again = reconcile_tenant_indexes(
        gateway, dimensions=DIMENSIONS, policy=TenantIndexPolicy(min_entities=10, max_share=1.0, max_indexes=5)
    )
    assert (again.created, again.dropped, again.labelled) == ([], [], 0)  # idempotent


@pytest.mark.neo4j
def test_the_index_follows_writes_deletes_and_removed_embeddings(gateway):
    ours = _write(gateway, "ours", 20, label=True)
    create_tenant_index(gateway, "ours", dimensions=DIMENSIONS)
    gateway.write("await", "CALL db.awaitIndexes(300)")
    more = _write(gateway, "ours", 5, start=100, label=True)  # as the sync writes them: with the label
    gateway.write("delete", "MATCH (n:__Entity__ {id: $id}) DETACH DELETE n", {"id": ours[0]})
    gateway.write("unembed", "MATCH (n:__Entity__ {id: $id}) SET n.embedding = null", {"id": ours[1]})
    assert _index_holds(gateway, "ours") == sorted((i, "ours") for i in ours[2:] + more)


@pytest.mark.neo4j
def test_demotion_drops_the_index_and_the_policy_cap_holds(gateway):
    _write(gateway, "a", 30)
    _write(gateway, "b", 20)
    policy = TenantIndexPolicy(min_entities=10, max_share=1.0, max_indexes=2)
    reconcile_tenant_indexes(gateway, dimensions=DIMENSIONS, policy=policy)
    assert online_tenant_indexes(gateway) == _both("a", "b")
    capped = reconcile_tenant_indexes(
        gateway, dimensions=DIMENSIONS, policy=TenantIndexPolicy(min_entities=10, max_share=1.0, max_indexes=1)
    )
    assert set(capped.dropped) == _both("b")
    assert online_tenant_indexes(gateway) == _both("a")
    gateway.write("shrink", "MATCH (n:__Entity__ {tenant_id: 'a'}) WITH n LIMIT 25 DETACH DELETE n")
    shrunk = reconcile_tenant_indexes(gateway, dimensions=DIMENSIONS, policy=policy)
    assert set(shrunk.dropped) == _both("a") and set(shrunk.created) == _both("b")
    assert online_tenant_indexes(gateway) == _both("b")


@pytest.mark.neo4j
def test_a_hostile_tenant_id_gets_a_harmless_label_and_index(gateway):
    tenant = HOSTILE[0]
    ids = _write(gateway, tenant, 12)
    _write(gateway, "bystander", 12)
    label_tenant_entities(gateway, tenant)
    create_tenant_index(gateway, tenant, dimensions=DIMENSIONS)
    gateway.write("await", "CALL db.awaitIndexes(300)")
    assert _index_holds(gateway, tenant) == sorted((i, tenant) for i in ids)
    assert embedded_counts(gateway) == {tenant: 12, "bystander": 12}  # nothing deleted
    with pytest.raises(SchemaError):
        drop_tenant_index(gateway, "entity")  # only tenant index names are dropped


@pytest.mark.neo4j
def test_without_waiting_the_index_is_created_and_comes_online_in_the_background(gateway):
    ids = _write(gateway, "later", 15)
    done = reconcile_tenant_indexes(
        gateway,
        dimensions=DIMENSIONS,
        policy=TenantIndexPolicy(min_entities=10, max_share=1.0, max_indexes=5),
        wait=False,
    )
    assert done.created == [tenant_index("later"), tenant_index("later", names=True)] and done.labelled == 30
    gateway.write("await", "CALL db.awaitIndexes(300)")
    assert online_tenant_indexes(gateway) == _both("later")
    assert _index_holds(gateway, "later") == sorted((i, "later") for i in ids)
