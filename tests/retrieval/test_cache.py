"""The answer cache: reused while the sync's checkpoint stands still, dropped when it moves, aged out,
bounded, and never a cached error."""

from __future__ import annotations

import pytest

from kgcrm import cypher
from kgcrm.graph.gateway import GraphGateway
from kgcrm.retrieval.cache import AnswerCache, GraphVersion
from kgcrm.sync.engine import CHECKPOINT_SOURCE

pytestmark = pytest.mark.neo4j


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def gateway(neo4j_driver, clean_graph) -> GraphGateway:
    return GraphGateway(neo4j_driver)


def checkpoint(gateway: GraphGateway, seq: int) -> None:
    """What every sync batch writes in its transaction."""
    gateway.write("checkpoint", cypher.load("sync_checkpoint_write"), {"source": CHECKPOINT_SOURCE, "last_seq": seq})


class Counter:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> int:
        self.calls += 1
        return self.calls


def test_an_answer_is_reused_until_the_sync_writes(gateway):
    clock = Clock()
    cache = AnswerCache(GraphVersion(gateway, check_every_s=1.0, clock=clock), clock=clock)
    compute = Counter()
    checkpoint(gateway, 1)

    first = cache.get_or_compute(("resolve", "t1", "Bob"), compute)
    again = cache.get_or_compute(("resolve", "t1", "Bob"), compute)
    checkpoint(gateway, 2)
    within_the_check_interval = cache.get_or_compute(("resolve", "t1", "Bob"), compute)
    clock.now += 1.0
    after = cache.get_or_compute(("resolve", "t1", "Bob"), compute)

    assert (first, again, within_the_check_interval, after) == (1, 1, 1, 2)
    assert (cache.hits, cache.misses) == (2, 2)


def test_invalidate_drops_answers_at_once(gateway):
    clock = Clock()
    cache = AnswerCache(GraphVersion(gateway, check_every_s=60.0, clock=clock), clock=clock)
    compute = Counter()

    cache.get_or_compute("k", compute)
    checkpoint(gateway, 7)
    cache.invalidate()

    assert cache.get_or_compute("k", compute) == 2


def test_other_keys_other_answers_and_old_answers_expire(gateway):
    clock = Clock()
    cache = AnswerCache(GraphVersion(gateway, clock=clock), max_age_s=60.0, clock=clock)

    a = cache.get_or_compute(("resolve", "tenant-a", "Acme"), lambda: "a")
    b = cache.get_or_compute(("resolve", "tenant-b", "Acme"), lambda: "b")
    clock.now += 59.0
    kept = cache.get_or_compute(("resolve", "tenant-a", "Acme"), lambda: "recomputed")
    clock.now += 1.0
    aged = cache.get_or_compute(("resolve", "tenant-a", "Acme"), lambda: "recomputed")

    assert (a, b, kept, aged) == ("a", "b", "a", "recomputed")


def test_the_cache_is_bounded_least_recently_used_first(gateway):
    cache = AnswerCache(GraphVersion(gateway), max_entries=2)

    cache.get_or_compute("one", lambda: 1)
    cache.get_or_compute("two", lambda: 2)
    cache.get_or_compute("one", lambda: -1)  # used: "two" is now the oldest
    cache.get_or_compute("three", lambda: 3)

    assert cache.get_or_compute("one", lambda: -1) == 1
    assert cache.get_or_compute("two", lambda: "recomputed") == "recomputed"


def test_an_error_is_not_cached(gateway):
    cache = AnswerCache(GraphVersion(gateway))

    def fail() -> int:
        raise RuntimeError("Neo4j hiccup")

    with pytest.raises(RuntimeError):
        cache.get_or_compute("k", fail)

    assert cache.get_or_compute("k", lambda: 5) == 5
