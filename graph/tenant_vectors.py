"""Dedicated vector indexes for mid-sized and large tenants, on Neo4j 5.26 (no in-index filter).

Neo4j 5.26's vector index cannot filter by tenant, and a vector index covers one label. So every
embedded entity also carries a label of its tenant's own, :func:`tenant_label` (``VecT_`` and 16
hex digits of the SHA-256 of the tenant id: derived from the tenant id only, never from user
text, and a valid identifier by construction, checked again before it is written into any
statement), and a tenant can have a vector index of its own on that label
(:func:`tenant_index`: ``entity_t_`` and the same digits): an ANN search over that tenant
alone, with an exact tenant boundary and no over-fetch across tenants
(``retrieval/vector_strategy.py``, strategy ``tenant_index``; it still filters on
``tenant_id`` after the call, as defence in depth).

The label is internal: every query that reads labels out (``type``, ``labels`` in answers)
leaves out those starting with ``VecT_``, as it leaves out ``__Entity__``.

Keeping it exact costs little, because the label does not depend on the index:

- the label is written with the embedding, for every tenant, whether it has an index or not
  (``cypher/embedding_write.cypher``, ``$rows[].label`` from the sync's embedding pipeline);
  a deleted entity takes its label with it, and an entity whose embedding is removed drops out
  of the index (a vector index holds only the nodes that have the property);
- so creating a tenant's index (promotion) is only ``CREATE VECTOR INDEX`` (after
  :func:`label_tenant_entities` labels what an older version wrote without the label), and
  dropping it (demotion) is only ``DROP INDEX``; nothing else has to change;
- :func:`reconcile_tenant_indexes` decides which tenants have one
  (:func:`plan_tenant_indexes`: :class:`TenantIndexPolicy`) and makes the graph so; it runs
  after ``kgcrm graph init`` and every one-shot ``kgcrm sync``, and alone as
  ``kgcrm graph tenant-indexes``. A query uses a tenant's index only once it is ONLINE
  (:func:`online_tenant_indexes`); until then the tenant is served as before.

The policy (why these numbers: ``retrieval/vector_strategy.py``'s docstring, measured on the 1M
graph of ``bench/vector_graph.py``): a tenant gets an index when it has at least
``min_entities`` embedded entities (1,000: below that no search of it scores more than 1,000
candidates, and the exact scan of that many costs about one unfiltered index call), at most
``max_share`` of all embedded entities (0.6: a tenant that is nearly all of the graph gains
nothing from a copy of the shared index; at half of it, its own index still answered in p95 1.5x
the unfiltered call against 3x for the over-fetched shared one, and at a quarter 1.1x against
5-12x, so the ceiling sits above a half), and, the largest first, up to ``max_indexes`` tenant
indexes (each is a Lucene HNSW index: memory, files, and a second copy of the tenant's vectors;
the others fall back to the scan or the shared index). Promoting the 500k-entity tenant (labels
and index) took 7.5 minutes on 2 busy cores (niced); the search uses an index only once it is
ONLINE.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from kgcrm import cypher
from kgcrm.core.errors import SchemaError
from kgcrm.graph.gateway import GraphGateway
from kgcrm.graph.schema import await_indexes

LABEL_PREFIX = "VecT_"
INDEX_PREFIX = "entity_t_"
_DIGITS = 16
_LABEL = re.compile(rf"^{LABEL_PREFIX}[0-9a-f]{{{_DIGITS}}}$")
_INDEX = re.compile(rf"^{INDEX_PREFIX}[0-9a-f]{{{_DIGITS}}}$")


def _digest(tenant_id: str) -> str:
    return hashlib.sha256(tenant_id.encode("utf-8")).hexdigest()[:_DIGITS]


def tenant_label(tenant_id: str) -> str:
    """The label every embedded entity of ``tenant_id`` carries (e.g. ``VecT_3f2a…``)."""
    return LABEL_PREFIX + _digest(tenant_id)


def tenant_index(tenant_id: str) -> str:
    """The name of ``tenant_id``'s own vector index, when it has one (e.g. ``entity_t_3f2a…``)."""
    return INDEX_PREFIX + _digest(tenant_id)


@dataclass(frozen=True)
class TenantIndexPolicy:
    """Which tenants get a vector index of their own (see the module docstring)."""

    min_entities: int = 1_000
    max_share: float = 0.6
    max_indexes: int = 100


def plan_tenant_indexes(counts: Mapping[str, int], policy: TenantIndexPolicy) -> list[str]:
    """The tenants (ids) that should have an index, given each tenant's embedded entities; largest first."""
    total = sum(counts.values())
    eligible = [
        tenant
        for tenant, count in counts.items()
        if count >= policy.min_entities and total and count / total <= policy.max_share
    ]
    eligible.sort(key=lambda tenant: (-counts[tenant], tenant))
    return eligible[: policy.max_indexes]


def embedded_counts(gateway: GraphGateway) -> dict[str, int]:
    """Each tenant's entities with an embedding (reads every entity: a maintenance query, not a request's)."""
    rows = gateway.read("tenant_embedded_counts", cypher.load("tenant_embedded_counts"))
    return {r["tenant"]: int(r["entities"]) for r in rows if r["tenant"] is not None}


@dataclass(frozen=True)
class TenantIndexState:
    name: str
    label: str
    state: str


def tenant_indexes(gateway: GraphGateway) -> list[TenantIndexState]:
    """Every tenant vector index in the graph, whatever its state."""
    rows = gateway.read("tenant_vector_indexes", cypher.load("tenant_vector_indexes"), {"prefix": INDEX_PREFIX})
    return [TenantIndexState(r["name"], (r["labels"] or [""])[0], r["state"]) for r in rows if _INDEX.match(r["name"])]


def online_tenant_indexes(gateway: GraphGateway) -> frozenset[str]:
    """The names of the tenant indexes a query may use now (ONLINE: complete)."""
    return frozenset(s.name for s in tenant_indexes(gateway) if s.state == "ONLINE")


def label_tenant_entities(gateway: GraphGateway, tenant_id: str, *, batch: int = 10_000) -> int:
    """Give the tenant label to the tenant's embedded entities that lack it (written before it existed).

    Reads the ids first, then labels them in batches by id (the ``entity_id`` constraint's
    index): linear in the tenant's size, in transactions of ``batch`` nodes.
    """
    label = _checked(tenant_label(tenant_id), _LABEL)
    rows = gateway.read(
        "tenant_label_missing", cypher.load("tenant_label_missing"), {"tenant": tenant_id, "label": label}
    )
    ids = [r["id"] for r in rows]
    for start in range(0, len(ids), batch):
        gateway.write(
            "tenant_label_set",
            cypher.load("tenant_label_set"),
            {"ids": ids[start : start + batch], "tenant": tenant_id, "label": label},
        )
    return len(ids)


def create_tenant_index(gateway: GraphGateway, tenant_id: str, *, dimensions: int) -> str:
    """Create the tenant's vector index (idempotent; it populates in the background); its name."""
    label = _checked(tenant_label(tenant_id), _LABEL)
    name = _checked(tenant_index(tenant_id), _INDEX)
    # The label cannot be a parameter of CREATE INDEX: it is written into the statement, and it
    # matched _LABEL just above (VecT_ and hex digits), so it cannot carry anything else.
    statement = cypher.load("tenant_vector_index").strip().rstrip(";").replace("$label", label)
    gateway.write("tenant_vector_index", statement, {"name": name, "dimensions": dimensions})
    return name


def drop_tenant_index(gateway: GraphGateway, name: str) -> None:
    gateway.write("tenant_vector_index_drop", "DROP INDEX $name IF EXISTS", {"name": _checked(name, _INDEX)})


@dataclass
class Reconciled:
    """What :func:`reconcile_tenant_indexes` did (or would do, ``dry_run``)."""

    wanted: list[str] = field(default_factory=list)  # tenant ids that should have an index
    created: list[str] = field(default_factory=list)  # index names
    dropped: list[str] = field(default_factory=list)
    labelled: int = 0  # entities given their tenant label


def reconcile_tenant_indexes(
    gateway: GraphGateway,
    *,
    dimensions: int,
    policy: TenantIndexPolicy | None = None,
    dry_run: bool = False,
    wait: bool = True,
    timeout_s: int = 3600,
) -> Reconciled:
    """Create the indexes the policy wants (labelling first), drop the others; ``wait``: until they are online.

    Without waiting, a new index populates in the background and the search starts using it once
    it is ONLINE (``kgcrm sync --full`` does not wait: a large tenant's index takes minutes).
    """
    policy = policy or TenantIndexPolicy()
    counts = embedded_counts(gateway)
    wanted = plan_tenant_indexes(counts, policy)
    existing = {s.name for s in tenant_indexes(gateway)}
    wanted_names = {tenant_index(t): t for t in wanted}
    done = Reconciled(wanted=wanted)
    for name in sorted(existing - set(wanted_names)):
        done.dropped.append(name)
        if not dry_run:
            drop_tenant_index(gateway, name)
    for name, tenant in wanted_names.items():
        if dry_run:
            if name not in existing:
                done.created.append(name)
            continue
        # labelled again even when the index exists: cheap when nothing is missing, and it
        # repairs what a writer without the label (an older version) added since
        done.labelled += label_tenant_entities(gateway, tenant)
        if name not in existing:
            create_tenant_index(gateway, tenant, dimensions=dimensions)
            done.created.append(name)
    if done.created and wait and not dry_run:
        await_indexes(gateway, timeout_s=timeout_s)
    return done


def _checked(name: str, pattern: re.Pattern[str]) -> str:
    if not pattern.match(name):
        raise SchemaError(f"not a tenant vector label or index name: {name!r}")
    return name
