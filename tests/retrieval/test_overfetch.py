"""Over-fetch sizing: grow until the tenant's hits suffice, then start from the tenant's observed share."""

from __future__ import annotations

from kgcrm.retrieval.overfetch import FetchSizes


class Index:
    """An index of ``size`` entries, a ``share`` of them the caller's (the rest: other tenants)."""

    def __init__(self, share: float, size: int = 1_000_000) -> None:
        self.share = share
        self.size = size
        self.calls: list[int] = []

    def query(self, limit: int):
        def run(fetch: int):
            self.calls.append(fetch)
            fetched = min(fetch, self.size)
            matching = int(fetched * self.share)
            return [{"id": i} for i in range(min(matching, limit))], fetched, matching

        return run


def test_the_first_search_grows_and_the_next_starts_from_the_tenants_share():
    sizes = FetchSizes(first=100, maximum=20_000, growth=4)
    index = Index(share=0.02)

    first = sizes.fetch("k", index.query(10), 10)
    calls_first = list(index.calls)
    index.calls.clear()
    second = sizes.fetch("k", index.query(10), 10)

    assert len(first) == len(second) == 10
    assert calls_first == [100, 750]  # after one look, sized by the share seen: 10 / 0.02 * 1.5
    assert index.calls == [750]  # one round trip


def test_a_small_index_stops_the_growth():
    sizes = FetchSizes(first=100, maximum=20_000, growth=10)
    index = Index(share=0.01, size=150)

    hits = sizes.fetch("k", index.query(10), 10)

    assert len(hits) == 1 and index.calls == [100, 1500]


def test_the_size_never_passes_the_maximum_even_when_nothing_matches():
    sizes = FetchSizes(first=100, maximum=5_000, growth=10)
    index = Index(share=0.0)

    assert sizes.fetch("k", index.query(10), 10) == []
    assert max(index.calls) == 5_000
    assert sizes.size_for("k", 10) == 5_000


def test_keys_are_apart():
    sizes = FetchSizes(first=100, maximum=20_000, growth=4)
    sizes.fetch(("q", "tenant-a"), Index(share=0.01).query(10), 10)

    assert sizes.size_for(("q", "tenant-b"), 10) == 100
    assert sizes.size_for(("q", "tenant-a"), 10) > 100
