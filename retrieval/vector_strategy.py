"""Tenant-filtered vector search: four ways to find a tenant's nearest entities, chosen per call.

Every tenant's entities share one vector index (``entity`` on ``:__Entity__``). Neo4j 5.26's
index cannot filter: it returns the nearest entries of *every* tenant, and the tenant (and the
wanted labels) can only be kept after the call. Four strategies:

- ``exact`` — score every entity of the tenant (the ``entity_tenant`` range index) with
  ``vector.similarity.cosine``, keep the best. Exact, and its cost grows with the number of
  entities scored (the tenant's entities of the wanted labels), not with the graph: the
  choice for a small tenant.
- ``tenant_index`` — the tenant's **own vector index** (``kgcrm.graph.tenant_vectors``: every
  embedded entity carries a label derived from its tenant id, written with its embedding, and
  a tenant above the policy's size gets ``CREATE VECTOR INDEX`` on that label). An ANN search
  over that tenant alone: no other tenant's entry to over-fetch past, the tenant boundary is
  the index's own (``tenant_id`` is still checked after the call, as defence in depth), and only
  the labels are filtered after it (``fetch`` 100: the labels' share of the tenant, with margin).
  A search for people and organizations alone goes to the tenant's second index, over those kinds
  only (``graph/tenant_vectors.py``, ``tenant_index(…, names=True)``), once it is ONLINE: in the tenant's
  whole index, the contacts, interactions and notes that carry a person's name crowd the people out
  (1-10 % of the 100 nearest entries were people or organizations on the 1M-row bench graph, so a
  third of the searches fetched a second time, four times more), where the names index answers from
  one fetch.
- ``ann`` — the shared index, over-fetched by the caller's share of it and filtered after the
  call (:class:`~kgcrm.retrieval.overfetch.FetchSizes` learns the share per tenant and labels).
  Its cost grows with the fetch, i.e. with ``limit / share``: ruinous for a small tenant in a
  big graph (it may even come back short when the tenant's entities are not among the
  ``maximum`` fetched). Now only the fallback of a large tenant without an index of its own.
- ``in_index`` — Cypher 25's ``SEARCH … WHERE node.tenant_id = $tenant`` (Neo4j 2026.01+, Aura),
  on an index created with ``tenant_id`` as a filter property
  (``cypher/vector_index_filtered.cypher``, which ``ensure_schema`` uses on such a server): the
  index itself keeps to the tenant, and only the labels are filtered after it. Chosen whenever
  the server and the index support it; detected once (:meth:`TenantVectorSearch.supports_in_index`:
  the kernel version and the index's properties).

The choice on 5.26 (:meth:`TenantVectorSearch.strategy_for`): ``exact`` up to
:data:`EXACT_MAX_CANDIDATES` (500) candidates; above, ``tenant_index`` when the tenant's own
index is ONLINE; without one (a tenant below the policy's size, over its cap, or whose index is
still populating), ``exact`` up to :data:`EXACT_FALLBACK_MAX` (20,000) and ``ann`` above, as
before the tenant indexes.

Why (``bench/vector_search.py`` on ``bench/vector_graph.py``'s graph: 1M entities with 384-d
vectors in 10 tenants from 500k down to ~1k, 10 nearest Person/Organization entities, Neo4j
5.26, 2 shared cores; ``bench/RESULTS.md``, sections ``vector_search_1000000`` and ``h15-vec``).
A development run (4 queries per tenant, niced, load average 6-10, p95 in ms, unfiltered index
call 130-290 on the same queries): the tenant's own index answered in 23-82 on every tenant
from 959 to 28k candidates (0.2-0.6x the unfiltered call: a 30k-125k-entry index is cheaper to
search than the 1M one), where the exact scan took 116 at 959 candidates, 246 at 1,642, 402 at
3,590 and 771 at 6,946, and the over-fetching shared index 280-3,000 (recall@10 0.6). The scan
stays the cheaper at a few hundred candidates (53 at 221, 86 at 446: 0.3x the unfiltered call,
and exact), hence 500. Recall of the tenant index against the exact scan, by its fetch (10
queries on tenants of 8k-125k entities): 0.60-0.71 at 30, 0.75-0.85 at 50, 0.91-0.95 at 100,
0.90-0.99 at 200, at 0.6x-1x the cost of 100; hence :data:`TENANT_FIRST_FETCH` = 100.
Without tenant indexes (earlier runs, load average ~17): the scan cost ~0.09 ms per candidate
(221 candidates 47 ms p95, 3,590 → 373 ms, 14,126 → 1.2 s) and beat the over-fetching index up
to ~20k candidates (about even near 28k), hence :data:`EXACT_FALLBACK_MAX`.

The candidate count is taken with a capped count (``cypher/search_vector_candidates.cypher``:
it stops at the cap, so it is cheap on a large tenant; for a tenant with its own index the cap is
``exact_max + 1``, not the fallback's 20,001: counting 20k entities once a minute lifted the p95 of
the largest tenants above the forced tenant index's, 80 against 64 ms) and cached per tenant, labels
and cap for ``size_ttl_s``, as is the list of ONLINE tenant indexes: a tenant crosses a threshold slowly,
and a stale choice only costs time, never results (every strategy returns only the tenant's
entities; ``exact`` is the reference the tests hold the others to). A tenant index dropped
after it was listed fails the call with a :class:`SchemaError`; the call is then served
without it and the list is read again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Any

from kgcrm import cypher
from kgcrm.core.errors import SchemaError
from kgcrm.graph.gateway import GraphGateway
from kgcrm.graph.schema import server_version, supports_filtered_vector_index
from kgcrm.graph.tenant_vectors import NAMED_KINDS, online_tenant_indexes, tenant_index
from kgcrm.retrieval.overfetch import FetchSizes

Hits = list[dict[str, Any]]

#: Tenants with at most this many candidates (entities with an embedding and a wanted label)
#: are scanned exactly, whether they have an index of their own or not. Measured: see the
#: module docstring.
EXACT_MAX_CANDIDATES = 500
#: A tenant without an index of its own (below the policy's size, over its cap, or its index
#: still populating) is scanned exactly up to this many candidates, and over-fetched from the
#: shared index above: the crossover of those two (module docstring).
EXACT_FALLBACK_MAX = 20_000
#: The first (and, with the labels' usual share, every) fetch from a tenant's own index: 100
#: entries find ~0.93 of the exact scan's 10 nearest Person/Organization entities at 1M, 50 only ~0.8.
TENANT_FIRST_FETCH = 100


class Strategy(StrEnum):
    EXACT = "exact"
    ANN = "ann"
    IN_INDEX = "in_index"
    TENANT_INDEX = "tenant_index"


class TenantVectorSearch:
    """The nearest entities of one tenant to an embedding, by the strategy that suits the tenant.

    ``in_index``: ``None`` detects the server's support on first use; ``True``/``False`` forces it
    (tests of the selection, a known server). ``clock`` is for tests of the size cache.
    """

    def __init__(
        self,
        gateway: GraphGateway,
        *,
        exact_max: int = EXACT_MAX_CANDIDATES,
        exact_fallback_max: int = EXACT_FALLBACK_MAX,
        max_fetch: int = 4000,
        tenant_first_fetch: int = TENANT_FIRST_FETCH,
        size_ttl_s: float = 60.0,
        in_index: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.gateway = gateway
        self.exact_max = exact_max
        self.exact_fallback_max = max(exact_max, exact_fallback_max)
        self.size_ttl_s = size_ttl_s
        self._in_index = in_index
        self._clock = clock
        self.fetch_sizes = FetchSizes(first=100, maximum=max_fetch, growth=4)  # per strategy, tenant and labels
        # a tenant's own index holds only its entities: the fetch covers the labels' share alone
        self.tenant_fetch_sizes = FetchSizes(first=tenant_first_fetch, maximum=max_fetch, growth=4)
        self._sizes: dict[tuple[str, tuple[str, ...], int], tuple[float, int]] = {}
        self._tenant_indexes: tuple[float, frozenset[str]] | None = None  # (when read, ONLINE index names)
        self._lock = threading.Lock()

    # --- choosing ---------------------------------------------------------------------------

    def supports_in_index(self) -> bool:
        """The server filters inside the vector index (2026.01+) and the index has ``tenant_id`` to filter on."""
        if self._in_index is None:
            supported = supports_filtered_vector_index(server_version(self.gateway))
            if supported:
                rows = self.gateway.read("vector_index_filters", cypher.load("vector_index_filters"))
                supported = bool(rows) and "tenant_id" in (rows[0]["properties"] or [])
            self._in_index = supported
        return self._in_index

    def candidates(self, tenant_id: str, labels: Sequence[str] | None, *, cap: int | None = None) -> int:
        """How many entities an exact scan would score, counted up to ``cap`` (default ``exact_fallback_max + 1``;
        cached for ``size_ttl_s``, per cap)."""
        cap = self.exact_fallback_max + 1 if cap is None else cap
        key = (tenant_id, tuple(sorted(labels)) if labels else (), cap)
        now = self._clock()
        cached = self._sizes.get(key)
        if cached is not None and now - cached[0] < self.size_ttl_s:
            return cached[1]
        rows = self.gateway.read(
            "search_vector_candidates",
            cypher.load("search_vector_candidates"),
            {"tenant": tenant_id, "labels": list(labels) if labels else None, "cap": cap},
        )
        count = int(rows[0]["candidates"]) if rows else 0
        with self._lock:
            if len(self._sizes) >= 10_000:
                self._sizes.clear()
            self._sizes[key] = (now, count)
        return count

    def has_tenant_index(self, tenant_id: str, *, names: bool = False) -> bool:
        """The tenant has its own vector index (``names``: its index over people and organizations), ONLINE
        (the list is read again after ``size_ttl_s``)."""
        now = self._clock()
        cached = self._tenant_indexes
        if cached is None or now - cached[0] >= self.size_ttl_s:
            cached = (now, online_tenant_indexes(self.gateway))
            self._tenant_indexes = cached
        return tenant_index(tenant_id, names=names) in cached[1]

    def forget_tenant_indexes(self) -> None:
        """Read the tenant indexes again on the next call (one was dropped, or is not online)."""
        self._tenant_indexes = None

    def strategy_for(self, tenant_id: str, labels: Sequence[str] | None) -> Strategy:
        if self.supports_in_index():
            return Strategy.IN_INDEX
        if self.has_tenant_index(tenant_id):  # the scan up to exact_max, its own index above: count no further
            few = self.candidates(tenant_id, labels, cap=self.exact_max + 1) <= self.exact_max
            return Strategy.EXACT if few else Strategy.TENANT_INDEX
        if self.candidates(tenant_id, labels) <= self.exact_fallback_max:
            return Strategy.EXACT
        return Strategy.ANN

    # --- searching --------------------------------------------------------------------------

    def nearest(
        self,
        embedding: Sequence[float],
        tenant_id: str,
        *,
        labels: Sequence[str] | None = None,
        limit: int = 10,
        strategy: Strategy | None = None,
    ) -> Hits:
        """Up to ``limit`` entities of ``tenant_id`` (of ``labels``, if given), nearest first."""
        labels = list(labels) if labels else None
        chosen = strategy or self.strategy_for(tenant_id, labels)
        params: dict[str, Any] = {"embedding": list(embedding), "tenant": tenant_id, "labels": labels, "limit": limit}
        if chosen is Strategy.TENANT_INDEX:
            try:
                return self._tenant_index_nearest(params, tenant_id, labels, limit)
            except SchemaError:  # dropped (demoted) or rebuilding since it was listed: served without it
                if strategy is not None:
                    raise
                self.forget_tenant_indexes()
                chosen = self.strategy_for(tenant_id, labels)
                if chosen is Strategy.TENANT_INDEX:  # still listed ONLINE: this call goes without it
                    chosen = Strategy.ANN
        if chosen is Strategy.EXACT:
            rows = self.gateway.read("search_vector_exact", cypher.load("search_vector_exact"), params)
            return list(rows[0]["hits"]) if rows else []
        name = "search_vector" if chosen is Strategy.ANN else "search_vector_in_index"

        def query(fetch: int) -> tuple[Hits, int, int]:
            rows = self.gateway.read(name, cypher.load(name), params | {"fetch": fetch})
            return rows[0]["hits"], rows[0]["fetched"], rows[0]["matching"]

        return self.fetch_sizes.fetch((name, tenant_id, tuple(labels or ())), query, limit)

    def _tenant_index_nearest(
        self, params: dict[str, Any], tenant_id: str, labels: Sequence[str] | None, limit: int
    ) -> Hits:
        # people and organizations alone: the tenant's index over those, where other kinds do not crowd them out
        only_named = labels is not None and set(labels) <= set(NAMED_KINDS)  # nearest() makes an empty list None
        names = only_named and self.has_tenant_index(tenant_id, names=True)
        index = tenant_index(tenant_id, names=names)
        query_text = cypher.load("search_vector_tenant")

        def query(fetch: int) -> tuple[Hits, int, int]:
            rows = self.gateway.read("search_vector_tenant", query_text, params | {"index": index, "fetch": fetch})
            return rows[0]["hits"], rows[0]["fetched"], rows[0]["matching"]

        return self.tenant_fetch_sizes.fetch((index, tenant_id, tuple(labels or ())), query, limit)
