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

**A second index per tenant, over the resolver's kinds.** Entity resolution asks for the nearest
people and organizations (:data:`NAMED_KINDS`), and in a tenant's own index the other kinds crowd
them out: on the 1M-row bench graph the contacts, interactions and notes that carry a person's name
took 90-99 % of the 100 nearest entries to a person's name, so a third of the searches needed a
second, four times larger fetch (p95 20-73 ms against the unfiltered index's 9). So each tenant with
an index also gets one over its people and organizations alone (:func:`tenant_label` with ``names``: ``VecT_n``
and the same digits, written with the embedding beside the tenant label;
:func:`tenant_index` with ``names``: ``entity_t_n`` and the digits): p95 4-8 ms, with recall@10 against the
exact scan 0.92-0.94 at a fetch of 100, where the tenant index gave 0.90-0.93 (``bench/RESULTS.md``,
``vector_names_s9``). It is kept exact the same way as the tenant index, and both come and go together.

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
#: The kinds that the second index of a tenant holds: the resolver's candidates.
NAMED_KINDS = ("Person", "Organization")
_NAMES = "n"  # marks the label and index over NAMED_KINDS; not a hex digit, so never a tenant label's
_DIGITS = 16
_LABEL = re.compile(rf"^{LABEL_PREFIX}{_NAMES}?[0-9a-f]{{{_DIGITS}}}$")
_INDEX = re.compile(rf"^{INDEX_PREFIX}{_NAMES}?[0-9a-f]{{{_DIGITS}}}$")


def _digest(tenant_id: str) -> str:
    return hashlib.sha256(tenant_id.encode("utf-8")).hexdigest()[:_DIGITS]


def tenant_label(tenant_id: str, *, names: bool = False) -> str:
    """The label every embedded entity of ``tenant_id`` carries (e.g. ``VecT_3f2a…``); ``names``: the one
    its embedded people and organizations carry too (e.g. ``VecT_n3f2a…``)."""
    return LABEL_PREFIX + (_NAMES if names else "") + _digest(tenant_id)


def tenant_index(tenant_id: str, *, names: bool = False) -> str:
    """The name of ``tenant_id``'s own vector index, when it has one (e.g. ``entity_t_3f2a…``); ``names``: of
    its index over its people and organizations alone (e.g. ``entity_t_n3f2a…``)."""
    return INDEX_PREFIX + (_NAMES if names else "") + _digest(tenant_id)


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
    """Give the tenant's embedded entities the tenant label, and its people and organizations the names
    label, where they lack them (written before they existed); how many labels were added.

    Reads the ids first, then labels them in batches by id (the ``entity_id`` constraint's
    index): linear in the tenant's size, in transactions of ``batch`` nodes.
    """
    added = 0
    for names, kinds in ((False, None), (True, list(NAMED_KINDS))):
        label = _checked(tenant_label(tenant_id, names=names), _LABEL)
        rows = gateway.read(
            "tenant_label_missing",
            cypher.load("tenant_label_missing"),
            {"tenant": tenant_id, "label": label, "kinds": kinds},
        )
        ids = [r["id"] for r in rows]
        for start in range(0, len(ids), batch):
            gateway.write(
                "tenant_label_set",
                cypher.load("tenant_label_set"),
                {"ids": ids[start : start + batch], "tenant": tenant_id, "label": label},
            )
        added += len(ids)
    return added


def create_tenant_index(gateway: GraphGateway, tenant_id: str, *, dimensions: int, names: bool = False) -> str:
    """Create the tenant's vector index, or with ``names`` its index over its people and organizations
    (idempotent; it populates in the background); its name."""
    label = _checked(tenant_label(tenant_id, names=names), _LABEL)
    name = _checked(tenant_index(tenant_id, names=names), _INDEX)
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
    labelled: int = 0  # labels added: tenant labels, and names labels to people and organizations


def reconcile_tenant_indexes(
    gateway: GraphGateway,
    *,
    dimensions: int,
    policy: TenantIndexPolicy | None = None,
    dry_run: bool = False,
    wait: bool = True,
    timeout_s: int = 3600,
) -> Reconciled:
    """Create the indexes the policy wants (each wanted tenant's two, labelling first), drop the others;
    ``wait``: until they are online.

    Without waiting, a new index populates in the background and the search starts using it once
    it is ONLINE (``kgcrm sync --full`` does not wait: a large tenant's index takes minutes).
    """
    policy = policy or TenantIndexPolicy()
    counts = embedded_counts(gateway)
    wanted = plan_tenant_indexes(counts, policy)
    existing = {s.name for s in tenant_indexes(gateway)}
    indexes = {tenant: {names: tenant_index(tenant, names=names) for names in (False, True)} for tenant in wanted}
    wanted_indexes = {name for both in indexes.values() for name in both.values()}
    done = Reconciled(wanted=wanted)
    for name in sorted(existing - wanted_indexes):
        done.dropped.append(name)
        if not dry_run:
            drop_tenant_index(gateway, name)
    for tenant in wanted:
        missing = [names for names, name in indexes[tenant].items() if name not in existing]
        if dry_run:
            done.created += [indexes[tenant][names] for names in missing]
            continue
        # labelled again even when the indexes exist: cheap when nothing is missing, and it
        # repairs what a writer without the labels (an older version) added since
        done.labelled += label_tenant_entities(gateway, tenant)
        for names in missing:
            done.created.append(create_tenant_index(gateway, tenant, dimensions=dimensions, names=names))
    if done.created and wait and not dry_run:
        await_indexes(gateway, timeout_s=timeout_s)
    return done


def _checked(name: str, pattern: re.Pattern[str]) -> str:
    if not pattern.match(name):
        raise SchemaError(f"not a tenant vector label or index name: {name!r}")
    return name
