"""Evaluation of the suggestions (issue 14) against the situations planted in the seed.

A seed made with ``--plant-suggestions`` (:mod:`kgcrm.crm.seed_generate.suggestions`) ends each
tenant with organizations of their own, each showing one situation; the truth file lists, per
situation, its kind, its organization and the suggestion keys it must produce. For each planted
organization, :func:`evaluate_suggestions` asks for the suggestions ``for`` it (clock at the
seed's ``now``) and reports, per kind:

- **precision@10**: of the top-10 suggestions for that kind's organizations, the share that are
  the planted ones (anything else suggested about the organization counts against it);
- **recall**: of the planted suggestions, the share found at all (top 100).

``duplicate_to_review`` needs ``POSSIBLY_SAME_AS`` edges: run ``kgcrm dedupe`` before the eval
(and the planted pair's score must fall in the review band).

    .venv/bin/python eval/suggestions.py path/to/seed-truth.json [--tenant slug]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kgcrm.core.errors import DataError
from kgcrm.eval.connections import percentile, seed_now
from kgcrm.graph.gateway import GraphGateway
from kgcrm.retrieval.connections import ConnectionFinder
from kgcrm.retrieval.suggestions import KINDS, SuggestionEngine, SuggestionSettings


@dataclass
class KindFigures:
    kind: str
    situations: int = 0
    expected: int = 0
    found: int = 0  # expected keys found (top 100)
    top10: int = 0  # suggestions in the top 10 for the kind's organizations
    top10_hits: int = 0  # ... that are planted ones

    @property
    def precision_at_10(self) -> float:
        return self.top10_hits / self.top10 if self.top10 else 0.0

    @property
    def recall(self) -> float:
        return self.found / self.expected if self.expected else 0.0


@dataclass
class SuggestionFigures:
    kinds: dict[str, KindFigures] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if not self.kinds:
            return "suggestions: no planted situations in the truth file (seed with --plant-suggestions)"
        lines = ["suggestions (planted situations): kind, precision@10, recall"]
        for kind in KINDS:
            f = self.kinds.get(kind)
            if f is not None:
                lines.append(
                    f"  {kind:22s} precision@10 {f.precision_at_10:6.1%}  recall {f.recall:6.1%}"
                    f"  ({f.found}/{f.expected} found, {f.situations} situations)"
                )
        lines.append(
            f"  latency per call p50 {percentile(self.latencies_ms, 0.5):.1f} ms,"
            f" p95 {percentile(self.latencies_ms, 0.95):.1f} ms"
        )
        return "\n".join(lines)


def evaluate_suggestions(
    gateway: GraphGateway,
    truth: Mapping[str, Any],
    *,
    tenant: str | None = None,
    settings: SuggestionSettings | None = None,
) -> SuggestionFigures:
    now = seed_now(truth)
    engine = SuggestionEngine(
        gateway,
        paths=ConnectionFinder(gateway, clock=lambda: now),
        settings=settings or SuggestionSettings(),
        clock=lambda: now,
    )
    tenants = [t for t in truth["tenants"] if tenant is None or tenant in (t["slug"], t["id"])]
    if not tenants:
        raise DataError(f"tenant '{tenant}' is not in the truth file", field="tenant")
    out = SuggestionFigures()
    by_kind: dict[str, KindFigures] = defaultdict(lambda: KindFigures(""))
    for t in tenants:
        for situation in t.get("suggestions", []):
            kind = situation["kind"]
            figures = by_kind[kind]
            figures.kind = kind
            started = time.perf_counter()
            result = engine.suggest(t["id"], for_id=situation["organization"], limit=100)
            out.latencies_ms.append((time.perf_counter() - started) * 1e3)
            keys = [s.key for s in result.suggestions]
            expected = set(situation["expected"])
            figures.situations += 1
            figures.expected += len(expected)
            figures.found += len(expected & set(keys))
            figures.top10 += len(keys[:10])
            figures.top10_hits += len(expected & set(keys[:10]))
            for key in sorted(expected - set(keys)):
                out.misses.append(f"{t['slug']}: {key} not suggested")
            for key in keys[:10]:
                if key not in expected:
                    out.misses.append(f"{t['slug']}: {key} suggested for a {kind} organization")
    out.kinds = dict(by_kind)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    from kgcrm.core.settings import load_settings
    from kgcrm.services import graph_gateway

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("truth", type=Path, help="the seed's ground truth (seed-truth.json)")
    parser.add_argument("--tenant", help="one tenant (slug or id); default: all")
    args = parser.parse_args(argv)
    truth = json.loads(args.truth.read_text(encoding="utf-8"))
    with graph_gateway(load_settings()) as gateway:
        result = evaluate_suggestions(gateway, truth, tenant=args.tenant)
    print(result.summary())
    for miss in result.misses:
        print(f"  {miss}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
