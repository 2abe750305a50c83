"""Over-fetching from an index that cannot filter by tenant, sized by the tenant's share of it.

Neo4j 5.26's vector and fulltext indexes return the nearest entries of every tenant; the
queries keep the caller's tenant (and labels) right after the index call, so they ask for
more entries than they need (``fetch``) and ask again, for more, when other tenants crowd
the caller's out. The queries also say how many of the entries fetched were the caller's
(``matching``): :class:`FetchSizes` keeps, per query, tenant and labels, a running estimate
of that share and sizes the next fetch by it (``limit / share`` with a margin), so that
one round trip usually suffices, on a small tenant as on a large one.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Hashable
from typing import Any

Hits = list[dict[str, Any]]
#: ``query(fetch)`` → (the caller's hits, at most ``limit``; entries the index returned; of them, the caller's)
IndexQuery = Callable[[int], tuple[Hits, int, int]]

MARGIN = 1.5  # fetch this much more than the share predicts


class FetchSizes:
    def __init__(self, *, first: int, maximum: int, growth: int, max_keys: int = 10_000) -> None:
        self.first = first
        self.maximum = maximum
        self.growth = growth
        self.max_keys = max_keys
        self._shares: dict[Hashable, float] = {}
        self._lock = threading.Lock()

    def size_for(self, key: Hashable, limit: int) -> int:
        share = self._shares.get(key)
        if share is None:
            return self.first
        return self._clamp(math.ceil(limit / share * MARGIN))

    def fetch(self, key: Hashable, query: IndexQuery, limit: int) -> Hits:
        """Fetch until ``limit`` hits, the index ran out, or ``maximum``; the hits of the last call."""
        size = self.size_for(key, limit)
        while True:
            hits, fetched, matching = query(size)
            if fetched:
                self._observe(key, max(matching, 0.5) / fetched)
            if len(hits) >= limit or fetched < size or size >= self.maximum:
                return hits
            size = self._clamp(max(size * self.growth, self.size_for(key, limit)))

    def _clamp(self, size: int) -> int:
        return max(self.first, min(size, self.maximum))

    def _observe(self, key: Hashable, share: float) -> None:
        with self._lock:
            if len(self._shares) >= self.max_keys and key not in self._shares:
                self._shares.clear()
            previous = self._shares.get(key)
            self._shares[key] = share if previous is None else (previous + share) / 2
