"""The search: :class:`ConnectionFinder` grows a subgraph from the target towards the team, then
enumerates the strongest paths (see :mod:`kgcrm.retrieval.connections`)."""

from __future__ import annotations

import heapq
import itertools
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal, Protocol

from kgcrm import cypher
from kgcrm.core.errors import AmbiguousTargetError, DataError, KgcrmError, NotFoundError
from kgcrm.graph.gateway import GraphGateway
from kgcrm.retrieval import strength as st
from kgcrm.retrieval.connections import weighted as wt
from kgcrm.retrieval.connections.explain import evidence, explain, known_summary, tie_summary
from kgcrm.retrieval.connections.facts import (
    KNOWS,
    ORGANIZATION,
    PERSON,
    SAME_AS_KIND,
    TARGET_TYPES,
    USER,
    AffiliationFact,
    KnownPerson,
    PeopleWeKnow,
    RoleFact,
    Subgraph,
    TieReport,
    as_date,
    as_datetime,
    tie_key,
)
from kgcrm.retrieval.types import Connections, EntityRef, Hop, IntroPath, Resolution, RowEvidence

MAX_HOPS = 4
MAX_LIMIT = 50

#: How a search finds its paths: ``weighted`` (the graph weighs the ties and walks the paths, one query per
#: call: :mod:`kgcrm.retrieval.connections.weighted`) or ``beam`` (the subgraph grown round by round and
#: scored in Python: the strategy before it, kept as the benchmarks' baseline).
Strategy = Literal["weighted", "beam"]
STRATEGIES: tuple[Strategy, ...] = ("weighted", "beam")


class Resolver(Protocol):
    """What :class:`ConnectionFinder` needs of ``kgcrm.retrieval.resolve.EntityResolver``."""

    def resolve(self, text: str, tenant_id: str, types: Sequence[str] | None = ..., limit: int = ...) -> Resolution: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SearchLimits:
    """Bounds on the work of one search."""

    beam_width: int = 40  # people whose ties are fetched per round
    per_kind: int = 25  # explicit ties, and interaction ties, fetched per person
    per_coworkers: int = 10  # co-workers fetched per person and organization (those tied to the team first)
    org_people: int = 300  # roles of an organization (and its family) the search starts from
    bridge_width: int = 300  # people of the last round checked for ties to the team
    max_pops: int = 20_000  # partial paths the enumeration may look at
    interactions_per_hop: int = 5  # interactions cited as evidence of an INTERACTED hop


@dataclass(frozen=True)
class _Member:
    user_id: str
    user_name: str | None
    person_id: str
    person_name: str | None


@dataclass(frozen=True)
class _Found:
    score: float
    nodes: tuple[str, ...]  # from the team member's person to the target


class ConnectionFinder:
    """Warm-introduction paths from the tenant's team to a person or an organization."""

    def __init__(
        self,
        gateway: GraphGateway,
        *,
        clock: Callable[[], datetime] = utc_now,
        params: st.StrengthParams = st.DEFAULT_PARAMS,
        limits: SearchLimits = SearchLimits(),
        resolver: Resolver | None = None,
        strategy: Strategy = "weighted",
        weighted_limits: wt.WeightedLimits = wt.DEFAULT_LIMITS,
        team_ties: wt.TeamTies | None = None,
    ) -> None:
        if strategy not in STRATEGIES:
            raise KgcrmError(f"ConnectionFinder: strategy must be one of {', '.join(STRATEGIES)}, not {strategy!r}")
        self.gateway = gateway
        self.clock = clock
        self.params = params
        self.limits = limits
        self.resolver = resolver
        self.strategy = strategy
        self.weighted_limits = weighted_limits
        self.team_ties = team_ties if team_ties is not None else wt.TeamTies(None)  # None: nothing cached

    # --- public questions ---------------------------------------------------------------------

    def connections(
        self,
        target_id: str,
        tenant_id: str,
        from_user: str | None = None,
        max_hops: int = MAX_HOPS,
        limit: int = 5,
    ) -> Connections:
        """The strongest paths (at most ``limit``, of at most ``max_hops`` hops) from the team to the target."""
        found = self.connections_by_id(target_id, tenant_id, from_user, max_hops, limit)
        if found is None:
            raise NotFoundError(f"{target_id}: no person or organization with this id in this tenant")
        return found

    def connections_by_id(
        self,
        target_id: str,
        tenant_id: str,
        from_user: str | None = None,
        max_hops: int = MAX_HOPS,
        limit: int = 5,
    ) -> Connections | None:
        """As :meth:`connections`; None when ``target_id`` is no person or organization of the tenant (the API
        tries its ``target`` so, as an id, before it resolves it as text: no lookup of the id first)."""
        _check_range("max_hops", max_hops, 1, MAX_HOPS)
        _check_range("limit", limit, 1, MAX_LIMIT)
        now = self._now()
        graph = Subgraph()
        if self.strategy == "weighted":
            # three round trips: the target with a person's paths (or an organization's people), an organization's
            # paths, the facts of the candidates; and a fourth for the interactions cited as evidence. The team
            # and its ties come from the cache.
            team = self._team(tenant_id, from_user)
            weights = wt.strength_params(self.params, now, now.date())
            started = self._weighted_start(graph, target_id, team, tenant_id, max_hops, weights)
            if started is None:
                return None
            if from_user is not None and not team:
                raise NotFoundError(f"user {from_user}: no active user with a person record in this tenant")
            target, roles, walked = started
            found = self._weighted(graph, target, team, roles, walked, tenant_id, max_hops, limit, now, weights)
            interactions = self._evidence(graph, found, tenant_id)
        else:
            begun = self._start_or_none(target_id, tenant_id, from_user)
            if begun is None:
                return None
            target, team = begun
            graph.names[target.id] = target.name
            self._search(graph, target, team, tenant_id, max_hops, limit, now)
            found = self._enumerate(graph, target.id, team, max_hops, limit, now)
            interactions = self._interactions(graph, found, tenant_id, now)
        paths = self._paths(graph, target, team, found, now, interactions, you=from_user is not None)
        return Connections(target=target, paths=paths)

    def connections_for_text(
        self,
        text: str,
        tenant_id: str,
        from_user: str | None = None,
        max_hops: int = MAX_HOPS,
        limit: int = 5,
    ) -> Connections:
        """As :meth:`connections`, for a free-text target resolved first (needs a resolver)."""
        if self.resolver is None:
            raise KgcrmError("ConnectionFinder: a free-text target needs a resolver (pass resolver=...)")
        resolution = self.resolver.resolve(text, tenant_id, types=list(TARGET_TYPES), limit=5)
        if not resolution.candidates:
            raise NotFoundError(f"no person or organization matches '{text}'")
        if resolution.ambiguous:
            raise AmbiguousTargetError(text, resolution.candidates)
        return self.connections(resolution.candidates[0].id, tenant_id, from_user, max_hops, limit)

    def who_we_know_at(self, org_id: str, tenant_id: str, limit: int = MAX_LIMIT) -> PeopleWeKnow:
        """People at an organization (now or before, its subsidiaries and groups included) with a direct tie
        to someone on the team, each with their strongest such tie; strongest first."""
        _check_range("limit", limit, 1, 10 * MAX_LIMIT)
        now = self._now()
        target, team = self._start(org_id, tenant_id, None)
        if target.type != ORGANIZATION:
            raise NotFoundError(f"organization {org_id}: no such organization in this tenant")
        graph = Subgraph()
        graph.names[target.id] = target.name
        roles = self._org_people(graph, target, tenant_id, now.date())
        starts = {m.person_id for m in team}
        people = [p for p in roles if p not in starts]
        self._fetch(graph, people, tenant_id, now.date(), team=sorted(starts), only=sorted(starts))
        best: dict[str, _Found] = {}
        for person in people:
            scored = [(tie.score(now, self.params)[0], s) for s in starts if (tie := graph.get(person, s)) is not None]
            if scored:
                strength, start = max(scored)
                best[person] = _Found(strength, (start, person))
        direct = list(best.values())
        ties = self._paths(
            graph, target, team, direct, now, self._interactions(graph, direct, tenant_id, now), you=False
        )
        known: list[KnownPerson] = []
        for (person, found), path in zip(best.items(), ties, strict=True):
            fact = max(roles[person], key=lambda f: (f.role.until is None, -f.distance, f.role.until or date.max))
            known.append(
                KnownPerson(
                    person=EntityRef(id=person, type=PERSON, name=graph.names.get(person)),
                    organization=EntityRef(id=fact.role.org_id, type=ORGANIZATION, name=fact.role.org_name),
                    title=fact.role.title,
                    current=fact.role.until is None,
                    strength=round(found.score, 6),
                    tie=path,
                )
            )
        known.sort(key=lambda k: (-k.strength, k.person.name or "", k.person.id))
        known = known[:limit]
        return PeopleWeKnow(organization=target, people=known, summary=known_summary(target, known))

    def how_well_do_we_know(self, target_id: str, tenant_id: str, *, window_days: int = 90) -> TieReport:
        """The team's strongest tie to a person or organization, and whether interactions with them
        rise or fall: the last ``window_days`` against the ``window_days`` before."""
        _check_range("window_days", window_days, 1, 3650)
        now = self._now()
        target, team = self._start(target_id, tenant_id, None)
        direct_hops = 1 if target.type == PERSON else 2  # to the person, or to someone at the organization
        best = self.connections(target_id, tenant_id, max_hops=direct_hops, limit=1)
        direct = bool(best.paths)
        if not direct:
            best = self.connections(target_id, tenant_id, max_hops=MAX_HOPS, limit=1)
        if target.type == PERSON:
            people = [target.id]
        else:
            roles = self._org_people(Subgraph(), target, tenant_id, now.date())
            people = [p for p, facts in roles.items() if any(f.role.until is None for f in facts)]
        window = timedelta(days=window_days)
        rows = self.gateway.read(
            "connections_trend",
            cypher.load("connections_trend"),
            {
                "tenant": tenant_id,
                "people": people,
                "team": [m.person_id for m in team],
                "since": now - 2 * window,
                "until": now,
            },
        )
        # occurred_at is never null here: the query keeps only interactions inside [since, until)
        times = {r["id"]: at for r in rows if (at := as_datetime(r["occurred_at"])) is not None}
        recent = sum(1 for t in times.values() if t >= now - window)
        report = TieReport(
            target=target,
            strongest=best.paths[0] if best.paths else None,
            direct=direct,
            window_days=window_days,
            recent_interactions=recent,
            previous_interactions=len(times) - recent,
            trend=st.trend(recent, len(times) - recent),
            last_interaction_at=max(times.values(), default=None),
            summary="",
        )
        return report.model_copy(update={"summary": tie_summary(report)})

    # --- lookups ------------------------------------------------------------------------------

    def _now(self) -> datetime:
        now = self.clock()
        return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)

    def _start(self, target_id: str, tenant_id: str, from_user: str | None) -> tuple[EntityRef, list[_Member]]:
        """The target (NotFoundError unless a Person or Organization of the tenant) and the team (or ``from_user``)."""
        started = self._start_or_none(target_id, tenant_id, from_user)
        if started is None:
            raise NotFoundError(f"{target_id}: no person or organization with this id in this tenant")
        return started

    def _start_or_none(
        self, target_id: str, tenant_id: str, from_user: str | None
    ) -> tuple[EntityRef, list[_Member]] | None:
        """As :meth:`_start`; None for no such target."""
        rows = self.gateway.read(
            "connections_start",
            cypher.load("connections_start"),
            {"id": target_id, "tenant": tenant_id, "user": from_user},
        )
        row = rows[0]
        if row["id"] is None:
            return None
        if from_user is not None and not row["team"]:
            raise NotFoundError(f"user {from_user}: no active user with a person record in this tenant")
        team = [_Member(m["user_id"], m["user_name"], m["person_id"], m["person_name"]) for m in row["team"]]
        return EntityRef(id=row["id"], type=row["type"], name=row["name"]), team

    def _org_people(
        self, graph: Subgraph, org: EntityRef, tenant_id: str, today: date
    ) -> dict[str, list[AffiliationFact]]:
        rows = self.gateway.read(
            "connections_org_people",
            cypher.load("connections_org_people"),
            {"id": org.id, "tenant": tenant_id, "today": today, "limit": self.limits.org_people},
        )
        return _add_roles(
            graph,
            org,
            ([r[k] for k in _ROLE_COLUMNS] for r in rows),
        )

    def _weighted_start(
        self,
        graph: Subgraph,
        target_id: str,
        team: Sequence[_Member],
        tenant_id: str,
        max_hops: int,
        weights: dict[str, Any],
    ) -> tuple[EntityRef, dict[str, list[AffiliationFact]], list[wt.Partial]] | None:
        """The target (None unless a Person or Organization of the tenant), an organization's people's roles
        (added to ``graph``, as :meth:`_org_people`) and a person's partial paths, in one query (:func:`wt.start`)."""
        lim = self.weighted_limits
        members = sorted({m.person_id for m in team} - {target_id})
        row = wt.start(
            self.gateway,
            tenant_id,
            target_id,
            org_people=self.limits.org_people,
            stop=members,
            levels=min(2, max_hops - 1) if members else 0,
            per_node=lim.per_node,
            per_coworkers=lim.per_coworkers,
            beam=lim.beam,
            ways=lim.ways,
            weights=weights,
        )
        if row["id"] is None:
            return None
        target = EntityRef(id=row["id"], type=row["type"], name=row["name"])
        graph.names[target.id] = target.name
        if target.type == ORGANIZATION:
            return target, _add_roles(graph, target, row["people"]), []
        return target, {}, wt.partials(row)

    def _team(self, tenant_id: str, from_user: str | None) -> list[_Member]:
        """The team (or ``from_user``: empty when that is no active user with a person record), kept with the
        team's ties while the sync's checkpoint stands still (never longer: a user who leaves the team leaves it
        with the next checkpoint)."""

        def fetch() -> tuple[_Member, ...]:
            rows = self.gateway.read(
                "connections_team",
                cypher.load("connections_team"),
                {"tenant": tenant_id, "user": from_user},
                plain=True,
            )
            return tuple(_Member(r["user_id"], r["user_name"], r["person_id"], r["person_name"]) for r in rows)

        return list(self.team_ties.get(("connections_team_members", tenant_id, from_user), fetch, exact=True))

    def _fetch(
        self,
        graph: Subgraph,
        ids: Sequence[str],
        tenant_id: str,
        today: date,
        *,
        team: Sequence[str],
        only: Sequence[str] | None = None,
    ) -> set[str]:
        """Fetch the ties of ``ids`` (to ``only``, when given) into ``graph``; the neighbours seen.

        ``team``: the people paths start from (co-workers tied to them come first when there are many)."""
        if not ids:
            return set()
        rows = self.gateway.read(
            "connections_ties",
            cypher.load("connections_ties"),
            {
                "ids": list(ids),
                "tenant": tenant_id,
                "today": today,
                "per_kind": self.limits.per_kind,
                "per_coworkers": self.limits.per_coworkers,
                "only": list(only) if only is not None else None,
                "team": list(team),
            },
        )
        rows = self._honour_feedback(rows, ids, tenant_id, only)
        return {r["target"] for r in rows if graph.add_row(r, today, self.params)}

    # --- feedback (issue 14): kept in one place, for the lead to port ----------------------------

    def _honour_feedback(
        self, rows: list[dict[str, Any]], ids: Sequence[str], tenant_id: str, only: Sequence[str] | None
    ) -> list[dict[str, Any]]:
        """Drop the ties a user dismissed; add a confirmed duplicate (SAME_AS) as a tie of full strength,
        so that the two records act as one person and the path cites both (and the feedback row)."""
        decisions = self.gateway.read(
            "feedback_ties",
            cypher.load("feedback_ties"),
            {"ids": list(ids), "tenant": tenant_id, "only": list(only) if only is not None else None},
        )
        return _apply_feedback(rows, decisions)

    def _pair_ties(self, graph: Subgraph, pairs: Sequence[tuple[str, str]], tenant_id: str, today: date) -> None:
        """Fetch the facts between these pairs of people into ``graph``, and the feedback on them
        (``connections_path_facts``: one query)."""
        if not pairs:
            return
        row = self.gateway.read(
            "connections_path_facts",
            cypher.load("connections_path_facts"),
            {
                "pairs": [{"a": a, "b": b} for a, b in pairs],
                "ids": sorted({p for pair in pairs for p in pair}),
                "tenant": tenant_id,
            },
            plain=True,
        )[0]
        # feedback (issue 14): a dismissed tie leaves the final scoring, so no path is built on it
        for r in _apply_feedback(row["ties"], row["decisions"]):
            if r.get("source_name") is not None:  # a confirmed duplicate's tie (feedback) carries no source name
                graph.names.setdefault(r["source"], r["source_name"])
            graph.add_row(r, today, self.params)

    def _evidence(
        self, graph: Subgraph, found: Sequence[_Found], tenant_id: str
    ) -> dict[tuple[str, str], list[RowEvidence]]:
        """The interactions cited as evidence of the INTERACTED hops of ``found`` (``connections_evidence``: the
        rows of ``connections_interactions``, cheaper)."""
        pairs = sorted(
            {
                tie_key(a, b)
                for f in found
                for a, b in itertools.pairwise(f.nodes)
                if graph.ties[tie_key(a, b)].interacted is not None
            }
        )
        if not pairs:
            return {}
        rows = self.gateway.read(
            "connections_evidence",
            cypher.load("connections_evidence"),
            {
                "pairs": [{"a": a, "b": b} for a, b in pairs],
                "tenant": tenant_id,
                "per_pair": self.limits.interactions_per_hop,
            },
            plain=True,
        )
        return _interaction_evidence(rows)

    # --- search -------------------------------------------------------------------------------

    def _search(
        self,
        graph: Subgraph,
        target: EntityRef,
        team: Sequence[_Member],
        tenant_id: str,
        max_hops: int,
        limit: int,
        now: datetime,
    ) -> None:
        """Grow the subgraph from the target, round by round, towards the team."""
        today = now.date()
        starts = {m.person_id for m in team} - {target.id}
        if not starts:
            return
        best: dict[str, float] = {target.id: 1.0}  # best score of a path from a person to the target, so far
        layer: dict[str, int] = {target.id: 0}
        complete: dict[str, float] = {}  # best score of a whole path through each person next to the team
        waiting = [target.id]  # seen, not expanded yet (best first)
        for depth in range(1, max_hops + 1):
            last = depth == max_hops
            if depth == 1 and target.type == ORGANIZATION:
                seen = set(self._org_people(graph, target, tenant_id, today))
                if last:  # one hop: only team members who work there
                    seen &= starts
                waiting = []
            else:
                # the last round asks only for ties to the team, of everyone seen but not expanded
                width = self.limits.bridge_width if last else self.limits.beam_width
                expand, waiting = waiting[:width], waiting[width:]
                seen = self._fetch(
                    graph, expand, tenant_id, today, team=sorted(starts), only=sorted(starts) if last else None
                )
            new = [p for p in seen if p not in layer]
            for p in new:
                layer[p] = depth
            for p in new:
                if p in starts:
                    continue
                best[p] = max(
                    (
                        graph.ties[tie_key(p, q)].score(now, self.params)[0] * best[q]
                        for q in graph.adjacent[p]
                        if layer.get(q, depth) < depth and q not in starts
                    ),
                    default=0.0,
                )
            for s in starts:  # whole paths found so far: start → q → … → target
                for q in graph.adjacent.get(s, ()):
                    if q in best:
                        score = graph.ties[tie_key(s, q)].score(now, self.params)[0] * best[q]
                        complete[q] = max(complete.get(q, 0.0), score)
            # branch and bound: a path through p scores at most best[p]; once `limit` whole paths score more,
            # p cannot make the top `limit`
            bar = sorted(complete.values(), reverse=True)[limit - 1] if len(complete) >= limit else 0.0
            waiting = sorted(
                (p for p in (*waiting, *(p for p in new if p not in starts)) if best[p] > bar),
                key=lambda p: (-best[p], p),
            )
            if not waiting:
                break

    def _weighted(
        self,
        graph: Subgraph,
        target: EntityRef,
        team: Sequence[_Member],
        roles: dict[str, list[AffiliationFact]],
        walked: list[wt.Partial],
        tenant_id: str,
        max_hops: int,
        limit: int,
        now: datetime,
        weights: dict[str, Any],
    ) -> list[_Found]:
        """The weighted strategy (:mod:`kgcrm.retrieval.connections.weighted`): candidate paths from the graph,
        the few strongest scored again exactly on their facts. ``walked``: a person's partial paths (from
        :meth:`_weighted_start`); an organization's people are walked from here."""
        today = now.date()
        members = {m.person_id for m in team} - {target.id}
        if not members:
            return []
        lim = self.weighted_limits
        team_ids = sorted(members)
        side = self.team_ties.get(
            ("connections_team", tenant_id, tuple(team_ids), today),
            lambda: wt.team_side(self.gateway, tenant_id, team_ids, lim, weights, MAX_HOPS),
        )
        if target.type == ORGANIZATION:
            scored = [(p, graph.ties[tie_key(p, target.id)].score(now, self.params)[0]) for p in roles]
            partials = [wt.Partial((target.id, p), s) for p, s in scored if s > 0.0]
            if max_hops == 1:
                partials = [p for p in partials if p.nodes[-1] in members]
            # the strongest affiliations are walked from (as the beam strategy expands its best people first)
            starts = sorted(((p, s) for p, s in scored if s > 0.0 and p not in members), key=lambda e: (-e[1], e[0]))
            starts = starts[: lim.beam]
            walked = wt.walk(
                self.gateway,
                tenant_id,
                starts,
                stop=team_ids,
                exclude=list(roles),
                levels=min(2, max_hops - 2),
                per_node=lim.per_node,
                per_coworkers=lim.per_coworkers,
                beam=lim.beam,
                ways=lim.ways,
                weights=weights,
            )
            partials += [wt.Partial((target.id, *p.nodes), p.score) for p in walked]
        else:
            partials = [wt.Partial((target.id,), 1.0), *walked]
        affiliated = frozenset(roles) if target.type == ORGANIZATION else frozenset()
        whole = wt.candidates(
            partials, side, members, max_hops=max_hops, limits=lim, limit=limit, affiliated=affiliated
        )
        org = target.id if target.type == ORGANIZATION else None  # its hops' facts are in graph already
        pairs = sorted({tie_key(a, b) for _, nodes in whole for a, b in itertools.pairwise(nodes) if org not in (a, b)})
        self._pair_ties(graph, pairs, tenant_id, today)
        exact: list[tuple[float, tuple[str, ...]]] = []
        for _, nodes in whole:
            ties = [graph.get(a, b) for a, b in itertools.pairwise(nodes)]
            if all(t is not None for t in ties):
                score = st.path_score(t.score(now, self.params)[0] for t in ties if t is not None)
                if score > 0.0:
                    exact.append((score, nodes))
        exact.sort(key=lambda e: (-e[0], e[1]))
        found: list[_Found] = []
        chains: set[tuple[str, ...]] = set()
        for score, nodes in exact:
            if nodes[1:-1] in chains:
                continue
            chains.add(nodes[1:-1])
            found.append(_Found(score, tuple(reversed(nodes))))
            if len(found) == limit:
                break
        return found

    def _enumerate(
        self, graph: Subgraph, target_id: str, team: Sequence[_Member], max_hops: int, limit: int, now: datetime
    ) -> list[_Found]:
        """The strongest simple paths from the team to the target, one per chain of intermediaries."""
        starts = {m.person_id for m in team} - {target_id}
        hops_to_team = _distances(graph, starts, max_hops)
        affiliated = {p for p in graph.adjacent[target_id] if graph.ties[tie_key(p, target_id)].affiliations}
        found: list[_Found] = []
        chains: set[tuple[str, ...]] = set()
        heap: list[tuple[float, tuple[str, ...]]] = [(-1.0, (target_id,))]
        pops = 0
        while heap and len(found) < limit and pops < self.limits.max_pops:
            negative, path = heapq.heappop(heap)
            pops += 1
            last = path[-1]
            if last in starts:
                chain = path[1:-1]
                if chain not in chains:
                    chains.add(chain)
                    found.append(_Found(-negative, tuple(reversed(path))))
                continue
            for nxt in sorted(graph.adjacent[last]):
                if nxt in path or len(path) + hops_to_team.get(nxt, math.inf) > max_hops:
                    continue
                if len(path) > 1 and nxt in affiliated:  # the path that ends at them is shorter and stronger
                    continue
                s = graph.ties[tie_key(last, nxt)].score(now, self.params)[0]
                if s > 0.0:
                    heapq.heappush(heap, (negative * s, (*path, nxt)))
        return found

    # --- results ------------------------------------------------------------------------------

    def _paths(
        self,
        graph: Subgraph,
        target: EntityRef,
        team: Sequence[_Member],
        found: Sequence[_Found],
        now: datetime,
        interactions: Mapping[tuple[str, str], list[RowEvidence]],
        *,
        you: bool,
    ) -> list[IntroPath]:
        members = {m.person_id: m for m in sorted(team, key=lambda m: m.user_id, reverse=True)}
        paths = []
        for f in found:
            member = members[f.nodes[0]]
            hops = []
            for a, b in itertools.pairwise(f.nodes):
                tie = graph.ties[tie_key(a, b)]
                s, relation = tie.score(now, self.params)
                hops.append(
                    Hop(
                        **{"from": a},
                        to=b,
                        relation=relation,
                        strength=round(s, 6),
                        evidence=evidence(tie, a, graph.names, interactions.get(tie_key(a, b), [])),
                    )
                )
            nodes = [
                EntityRef(id=n, type=target.type if n == target.id else PERSON, name=graph.names.get(n))
                for n in f.nodes
            ]
            paths.append(
                IntroPath(
                    score=round(f.score, 6),
                    from_user=EntityRef(id=member.user_id, type=USER, name=member.user_name),
                    nodes=nodes,
                    hops=hops,
                    explanation=explain(
                        nodes,
                        [graph.ties[tie_key(a, b)] for a, b in itertools.pairwise(f.nodes)],
                        now,
                        self.params,
                        you=you,
                    ),
                )
            )
        return paths

    def _interactions(
        self, graph: Subgraph, found: Sequence[_Found], tenant_id: str, now: datetime
    ) -> dict[tuple[str, str], list[RowEvidence]]:
        # each pair as (later person on the path, earlier one): the earlier is more often a busy team member
        pairs: dict[tuple[str, str], dict[str, str]] = {}
        for f in found:
            for a, b in itertools.pairwise(f.nodes):
                if graph.ties[tie_key(a, b)].interacted is not None:
                    pairs.setdefault(tie_key(a, b), {"a": b, "b": a})
        if not pairs:
            return {}
        rows = self.gateway.read(
            "connections_interactions",
            cypher.load("connections_interactions"),
            {
                "pairs": [pairs[k] for k in sorted(pairs)],
                "tenant": tenant_id,
                "per_pair": self.limits.interactions_per_hop,
            },
        )
        return _interaction_evidence(rows)


def _apply_feedback(rows: list[dict[str, Any]], decisions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Tie rows with the feedback applied: dismissed ties dropped, confirmed duplicates (SAME_AS) added as
    ties of full strength (see :meth:`ConnectionFinder._honour_feedback`)."""
    if not decisions:
        return rows
    dismissed = {tie_key(d["a"], d["b"]) for d in decisions if d["what"] == "dismissed"}
    kept = [r for r in rows if tie_key(r["source"], r["target"]) not in dismissed]
    kept += [
        {
            "source": d["a"],
            "target": d["b"],
            "name": d["name"],
            "type": KNOWS,
            "tie": {"id": d["id"], "kind": SAME_AS_KIND, "strength": 1.0, "since": None, "forward": True},
        }
        for d in decisions
        if d["what"] == "same" and tie_key(d["a"], d["b"]) not in dismissed
    ]
    return kept


def _interaction_evidence(rows: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], list[RowEvidence]]:
    """Rows of ``connections_interactions`` (or ``connections_evidence``) as evidence, by tie."""
    out: dict[tuple[str, str], list[RowEvidence]] = defaultdict(list)
    for r in rows:
        when = as_datetime(r["occurred_at"])
        summary = " ".join(p for p in (r["kind"], f"on {when.date().isoformat()}" if when else None) if p)
        if r["subject"]:
            summary += f": {r['subject']}"
        out[tie_key(r["a"], r["b"])].append(RowEvidence(table="interaction", id=r["id"], summary=summary))
    return out


_ROLE_COLUMNS = ("person_id", "person_name", "org_id", "org_name", "distance", "contact_id", "title", "since", "until")


def _add_roles(graph: Subgraph, org: EntityRef, rows: Iterable[Sequence[Any]]) -> dict[str, list[AffiliationFact]]:
    """The roles of an organization's people (rows: person id, person name, organization id and name, distance,
    contact id, title, since, until), added to ``graph`` as ties to the organization; by person, in row order."""
    roles: dict[str, list[AffiliationFact]] = defaultdict(list)
    for person_id, person_name, org_id, org_name, distance, contact_id, title, since, until in rows:
        role = RoleFact(contact_id, org_id, org_name, as_date(since), as_date(until), title)
        fact = AffiliationFact(role, int(distance), org.id, org.name)
        roles[person_id].append(fact)
        graph.names.setdefault(person_id, person_name)
        graph.tie(person_id, org.id).affiliations.append(fact)
    return roles


def _distances(graph: Subgraph, starts: Iterable[str], max_hops: int) -> dict[str, int]:
    """Hops from the nearest start to every node of the subgraph (up to ``max_hops``)."""
    dist = {s: 0 for s in starts if s in graph.adjacent}
    frontier = list(dist)
    for d in range(1, max_hops + 1):
        nxt = []
        for node in frontier:
            for other in graph.adjacent[node]:
                if other not in dist:
                    dist[other] = d
                    nxt.append(other)
        frontier = nxt
    return dist


def _check_range(name: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise DataError(f"must be between {low} and {high}, not {value}", field=name)
