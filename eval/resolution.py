"""Evaluation of entity resolution against a seed's ground truth.

:func:`evaluate_resolution` resolves every mention the seed planted (``mentions`` of
each tenant in the truth file, see :mod:`kgcrm.crm.seed`), with the resolver's clock set to
the seed's ``now``, and reports top-1 and top-3 accuracy (a hit is the expected id or
one of its planted duplicates, ``also``), accuracy per mention kind, latency (p50,
p95) and the calibration of the top score (expected calibration error over ten bins,
Brier score): a calibrated resolver is right about 90% of the time when it says 0.9.

The graph must hold the seeded CRM, synced (``kgcrm seed`` then ``kgcrm sync``);
with an ``embedder`` the entities must have embeddings too.
"""

from __future__ import annotations

import statistics
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kgcrm.core.errors import DataError
from kgcrm.graph.gateway import GraphGateway
from kgcrm.graph.mapping import LABEL_OF_TABLE
from kgcrm.retrieval.resolve import Embedder, EntityResolver


@dataclass(frozen=True)
class MentionOutcome:
    """One mention's result: the rank of the first acceptable candidate (None: not among them)."""

    tenant: str
    text: str
    kind: str
    expected: str
    rank: int | None
    top_id: str | None
    top_score: float
    ambiguous: bool
    latency_ms: float

    @property
    def top1(self) -> bool:
        return self.rank == 1


@dataclass(frozen=True)
class KindFigures:
    mentions: int
    top1: float
    top3: float


@dataclass
class ResolutionFigures:
    """Accuracy, latency and calibration over the seeded mentions."""

    mentions: int
    top1: float
    top3: float
    p50_ms: float
    p95_ms: float
    ece: float
    brier: float
    ambiguous_share: float
    by_kind: dict[str, KindFigures] = field(default_factory=dict)
    outcomes: list[MentionOutcome] = field(default_factory=list)

    @property
    def failures(self) -> list[MentionOutcome]:
        return [o for o in self.outcomes if not o.top1]

    def summary(self) -> str:
        kinds = ", ".join(f"{k} {v.top1:.0%} (n={v.mentions})" for k, v in sorted(self.by_kind.items()))
        return (
            f"{self.mentions} mentions: top-1 {self.top1:.1%}, top-3 {self.top3:.1%}; "
            f"latency p50 {self.p50_ms:.0f} ms, p95 {self.p95_ms:.0f} ms; "
            f"calibration ECE {self.ece:.3f}, Brier {self.brier:.3f}; ambiguous {self.ambiguous_share:.0%}\n"
            f"by kind: {kinds}"
        )


def seed_now(truth: Mapping[str, Any]) -> datetime:
    """The ``now`` the seed was generated with (UTC)."""
    value = datetime.fromisoformat(str(truth["parameters"]["now"]))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _tenants(truth: Mapping[str, Any], tenant: str | None) -> list[Mapping[str, Any]]:
    tenants = list(truth["tenants"])
    if tenant is None:
        return tenants
    chosen = [t for t in tenants if tenant in (t["slug"], t["id"])]
    if not chosen:
        raise DataError(f"tenant '{tenant}' is not in the truth file", field="tenant")
    return chosen


def _percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def calibration(scores: Sequence[float], correct: Sequence[bool], *, bins: int = 10) -> tuple[float, float]:
    """(expected calibration error, Brier score) of top scores against whether the top was right."""
    if not scores:
        return 0.0, 0.0
    buckets: dict[int, list[tuple[float, bool]]] = defaultdict(list)
    for score, ok in zip(scores, correct, strict=True):
        buckets[min(int(score * bins), bins - 1)].append((score, ok))
    n = len(scores)
    ece = sum(
        len(items) / n * abs(statistics.fmean(s for s, _ in items) - statistics.fmean(float(ok) for _, ok in items))
        for items in buckets.values()
    )
    brier = statistics.fmean((score - float(ok)) ** 2 for score, ok in zip(scores, correct, strict=True))
    return ece, brier


def evaluate_resolution(
    gateway: GraphGateway,
    truth: Mapping[str, Any],
    *,
    tenant: str | None = None,
    embedder: Embedder | None = None,
    limit: int = 5,
) -> ResolutionFigures:
    """Resolve every seeded mention of ``tenant`` (slug or id; None: every tenant) and measure."""
    now = seed_now(truth)
    resolver = EntityResolver(gateway, embedder=embedder, clock=lambda: now)
    outcomes: list[MentionOutcome] = []
    for tenant_truth in _tenants(truth, tenant):
        tenant_id = tenant_truth["id"]
        resolver.resolve("warm up", tenant_id)  # the first query of a session pays for connecting
        for mention in tenant_truth["mentions"]:
            accepted = {mention["expect"], *mention.get("also", [])}
            started = time.perf_counter()
            resolution = resolver.resolve(mention["text"], tenant_id, limit=limit)
            latency = (time.perf_counter() - started) * 1e3
            expected_type = LABEL_OF_TABLE.get(mention["entity_type"], mention["entity_type"])
            rank = next(
                (
                    i
                    for i, c in enumerate(resolution.candidates, start=1)
                    if c.id in accepted and c.type == expected_type
                ),
                None,
            )
            best = resolution.best
            outcomes.append(
                MentionOutcome(
                    tenant=tenant_truth["slug"],
                    text=mention["text"],
                    kind=mention["kind"],
                    expected=mention["expect"],
                    rank=rank,
                    top_id=best.id if best else None,
                    top_score=best.score if best else 0.0,
                    ambiguous=resolution.ambiguous,
                    latency_ms=latency,
                )
            )
    return figures(outcomes)


def figures(outcomes: Sequence[MentionOutcome]) -> ResolutionFigures:
    """Aggregate mention outcomes."""
    n = len(outcomes)
    if n == 0:
        return ResolutionFigures(0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    by_kind: dict[str, list[MentionOutcome]] = defaultdict(list)
    for outcome in outcomes:
        by_kind[outcome.kind].append(outcome)
    latencies = [o.latency_ms for o in outcomes]
    ece, brier = calibration([o.top_score for o in outcomes], [o.top1 for o in outcomes])
    return ResolutionFigures(
        mentions=n,
        top1=sum(o.rank == 1 for o in outcomes) / n,
        top3=sum(o.rank is not None and o.rank <= 3 for o in outcomes) / n,
        p50_ms=_percentile(latencies, 0.5),
        p95_ms=_percentile(latencies, 0.95),
        ece=ece,
        brier=brier,
        ambiguous_share=sum(o.ambiguous for o in outcomes) / n,
        by_kind={
            kind: KindFigures(
                mentions=len(items),
                top1=sum(o.rank == 1 for o in items) / len(items),
                top3=sum(o.rank is not None and o.rank <= 3 for o in items) / len(items),
            )
            for kind, items in by_kind.items()
        },
        outcomes=list(outcomes),
    )
