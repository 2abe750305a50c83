"""The weighted strategy of a connections search: the graph weighs the ties and walks the paths.

Today's ``beam`` strategy (:meth:`ConnectionFinder._search`) grows the subgraph round by round, one
query per hop, pulls every tie's facts into Python and scores them there. This one asks the graph
for candidate paths in one query per call and scores facts in Python only for the few paths it
answers with:

1. **From the target**, ``cypher/connections_weighted_paths.cypher`` walks two levels out over the
   ties between people, each tie weighted in Cypher as :mod:`kgcrm.retrieval.strength` scores it
   (explicit ties, interactions at ``now``, overlapping tenures at ``today``), keeping the strongest
   ties per person and the best people per level: partial paths ``target → p1 (→ p2)``.
2. **From the team**, the same query gives the team's outgoing ties, one and two hops out
   (``member → b`` and ``member → b → x``): :class:`TeamTies`, cached per tenant (and start user)
   while the sync's checkpoint (:class:`~kgcrm.retrieval.cache.GraphVersion`) stands still and the
   day does not change. The paths meet in the middle: a partial path from the target that ends at
   ``x`` is completed by the team's ties of ``x`` (at most ``max_hops`` hops in all).
3. The strongest candidates (a few per chain of intermediaries) have their ties' facts, and the
   feedback on them, read in one query (``connections_path_facts``) and are scored again exactly,
   with the same Python scoring as the beam strategy; the answer is the best ``limit`` of them, one
   per chain.

So a call costs three small round trips for a person, whatever the team's size: the start (the
target and its walk: :func:`start`), the facts of a few ties, the interactions cited as evidence
(``connections_evidence``); an organization's people come with the start and are walked from in a
fourth. The team itself (``connections_team``) is cached with its ties, at its exact checkpoint.
Rows are read ``plain`` (no record export: the rows hold values only).

**Why the weights are computed in the query, not stored by the sync.** Every weight but an explicit
tie's depends on the clock (an interaction's recency, a running tenure's length, a past one's fade):
a weight stored at sync time would be stale the next day, and differently stale for each pair (an
incremental sync rewrites only some), which would also make the sync's result depend on when it
ran. The scoring constants live in :mod:`kgcrm.retrieval.strength`, above the sync's layer.
What the sync keeps is what the weight needs: ``INTERACTED {count, last_at}`` and ``WORKS_AT
{since, until}``, derived exactly and idempotently (``derive_interacted``, ``derive_works_at``).
"""

from __future__ import annotations

import heapq
import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar, cast

from kgcrm import cypher
from kgcrm.graph.gateway import GraphGateway
from kgcrm.retrieval import strength as st

QUERY = "connections_weighted_paths"

T = TypeVar("T")


@dataclass(frozen=True)
class WeightedLimits:
    """Bounds on the work of the weighted strategy.

    The per-call bounds were chosen on the 100k-row bench CRM (60 targets, the beam strategy as reference):
    at 20/10/2 the same first path for 57 of 60 and a top 3 at least as strong at every rank for 59 of 60,
    with the paths query about 6x cheaper than at 60/25/3 (which agreed no better)."""

    per_node: int = 10  # strongest ties of a person the query follows
    per_coworkers: int = 10  # co-workers per person and organization
    beam: int = 20  # level-1 people expanded further (and, for an organization, its people walked from)
    ways: int = 2  # paths kept per person of level 1 and 2
    team_per_node: int = 2000  # a team member's ties (the cache holds them all, up to this)
    team_per_coworkers: int = 300  # co-workers per person and organization, on the team's side (cached)
    team_beam: int = 5000  # the team's neighbours expanded for the two-hop cache
    team_ways: int = 3  # team members kept per neighbour
    team_chunk: int = 250  # level-1 people extended per query on the team's side (bounds the query's memory)
    team_threads: int = 2  # such queries at once
    bridges: int = 12  # team-side suffixes kept per node (the strongest)
    chains: int = 2  # candidate paths per chain of intermediaries scored exactly
    extra_chains: int = 3  # candidate chains scored exactly beyond the ``limit`` asked for


@dataclass(frozen=True)
class Partial:
    """A path from the target side: ids from the target (or the target organization's person)."""

    nodes: tuple[str, ...]
    score: float


@dataclass(frozen=True)
class TeamSide:
    """The team's ties, one and two hops out: node → its best suffixes (score, path from node to member)."""

    one: dict[str, list[tuple[float, tuple[str, ...]]]]
    two: dict[str, list[tuple[float, tuple[str, ...]]]]


DEFAULT_LIMITS = WeightedLimits()


def strength_params(params: st.StrengthParams, now: datetime, today: date) -> dict[str, Any]:
    """The scoring constants and the clock, as the query's parameters."""
    return {
        "kind_defaults": dict(params.kind_defaults),
        "unknown_kind_default": params.unknown_kind_default,
        "frequency_scale": params.frequency_scale,
        "recency_floor": params.recency_floor,
        "half_life_days": params.half_life_days,
        "now_ms": int(now.timestamp() * 1000),
        "today": today,
        "unknown_tenure_days": params.unknown_tenure_days,
        "coworker_max": params.coworker_max,
        "overlap_scale_days": params.overlap_scale_days,
        "past_half_life_days": params.past_half_life_days,
        "team_size": params.team_size,
    }


def walk(
    gateway: GraphGateway,
    tenant_id: str,
    starts: Sequence[tuple[str, float]],
    *,
    stop: Sequence[str],
    exclude: Sequence[str],
    levels: int,
    per_node: int,
    per_coworkers: int,
    beam: int,
    ways: int,
    weights: dict[str, Any],
) -> list[Partial]:
    """Partial paths of one and two levels from ``starts`` (one query)."""
    if not starts or levels < 1:
        return []
    return _walk(
        gateway,
        tenant_id,
        [{"id": s, "score": score} for s, score in starts],
        stop=stop,
        exclude=exclude,
        levels=levels,
        per_node=per_node,
        per_coworkers=per_coworkers,
        beam=beam,
        ways=ways,
        weights=weights,
    )


def extend(
    gateway: GraphGateway,
    tenant_id: str,
    reached: Sequence[tuple[str, Sequence[Partial]]],
    *,
    exclude: Sequence[str],
    per_node: int,
    per_coworkers: int,
    ways: int,
    weights: dict[str, Any],
) -> list[Partial]:
    """One level more (one query): the partial paths that reach each node of ``reached`` (node, its ways),
    continued over the node's ``per_node`` strongest ties, never back into their own nodes nor into
    ``exclude``; the ``ways`` strongest paths kept per node reached. What the second level of :func:`walk`
    gives for these nodes, and a query's memory bounded by the number of nodes asked at once."""
    if not reached:
        return []
    return _walk(
        gateway,
        tenant_id,
        [
            {"id": node, "ways": [{"path": list(p.nodes[:-1]), "score": p.score} for p in node_ways]}
            for node, node_ways in reached
        ],
        stop=[],
        exclude=exclude,
        levels=1,
        per_node=per_node,
        per_coworkers=per_coworkers,
        beam=0,
        ways=ways,
        weights=weights,
    )


def _walk(
    gateway: GraphGateway,
    tenant_id: str,
    starts: list[dict[str, Any]],
    *,
    stop: Sequence[str],
    exclude: Sequence[str],
    levels: int,
    per_node: int,
    per_coworkers: int,
    beam: int,
    ways: int,
    weights: dict[str, Any],
) -> list[Partial]:
    rows = gateway.read(
        QUERY,
        cypher.load(QUERY),
        {
            **weights,
            "tenant": tenant_id,
            "target": None,
            "limit": 0,
            "starts": starts,
            "stop": list(stop),
            "exclude": list(exclude),
            "levels": levels,
            "per_node": per_node,
            "per_coworkers": per_coworkers,
            "beam": beam,
            "ways": ways,
        },
        plain=True,
    )
    return [p for row in rows for p in partials(row)]


def start(
    gateway: GraphGateway,
    tenant_id: str,
    target_id: str,
    *,
    org_people: int,
    stop: Sequence[str],
    levels: int,
    per_node: int,
    per_coworkers: int,
    beam: int,
    ways: int,
    weights: dict[str, Any],
) -> dict[str, Any]:
    """A search's start, in one query: the target (``id``, ``name``, ``type``; None when ``target_id`` is no
    Person or Organization of the tenant), an organization's ``people`` (at most ``org_people`` roles: see
    ``cypher/connections_weighted_paths.cypher``) and, for a person, the walk from it as :func:`walk` makes it
    (``levels`` 0: none); :func:`partials` reads the walk."""
    rows = gateway.read(
        QUERY,
        cypher.load(QUERY),
        {
            **weights,
            "tenant": tenant_id,
            "target": target_id,
            "limit": org_people,
            "starts": None,
            "stop": list(stop),
            "exclude": [target_id],
            "levels": levels,
            "per_node": per_node,
            "per_coworkers": per_coworkers,
            "beam": beam,
            "ways": ways,
        },
        plain=True,
    )
    return rows[0]


def partials(row: dict[str, Any]) -> list[Partial]:
    """The partial paths of one row of the walk query (level 1, then level 2)."""
    out = [Partial(tuple(way["path"]), float(way["score"])) for entry in row["level1"] for way in entry]
    out += [Partial(tuple(way["path"]), float(way["score"])) for way in row["level2"]]
    return out


def team_side(
    gateway: GraphGateway,
    tenant_id: str,
    team: Sequence[str],
    limits: WeightedLimits,
    weights: dict[str, Any],
    max_hops: int,
) -> TeamSide:
    """The team's ties one and two hops out (never through another member), the strongest first.

    The first level is one query; the second extends the ``team_beam`` strongest level-1 people
    ``team_chunk`` at a time (:func:`extend`) and keeps, per node, the ``team_ways`` strongest paths of all
    chunks: the same paths as one two-level :func:`walk`, but a query's memory no longer grows with the
    team's whole two-hop network (at 1M rows, one query for a whole team exhausted a 2 GiB heap's
    transaction pool)."""
    first = walk(
        gateway,
        tenant_id,
        [(m, 1.0) for m in team],
        stop=team,
        exclude=team,
        levels=1,
        per_node=limits.team_per_node,
        per_coworkers=limits.team_per_coworkers,
        beam=limits.team_beam,
        ways=limits.team_ways,
        weights=weights,
    )
    reached: dict[str, list[Partial]] = {}  # level-1 people, strongest first (the query's order)
    for p in first:
        reached.setdefault(p.nodes[-1], []).append(p)
    second: list[Partial] = []
    if max_hops >= 3:
        expanded = list(reached.items())[: limits.team_beam]
        chunks = [expanded[at : at + limits.team_chunk] for at in range(0, len(expanded), limits.team_chunk)]

        def extend_chunk(chunk: list[tuple[str, list[Partial]]]) -> list[Partial]:
            return extend(
                gateway,
                tenant_id,
                chunk,
                exclude=team,
                per_node=limits.team_per_node,
                per_coworkers=limits.team_per_coworkers,
                ways=limits.team_ways,
                weights=weights,
            )

        # a few chunks at a time: each query runs on one of the server's cores (a rare computation: cached)
        with ThreadPoolExecutor(max_workers=limits.team_threads, thread_name_prefix="team-side") as pool:
            for found in pool.map(extend_chunk, chunks):
                second += found
    one: dict[str, list[tuple[float, tuple[str, ...]]]] = defaultdict(list)
    two: dict[str, list[tuple[float, tuple[str, ...]]]] = defaultdict(list)
    for p in first + second:
        suffix = tuple(reversed(p.nodes))  # from the far node back to the member
        (one if len(p.nodes) == 2 else two)[p.nodes[-1]].append((p.score, suffix))
    for side, keep in ((one, limits.bridges), (two, min(limits.bridges, limits.team_ways))):
        for items in side.values():
            items.sort(key=lambda i: (-i[0], i[1]))
            del items[keep:]
    return TeamSide(dict(one), dict(two))


class TeamTies:
    """:func:`team_side` per (tenant, team, day), kept while the sync's checkpoint stands still; and the team
    itself (per tenant and start user, never kept past its checkpoint: ``exact``).

    ``version``: the checkpoint (``GraphVersion.current``); None: nothing is cached. ``refresh_every_s``
    bounds the recomputations of a busy CRM, whose checkpoint moves every few seconds: a team's ties are
    kept that long even when it moved (they only choose the candidates; the answer's paths are scored
    again on their facts). At most ``max_entries`` teams are kept (least recently used dropped).
    Thread-safe, and one computation per key at a time: the callers that miss while another computes the
    same key wait for its answer (a burst of requests for one team asks the graph once), or take the
    previous answer when there is one (a whole team's ties take seconds on a large CRM: nobody waits for
    a refresh); an error is raised to the computing caller and the waiting ones compute again.
    """

    def __init__(
        self,
        version: Callable[[], Hashable] | None,
        *,
        max_entries: int = 64,
        refresh_every_s: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.version = version
        self.max_entries = max_entries
        self.refresh_every_s = refresh_every_s
        self.clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, tuple[Hashable, float, Any]] = OrderedDict()
        self._computing: dict[Hashable, threading.Event] = {}
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, compute: Callable[[], T], *, exact: bool = False) -> T:
        """``compute()``'s value for ``key``, cached. ``exact``: never serve a value of another checkpoint (no
        ``refresh_every_s``, no previous value while a refresh runs): for the team itself, who may start a path."""
        if self.version is None:
            return compute()
        version = self.version()
        stale_s = 0.0 if exact else self.refresh_every_s
        while True:
            with self._lock:
                found = self._entries.get(key)
                if found is not None and (found[0] == version or self.clock() - found[1] < stale_s):
                    self._entries.move_to_end(key)
                    self.hits += 1
                    return cast(T, found[2])
                running = self._computing.get(key)
                if running is not None and found is not None and not exact:  # stale, being recomputed: the old one
                    self.hits += 1
                    return cast(T, found[2])
                if running is None:
                    self.misses += 1
                    done = self._computing[key] = threading.Event()
                    break
            running.wait()
        try:
            value = compute()
            with self._lock:
                self._entries[key] = (version, self.clock(), value)
                self._entries.move_to_end(key)
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
            return value
        finally:
            with self._lock:
                del self._computing[key]
            done.set()


def candidates(
    partials: Sequence[Partial],
    side: TeamSide,
    members: set[str],
    *,
    max_hops: int,
    limits: WeightedLimits,
    limit: int,
    affiliated: frozenset[str] = frozenset(),
) -> list[tuple[float, tuple[str, ...]]]:
    """Whole paths (score, nodes from the target to a member): partials met with the team's suffixes.

    ``affiliated``: the target organization's people, who may only be the first hop from it (the path
    that ends at one of them is shorter and stronger than a detour through another).

    The strongest ``limit + extra_chains`` chains of intermediaries, ``chains`` paths each. The partials are
    met strongest first, and the meeting stops once no partial left can make the ``4 * chains * (limit +
    extra_chains)`` strongest whole paths (a suffix scores at most the strongest suffix of all).
    """
    pool = 4 * limits.chains * (limit + limits.extra_chains)
    best_suffix = max((items[0][0] for side_ in (side.one, side.two) for items in side_.values() if items), default=0.0)
    bound = max(1.0, best_suffix)  # a partial that ends at a member is whole already (times 1)
    floor: list[float] = []  # the `pool` strongest whole scores so far (a min-heap)
    whole: list[tuple[float, tuple[str, ...]]] = []

    def keep(score: float, nodes: tuple[str, ...]) -> None:
        whole.append((score, nodes))
        if len(floor) < pool:
            heapq.heappush(floor, score)
        elif score > floor[0]:
            heapq.heapreplace(floor, score)

    for p in sorted(partials, key=lambda p: (-p.score, p.nodes)):
        if len(floor) == pool and p.score * bound < floor[0]:
            break
        hops = len(p.nodes) - 1
        last = p.nodes[-1]
        if last in members:
            keep(p.score, p.nodes)
            continue
        for suffixes, extra in ((side.one.get(last, ()), 1), (side.two.get(last, ()), 2)):
            if hops + extra > max_hops:
                continue
            for score, suffix in suffixes:
                rest = suffix[1:]
                if any(n in p.nodes or n in affiliated for n in rest):
                    continue
                keep(p.score * score, (*p.nodes, *rest))
    whole.sort(key=lambda w: (-w[0], w[1]))
    per_chain: dict[tuple[str, ...], int] = {}
    kept: list[tuple[float, tuple[str, ...]]] = []
    for score, nodes in whole:
        chain = nodes[1:-1]
        seen = per_chain.get(chain)
        if seen is None and len(per_chain) >= limit + limits.extra_chains:
            continue
        if seen is not None and seen >= limits.chains:
            continue
        per_chain[chain] = (seen or 0) + 1
        kept.append((score, nodes))
    return kept
