"""Relationship inference: "who connects us to X".

:class:`ConnectionFinder` finds warm-introduction paths from the tenant's own team
(active ``app_user`` rows, through ``(:User)-[:IS]->(:Person)``) to a target
Person or Organization, over three kinds of tie between people:

- ``KNOWS``: an explicit ``relationship`` row (either direction);
- ``INTERACTED``: people who took part in the same interactions (undirected);
- co-workers: two ``WORKS_AT`` to one organization with overlapping tenure.

An Organization is reached through anyone who works there now or worked there,
or at one of its subsidiaries or the groups it belongs to (``SUBSIDIARY_OF``); that
last hop (``WORKS_AT``) counts as a hop.

**Search.** The team is large and well connected (every user has hundreds of
interaction partners), the target usually is not, so the search grows from the
target, one bounded query per round (``cypher/connections_ties.cypher``): round
``r`` fetches the ties of the ``beam_width`` people found so far with the best
path to the target (at most ``per_kind`` explicit and interaction ties each per
person, ``per_coworkers`` co-workers per organization, those tied to the team
first), and the last round fetches only the ties that reach the team. Branch and
bound: a path through a person scores at most that person's best path to the
target, so once ``limit`` whole paths score more, that person is not expanded.
Paths are then enumerated best-first on the subgraph (scores only decrease along
a path, so they come out strongest first), keeping one path per chain of
intermediaries; the interactions behind the chosen hops are read last.

**Scoring** is :mod:`kgcrm.retrieval.strength`: a hop's strength combines all the evidence
between two people; a path scores the product of its hops.

Related questions: :meth:`ConnectionFinder.who_we_know_at` (the people of an
organization with a direct tie to the team) and
:meth:`ConnectionFinder.how_well_do_we_know` (the strongest tie and the trend of
interactions, last 90 days against the 90 before).

Tenant isolation: every query takes ``$tenant`` and checks it on every node it
returns or passes through; an id of another tenant (target or user) is a
:class:`~kgcrm.core.errors.NotFoundError`.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from pydantic import BaseModel, Field

from kgcrm import cypher
from kgcrm.core.errors import DataError, KgcrmError, NotFoundError
from kgcrm.graph.gateway import GraphGateway
from kgcrm.retrieval import strength as st
from kgcrm.retrieval.types import Candidate, Connections, EntityRef, Hop, IntroPath, Resolution, RowEvidence

MAX_HOPS = 4
MAX_LIMIT = 50

KNOWS = "KNOWS"
INTERACTED = "INTERACTED"
COWORKER = "COWORKER"
WORKS_AT = "WORKS_AT"

PERSON = "Person"
ORGANIZATION = "Organization"
USER = "User"

TARGET_TYPES = (PERSON, ORGANIZATION)


class AmbiguousTargetError(DataError):
    """A free-text target names several entities; ``candidates`` lists them (the API answers 409)."""

    def __init__(self, text: str, candidates: Sequence[Candidate]) -> None:
        super().__init__(f"'{text}' matches {len(candidates)} entities: name one by id", field="target")
        self.text = text
        self.candidates = list(candidates)


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


# --- the explored subgraph -------------------------------------------------------------------------------


@dataclass(frozen=True)
class KnowsFact:
    id: str
    kind: str | None
    strength: float | None
    since: date | None
    source: str  # the person the relationship row goes from


@dataclass(frozen=True)
class InteractedFact:
    count: int
    last_at: datetime | None
    kinds: tuple[str, ...]


@dataclass(frozen=True)
class RoleFact:
    """One role (a contact row) at an organization."""

    contact_id: str | None
    org_id: str
    org_name: str | None
    since: date | None
    until: date | None
    title: str | None = None


@dataclass(frozen=True)
class CoworkerFact:
    org_id: str
    org_name: str | None
    headcount: int
    roles: tuple[tuple[str, RoleFact], tuple[str, RoleFact]]  # (person id, role) for both people
    overlap: st.Overlap


@dataclass(frozen=True)
class AffiliationFact:
    """A person's role at the target organization, or at a subsidiary or parent of it (``distance`` > 0)."""

    role: RoleFact
    distance: int
    target_org: str
    target_name: str | None


@dataclass
class Tie:
    """Everything known between two people (or between a person and the target organization)."""

    a: str
    b: str
    knows: dict[str, KnowsFact] = field(default_factory=dict)
    interacted: InteractedFact | None = None
    coworkers: dict[tuple[str | None, str | None], CoworkerFact] = field(default_factory=dict)
    affiliations: list[AffiliationFact] = field(default_factory=list)
    _scored: tuple[float, str] | None = None

    def score(self, now: datetime, params: st.StrengthParams) -> tuple[float, str]:
        """(strength in 0..1, the relation that contributes most)."""
        if self._scored is None:
            parts = self.components(now, params)
            best = max(parts, key=lambda p: p[1], default=(KNOWS, 0.0))
            self._scored = (st.combine(s for _, s in parts), best[0])
        return self._scored

    def components(self, now: datetime, params: st.StrengthParams) -> list[tuple[str, float]]:
        today = now.date()
        parts = [(KNOWS, st.knows_strength(k.strength, k.kind, params)) for k in self.knows.values()]
        if self.interacted is not None:
            i = self.interacted
            parts.append((INTERACTED, st.interaction_strength(i.count, i.last_at, now, params)))
        parts += [
            (COWORKER, st.coworker_strength(c.overlap, today, c.headcount, params)) for c in self.coworkers.values()
        ]
        parts += [
            (WORKS_AT, st.affiliation_strength(f.role.until, today, via_family=f.distance > 0, params=params))
            for f in self.affiliations
        ]
        return parts


class Subgraph:
    """The people (and target) a search has seen, and the ties between them."""

    def __init__(self) -> None:
        self.names: dict[str, str | None] = {}
        self.ties: dict[tuple[str, str], Tie] = {}
        self.adjacent: dict[str, set[str]] = defaultdict(set)

    def tie(self, a: str, b: str) -> Tie:
        key = (a, b) if a < b else (b, a)
        tie = self.ties.get(key)
        if tie is None:
            tie = self.ties[key] = Tie(*key)
            self.adjacent[a].add(b)
            self.adjacent[b].add(a)
        return tie

    def get(self, a: str, b: str) -> Tie | None:
        return self.ties.get((a, b) if a < b else (b, a))

    def add_row(self, row: Mapping[str, Any], today: date, params: st.StrengthParams) -> bool:
        """Add one row of ``connections_ties``; False when it holds no usable tie."""
        source, target, kind, data = row["source"], row["target"], row["type"], row["tie"]
        self.names.setdefault(target, row.get("name"))
        if kind == KNOWS:
            fact = KnowsFact(
                id=data["id"],
                kind=data.get("kind"),
                strength=_float(data.get("strength")),
                since=_date(data.get("since")),
                source=source if data.get("forward") else target,
            )
            self.tie(source, target).knows[fact.id] = fact
        elif kind == INTERACTED:
            self.tie(source, target).interacted = InteractedFact(
                count=int(data.get("count") or 0),
                last_at=_millis(data.get("last_at")),
                kinds=tuple(sorted(data.get("kinds") or ())),
            )
        elif kind == COWORKER:
            role_a = RoleFact(
                data.get("contact_a"),
                data["org_id"],
                data.get("org_name"),
                _date(data.get("since_a")),
                _date(data.get("until_a")),
            )
            role_b = RoleFact(
                data.get("contact_b"),
                data["org_id"],
                data.get("org_name"),
                _date(data.get("since_b")),
                _date(data.get("until_b")),
            )
            overlap = st.tenure_overlap(role_a.since, role_a.until, role_b.since, role_b.until, today, params)
            if overlap is None:
                return False
            pair = ((source, role_a), (target, role_b)) if source < target else ((target, role_b), (source, role_a))
            fact = CoworkerFact(data["org_id"], data.get("org_name"), int(data.get("headcount") or 1), pair, overlap)
            self.tie(source, target).coworkers[(pair[0][1].contact_id, pair[1][1].contact_id)] = fact
        else:  # pragma: no cover - the query returns only these three
            raise KgcrmError(f"connections_ties returned an unknown tie type {kind!r}")
        return True


# --- results of the related questions ---------------------------------------------------------------------


class KnownPerson(BaseModel):
    """Someone at an organization, and the team's strongest direct tie to them."""

    person: EntityRef
    organization: EntityRef  # where the role is: the organization, or a subsidiary or parent of it
    title: str | None = None
    current: bool
    strength: float = Field(ge=0.0, le=1.0)
    tie: IntroPath


class PeopleWeKnow(BaseModel):
    organization: EntityRef
    people: list[KnownPerson]
    summary: str


class TieReport(BaseModel):
    """How well the team knows someone: the strongest tie, and the trend of interactions."""

    target: EntityRef
    strongest: IntroPath | None  # the strongest direct tie, else the strongest introduction
    direct: bool  # someone on the team has a tie of their own to the target (or to someone there)
    window_days: int
    recent_interactions: int  # team ↔ target, in the last window
    previous_interactions: int  # in the window before
    trend: st.Trend
    last_interaction_at: datetime | None = None
    summary: str


# --- the finder ---------------------------------------------------------------------------------------------


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
    ) -> None:
        self.gateway = gateway
        self.clock = clock
        self.params = params
        self.limits = limits
        self.resolver = resolver

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
        _check_range("max_hops", max_hops, 1, MAX_HOPS)
        _check_range("limit", limit, 1, MAX_LIMIT)
        now = self._now()
        target, team = self._start(target_id, tenant_id, from_user)
        graph = Subgraph()
        graph.names[target.id] = target.name
        self._search(graph, target, team, tenant_id, max_hops, limit, now)
        found = self._enumerate(graph, target.id, team, max_hops, limit, now)
        paths = self._paths(graph, target, team, found, tenant_id, now, you=from_user is not None)
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
        ties = self._paths(graph, target, team, list(best.values()), tenant_id, now, you=False)
        known: list[KnownPerson] = []
        for (person, found), tie in zip(best.items(), ties, strict=True):
            fact = max(roles[person], key=lambda f: (f.role.until is None, -f.distance, f.role.until or date.max))
            known.append(
                KnownPerson(
                    person=EntityRef(id=person, type=PERSON, name=graph.names.get(person)),
                    organization=EntityRef(id=fact.role.org_id, type=ORGANIZATION, name=fact.role.org_name),
                    title=fact.role.title,
                    current=fact.role.until is None,
                    strength=round(found.score, 6),
                    tie=tie,
                )
            )
        known.sort(key=lambda k: (-k.strength, k.person.name or "", k.person.id))
        known = known[:limit]
        return PeopleWeKnow(organization=target, people=known, summary=_known_summary(target, known))

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
        times = {r["id"]: _millis(r["occurred_at"]) for r in rows}
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
        return report.model_copy(update={"summary": _tie_summary(report)})

    # --- lookups ------------------------------------------------------------------------------

    def _now(self) -> datetime:
        now = self.clock()
        return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)

    def _start(self, target_id: str, tenant_id: str, from_user: str | None) -> tuple[EntityRef, list[_Member]]:
        """The target (NotFoundError unless a Person or Organization of the tenant) and the team (or ``from_user``)."""
        rows = self.gateway.read(
            "connections_start",
            cypher.load("connections_start"),
            {"id": target_id, "tenant": tenant_id, "user": from_user},
        )
        row = rows[0]
        if row["id"] is None:
            raise NotFoundError(f"{target_id}: no person or organization with this id in this tenant")
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
        roles: dict[str, list[AffiliationFact]] = defaultdict(list)
        for r in rows:
            role = RoleFact(
                r["contact_id"], r["org_id"], r["org_name"], _date(r["since"]), _date(r["until"]), r["title"]
            )
            fact = AffiliationFact(role, int(r["distance"]), org.id, org.name)
            roles[r["person_id"]].append(fact)
            graph.names.setdefault(r["person_id"], r["person_name"])
            graph.tie(r["person_id"], org.id).affiliations.append(fact)
        return roles

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
        return {r["target"] for r in rows if graph.add_row(r, today, self.params)}

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
                        graph.ties[_key(p, q)].score(now, self.params)[0] * best[q]
                        for q in graph.adjacent[p]
                        if layer.get(q, depth) < depth and q not in starts
                    ),
                    default=0.0,
                )
            for s in starts:  # whole paths found so far: start → q → … → target
                for q in graph.adjacent.get(s, ()):
                    if q in best:
                        score = graph.ties[_key(s, q)].score(now, self.params)[0] * best[q]
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

    def _enumerate(
        self, graph: Subgraph, target_id: str, team: Sequence[_Member], max_hops: int, limit: int, now: datetime
    ) -> list[_Found]:
        """The strongest simple paths from the team to the target, one per chain of intermediaries."""
        starts = {m.person_id for m in team} - {target_id}
        hops_to_team = _distances(graph, starts, max_hops)
        affiliated = {p for p in graph.adjacent[target_id] if graph.ties[_key(p, target_id)].affiliations}
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
                s = graph.ties[_key(last, nxt)].score(now, self.params)[0]
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
        tenant_id: str,
        now: datetime,
        *,
        you: bool,
    ) -> list[IntroPath]:
        members = {m.person_id: m for m in sorted(team, key=lambda m: m.user_id, reverse=True)}
        interactions = self._interactions(graph, found, tenant_id, now)
        paths = []
        for f in found:
            member = members[f.nodes[0]]
            hops = []
            for a, b in itertools.pairwise(f.nodes):
                tie = graph.ties[_key(a, b)]
                s, relation = tie.score(now, self.params)
                hops.append(
                    Hop(
                        **{"from": a},
                        to=b,
                        relation=relation,
                        strength=round(s, 6),
                        evidence=_evidence(tie, a, graph.names, interactions.get(_key(a, b), [])),
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
                        [graph.ties[_key(a, b)] for a, b in itertools.pairwise(f.nodes)],
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
                if graph.ties[_key(a, b)].interacted is not None:
                    pairs.setdefault(_key(a, b), {"a": b, "b": a})
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
        out: dict[tuple[str, str], list[RowEvidence]] = defaultdict(list)
        for r in rows:
            when = _millis(r["occurred_at"])
            summary = " ".join(p for p in (r["kind"], f"on {when.date().isoformat()}" if when else None) if p)
            if r["subject"]:
                summary += f": {r['subject']}"
            out[_key(r["a"], r["b"])].append(RowEvidence(table="interaction", id=r["id"], summary=summary))
        return out


# --- evidence and explanations (pure) -----------------------------------------------------------------------


def _evidence(
    tie: Tie, a: str, names: Mapping[str, str | None], interactions: list[RowEvidence]
) -> list[RowEvidence | EntityRef]:
    """The rows behind a hop: relationship rows, interactions, the shared employer and the two contacts."""
    out: list[RowEvidence | EntityRef] = []
    for k in sorted(tie.knows.values(), key=lambda k: (-(k.strength or 0.0), k.id)):
        strength = f", strength {k.strength:g}" if k.strength is not None else ""
        out.append(RowEvidence(table="relationship", id=k.id, summary=f"{k.kind or 'knows'}{strength}"))
    out += interactions
    for c in sorted(tie.coworkers.values(), key=lambda c: (c.overlap.end, c.org_id), reverse=True):
        out.append(EntityRef(id=c.org_id, type=ORGANIZATION, name=c.org_name))
        for person, role in sorted(c.roles, key=lambda r: r[0] != a):
            if role.contact_id:
                summary = f"{names.get(person) or person} at {c.org_name}, {_span(role.since, role.until)}"
                out.append(RowEvidence(table="contact", id=role.contact_id, summary=summary))
    for f in sorted(tie.affiliations, key=lambda f: (f.role.until is not None, f.distance, f.role.org_id)):
        if f.role.contact_id:
            title = f"{f.role.title} at " if f.role.title else ""
            summary = f"{title}{f.role.org_name}, {_span(f.role.since, f.role.until)}"
            out.append(RowEvidence(table="contact", id=f.role.contact_id, summary=summary))
        if f.distance > 0:
            out.append(EntityRef(id=f.role.org_id, type=ORGANIZATION, name=f.role.org_name))
    return out


DASH = "\u2013"  # en dash, as in "2019–2022"  # noqa: RUF003

_VERBS = {"email": "emailed", "meeting": "met", "call": "called", "message": "messaged"}


def ago(when: datetime, now: datetime) -> str:
    """'today', 'yesterday', '3 days ago', '2 weeks ago', '5 months ago', '2 years ago'."""
    days = max(0, (now - when).days)
    if days == 0:
        return "today"
    if days == 1:
        return "yesterday"
    if days < 14:
        return f"{days} days ago"
    if days < 60:
        return f"{days // 7} weeks ago"
    if days < 730:
        return f"{days // 30} months ago"
    return f"{days // 365} years ago"


def _times(count: int) -> str:
    return "once" if count == 1 else "twice" if count == 2 else f"{count} times"


def _span(since: date | None, until: date | None) -> str:
    if until is None:
        return f"since {since.year}" if since else "now"
    return f"{since.year}{DASH}{until.year}" if since else f"until {until.year}"


def _clause(tie: Tie, a: str, b: str, name_a: str, name_b: str, now: datetime, params: st.StrengthParams) -> str:
    _, relation = tie.score(now, params)
    if relation == INTERACTED and tie.interacted is not None:
        i = tie.interacted
        verb = _VERBS.get(i.kinds[0], "was in touch with") if len(i.kinds) == 1 else "was in touch with"
        if i.last_at is None:
            return f"{name_a} {verb} {name_b} {_times(i.count)}"
        if i.count == 1:
            return f"{name_a} {verb} {name_b} once, {ago(i.last_at, now)}"
        when = ago(i.last_at, now)
        last = f"most recently {when}" if when in ("today", "yesterday") else f"last {when}"
        return f"{name_a} {verb} {name_b} {_times(i.count)}, {last}"
    if relation == KNOWS and tie.knows:
        k = max(tie.knows.values(), key=lambda k: (k.strength or 0.0, k.id))
        forward = k.source == a
        if k.kind == "reports_to":
            return f"{name_a} {'reports to' if forward else 'manages'} {name_b}"
        if k.kind == "introduced":
            return f"{name_a} was introduced to {name_b}"
        if k.kind in ("colleague", "family"):
            return f"{name_a} and {name_b} are {'colleagues' if k.kind == 'colleague' else 'family'}"
        if k.kind in ("investor", "advisor"):
            return f"{name_a} knows {name_b} ({k.kind})"
        return f"{name_a} knows {name_b}"
    if relation == COWORKER and tie.coworkers:
        c = max(tie.coworkers.values(), key=lambda c: (c.overlap.current, c.overlap.days))
        if c.overlap.current:
            return f"{name_a} works with {name_b} at {c.org_name} (since {c.overlap.start.year})"
        return f"{name_a} worked with {name_b} at {c.org_name} {c.overlap.start.year}{DASH}{c.overlap.end.year}"
    f = max(tie.affiliations, key=lambda f: (f.role.until is None, -f.distance))
    where = f.role.org_name if f.distance == 0 else f"{f.role.org_name}, part of {f.target_name}"
    if f.role.until is None:
        return f"{name_a} works at {where}"
    return f"{name_a} worked at {where} until {f.role.until.year}"


def _short(name: str | None) -> str:
    return (name or "someone").split()[0]


def explain(
    nodes: Sequence[EntityRef], ties: Sequence[Tie], now: datetime, params: st.StrengthParams, *, you: bool
) -> str:
    """One sentence: 'Ann Lee (you) emailed Bob Smith 12 times, last 3 days ago; Bob knows Priya Patel.'"""
    mentioned: set[str] = set()

    def name(ref: EntityRef, first: bool) -> str:
        full = ref.name or ref.id
        if ref.id in mentioned:
            return _short(full) if ref.type == PERSON else full
        mentioned.add(ref.id)
        if first:
            return f"{full} ({'you' if you else 'on your team'})"
        return full

    clauses = []
    for i, tie in enumerate(ties):
        a, b = nodes[i], nodes[i + 1]
        clauses.append(_clause(tie, a.id, b.id, name(a, i == 0), name(b, False), now, params))
    return "; ".join(clauses) + "."


def _known_summary(org: EntityRef, known: Sequence[KnownPerson]) -> str:
    if not known:
        return f"Nobody on the team has a direct tie to anyone at {org.name}."
    shown = []
    for k in known[:5]:
        role = (k.title if k.current else "formerly") or ""
        details = ", ".join(p for p in (role, f"via {k.tie.from_user.name}") if p)
        shown.append(f"{k.person.name} ({details})")
    more = f" and {len(known) - 5} more" if len(known) > 5 else ""
    people = "person" if len(known) == 1 else "people"
    return f"The team knows {len(known)} {people} at {org.name}: {', '.join(shown)}{more}."


def _tie_summary(report: TieReport) -> str:
    name = report.target.name or report.target.id
    if report.strongest is None:
        return f"Nobody on the team is connected to {name}."
    if not report.direct:
        return f"Nobody on the team knows {name} directly; the best introduction: {report.strongest.explanation}"
    days = report.window_days
    return (
        f"{report.strongest.explanation[:-1]}. {report.recent_interactions} interactions with {name} in the last "
        f"{days} days, {report.previous_interactions} in the {days} before ({report.trend})."
    )


# --- helpers ------------------------------------------------------------------------------------------------


def _key(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


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


def _date(value: str | None) -> date | None:
    """A date sent as ISO text (``toString(date)``)."""
    return date.fromisoformat(value) if value else None


def _millis(value: int | None) -> datetime | None:
    """A time sent as epoch milliseconds (``datetime.epochMillis``), as an aware UTC datetime."""
    return datetime.fromtimestamp(value / 1000, UTC) if value is not None else None


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _check_range(name: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise DataError(f"must be between {low} and {high}, not {value}", field=name)
