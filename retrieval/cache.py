"""Answers reused while the graph has not changed: the API's cache of resolutions and paths.

A resolution or a set of warm paths depends only on the graph (and, slowly, on the clock:
recency decays). :class:`AnswerCache` keeps recent answers keyed by the call (tenant
included: a key never crosses tenants) and by :class:`GraphVersion`, the sync's checkpoint
(``SyncState.last_seq`` and ``last_run_at``, written in the same transaction as every sync
batch, and by every full sync). When the sync writes anything, the version moves and every
cached answer is dropped; an answer is also dropped after ``max_age_s`` (the clock's part,
and writes the checkpoint does not cover: embeddings arriving after their batch, ``kgcrm
dedupe``'s edges).

The version is read at most once per ``check_every_s`` (one small query), so an answer can
be up to that much staler than the graph, which itself follows the CRM within about a second.
Errors are never cached.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from kgcrm.graph.gateway import GraphGateway

T = TypeVar("T")

_VERSION_QUERY = "MATCH (s:SyncState) RETURN s.id AS id, s.last_seq AS seq, toString(s.last_run_at) AS at ORDER BY id"


class GraphVersion:
    """The sync's checkpoint as a value that changes whenever the sync writes; read at most every ``check_every_s``."""

    def __init__(
        self, gateway: GraphGateway, *, check_every_s: float = 1.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.gateway = gateway
        self.check_every_s = check_every_s
        self.clock = clock
        self._lock = threading.Lock()
        self._value: tuple[Any, ...] | None = None
        self._read_at = float("-inf")
        self._reading = False  # a caller is reading the version (the others use the last value)

    def current(self) -> tuple[Any, ...]:
        """The version, read again when older than ``check_every_s``; the read happens outside the lock.

        While one caller reads, the others take the last value read (or, before the first read, read
        too): nobody waits behind another caller's query, and a failed read (Neo4j down) is raised to
        its caller only, without leaving the others queued behind it.
        """
        with self._lock:
            now = self.clock()
            fresh = self._value is not None and now - self._read_at < self.check_every_s
            if fresh or (self._value is not None and self._reading):
                return self._value  # type: ignore[return-value]
            self._reading = True
        try:
            rows = self.gateway.read("graph_version", _VERSION_QUERY, plain=True)
        finally:
            with self._lock:
                self._reading = False
        value = tuple((r["id"], r["seq"], r["at"]) for r in rows)
        with self._lock:
            if now >= self._read_at:  # a read started later may have finished first: keep the newer one
                self._value, self._read_at = value, now
            return value

    def expire(self) -> None:
        """Read the version again on the next call."""
        with self._lock:
            self._read_at = float("-inf")


class AnswerCache:
    """A bounded LRU of answers, valid for one graph version and at most ``max_age_s``."""

    def __init__(
        self,
        version: GraphVersion,
        *,
        max_entries: int = 4096,
        max_age_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.version = version
        self.max_entries = max_entries
        self.max_age_s = max_age_s
        self.clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._at_version: tuple[Any, ...] | None = None
        self.hits = 0
        self.misses = 0

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The cached answer for ``key``, or ``compute()``'s (cached when it returns; an error is not)."""
        version = self.version.current()
        now = self.clock()
        with self._lock:
            if version != self._at_version:
                self._entries.clear()
                self._at_version = version
            entry = self._entries.get(key)
            if entry is not None and now - entry[0] < self.max_age_s:
                self._entries.move_to_end(key)
                self.hits += 1
                return entry[1]  # type: ignore[no-any-return]
            self.misses += 1
        value = compute()
        with self._lock:
            if version == self._at_version:  # the graph moved on while computing: do not keep it
                self._entries[key] = (now, value)
                self._entries.move_to_end(key)
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
        return value

    def invalidate(self) -> None:
        """Drop every answer, and read the version again (after a write this process made)."""
        with self._lock:
            self._entries.clear()
        self.version.expire()
