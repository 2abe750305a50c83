"""Evaluation of "who connects us to X" against a seed's ground truth.

The seed plants, per target, a strongest warm path (a user → frequent and recent
interactions → a connector → an explicit 0.9 tie → the target) beside weaker
alternatives (``warm_paths`` of each tenant in the truth file, see :mod:`kgcrm.crm.seed`).
:func:`evaluate_connections` asks :class:`~kgcrm.retrieval.connections.ConnectionFinder`
(clock set to the seed's ``now``) for paths to every planted target and reports the
share whose planted path is among the top ``k`` (the goal: at least 95% in the top
3), its rank-1 share, the same for each target's organization (the planted path
followed by the target's ``WORKS_AT``), and latency (p50, p95) over all calls.
:func:`compare_strategies` reports the ranking agreement of the weighted strategy (the default) with
the beam strategy it replaced, on the same targets.

The graph must hold the seeded CRM, synced (``kgcrm seed`` then ``kgcrm sync``).

    .venv/bin/python eval/connections.py path/to/seed-truth.json [--tenant slug]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kgcrm.core.errors import DataError
from kgcrm.graph.gateway import GraphGateway
from kgcrm.retrieval.cache import GraphVersion
from kgcrm.retrieval.connections import ConnectionFinder, TeamTies


@dataclass(frozen=True)
class TargetOutcome:
    """One planted target: the rank of its planted path (None: not among the answers)."""

    tenant: str
    kind: str  # person | organization
    target: str
    name: str
    rank: int | None
    paths: int
    latency_ms: float


@dataclass
class ConnectionsFigures:
    targets: int  # planted person targets (the organization figures are over as many organizations)
    top1: float
    top3: float  # the planted path among the top k (k=3 unless asked otherwise)
    org_top1: float
    org_top3: float
    p50_ms: float
    p95_ms: float
    k: int = 3
    outcomes: list[TargetOutcome] = field(default_factory=list)

    @property
    def misses(self) -> list[TargetOutcome]:
        return [o for o in self.outcomes if o.rank is None or o.rank > self.k]

    def summary(self) -> str:
        return (
            f"{self.targets} planted targets: planted path in the top {self.k} for {self.top3:.1%} "
            f"(rank 1: {self.top1:.1%}); their organizations: top {self.k} {self.org_top3:.1%} "
            f"(rank 1: {self.org_top1:.1%}); latency p50 {self.p50_ms:.1f} ms, p95 {self.p95_ms:.1f} ms"
        )


def seed_now(truth: Mapping[str, Any]) -> datetime:
    value = datetime.fromisoformat(str(truth["parameters"]["now"]))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def evaluate_connections(
    gateway: GraphGateway,
    truth: Mapping[str, Any],
    *,
    tenant: str | None = None,
    k: int = 3,
    finder: ConnectionFinder | None = None,
) -> ConnectionsFigures:
    """Ask for paths to every planted target of ``tenant`` (slug or id; None: all) and measure."""
    now = seed_now(truth)
    finder = finder or ConnectionFinder(gateway, clock=lambda: now, team_ties=TeamTies(GraphVersion(gateway).current))
    tenants = [t for t in truth["tenants"] if tenant is None or tenant in (t["slug"], t["id"])]
    if not tenants:
        raise DataError(f"tenant '{tenant}' is not in the truth file", field="tenant")
    outcomes: list[TargetOutcome] = []
    for t in tenants:
        for planted in t["warm_paths"]:
            person, org = planted["target"], planted["target_organization"]
            cases = (
                ("person", person["id"], person["name"], planted["nodes"]),
                ("organization", org["id"], org["name"], [*planted["nodes"], org["id"]]),
            )
            for kind, target_id, name, expected in cases:
                started = time.perf_counter()
                result = finder.connections(target_id, t["id"], limit=max(k, 5))
                latency = (time.perf_counter() - started) * 1e3
                found = [[n.id for n in p.nodes] for p in result.paths]
                rank = found.index(expected) + 1 if expected in found else None
                outcomes.append(TargetOutcome(t["slug"], kind, target_id, name, rank, len(found), latency))
    return figures(outcomes, k)


@dataclass(frozen=True)
class StrategyAgreement:
    """How the weighted strategy's answers compare with the beam strategy's (today's) on the planted targets.

    ``identical``: the same top ``k`` paths (nodes and order); ``same_first``: the same strongest path;
    ``not_weaker``: at every rank of the top ``k`` the weighted path scores at least the beam's (a
    different answer that is a stronger path the beam did not reach); ``planted``: the planted path in
    the top ``k``, per strategy.
    """

    targets: int
    identical: float
    same_first: float
    not_weaker: float
    planted_beam: float
    planted_weighted: float
    k: int = 3

    def summary(self) -> str:
        return (
            f"weighted against beam on {self.targets} targets (planted people and their organizations): "
            f"the same top {self.k} for {self.identical:.1%}, the same first path for {self.same_first:.1%}, "
            f"never weaker at any rank for {self.not_weaker:.1%}; planted path in the top {self.k}: "
            f"beam {self.planted_beam:.1%}, weighted {self.planted_weighted:.1%}"
        )


def compare_strategies(
    gateway: GraphGateway, truth: Mapping[str, Any], *, tenant: str | None = None, k: int = 3
) -> StrategyAgreement:
    """Ask both strategies (clock at the seed's ``now``) for every planted target and compare their top ``k``."""
    now = seed_now(truth)
    team_ties = TeamTies(GraphVersion(gateway).current)
    finders = {
        s: ConnectionFinder(gateway, clock=lambda: now, strategy=s, team_ties=team_ties) for s in ("beam", "weighted")
    }
    tenants = [t for t in truth["tenants"] if tenant is None or tenant in (t["slug"], t["id"])]
    if not tenants:
        raise DataError(f"tenant '{tenant}' is not in the truth file", field="tenant")
    identical = same_first = not_weaker = total = 0
    planted = {"beam": 0, "weighted": 0}
    for t in tenants:
        for path in t["warm_paths"]:
            org = path["target_organization"]["id"]
            for target_id, expected in ((path["target"]["id"], path["nodes"]), (org, [*path["nodes"], org])):
                answers = {s: f.connections(target_id, t["id"], limit=k).paths for s, f in finders.items()}
                nodes = {s: [[n.id for n in p.nodes] for p in paths] for s, paths in answers.items()}
                total += 1
                identical += nodes["beam"] == nodes["weighted"]
                same_first += nodes["beam"][:1] == nodes["weighted"][:1]
                old, new = answers["beam"], answers["weighted"]
                not_weaker += len(new) >= len(old) and all(
                    b.score >= a.score - 1e-6 for a, b in zip(old, new, strict=False)
                )
                for s in planted:
                    planted[s] += expected in nodes[s]
    share = (lambda n: n / total) if total else (lambda n: 0.0)
    return StrategyAgreement(
        total,
        share(identical),
        share(same_first),
        share(not_weaker),
        share(planted["beam"]),
        share(planted["weighted"]),
        k,
    )


def figures(outcomes: Sequence[TargetOutcome], k: int = 3) -> ConnectionsFigures:
    people = [o for o in outcomes if o.kind == "person"]
    orgs = [o for o in outcomes if o.kind == "organization"]

    def share(items: Sequence[TargetOutcome], top: int) -> float:
        return sum(o.rank is not None and o.rank <= top for o in items) / len(items) if items else 0.0

    latencies = [o.latency_ms for o in outcomes]
    return ConnectionsFigures(
        targets=len(people),
        top1=share(people, 1),
        top3=share(people, k),
        org_top1=share(orgs, 1),
        org_top3=share(orgs, k),
        p50_ms=percentile(latencies, 0.5),
        p95_ms=percentile(latencies, 0.95),
        k=k,
        outcomes=list(outcomes),
    )


def main(argv: Sequence[str] | None = None) -> int:
    from kgcrm.core.settings import load_settings
    from kgcrm.services import graph_gateway

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("truth", type=Path, help="the seed's ground truth (seed-truth.json)")
    parser.add_argument("--tenant", help="one tenant (slug or id); default: all")
    parser.add_argument("-k", type=int, default=3, help="a hit is the planted path among the top k")
    args = parser.parse_args(argv)
    truth = json.loads(args.truth.read_text(encoding="utf-8"))
    with graph_gateway(load_settings()) as gateway:
        gateway.read("warm_up", "RETURN 1 AS one")
        result = evaluate_connections(gateway, truth, tenant=args.tenant, k=args.k)
    print(result.summary())
    with graph_gateway(load_settings()) as gateway:
        print(compare_strategies(gateway, truth, tenant=args.tenant, k=args.k).summary())
    for miss in result.misses:
        print(f"  miss: {miss.tenant} {miss.kind} {miss.name} ({miss.target}): rank {miss.rank}, {miss.paths} paths")
    return 0 if result.top3 >= 0.95 else 1


if __name__ == "__main__":
    sys.exit(main())
