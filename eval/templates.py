"""Template questions over the seeded CRM: every answer must equal the seed's ground truth."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kgcrm.eval.connections import percentile, seed_now
from kgcrm.graph.gateway import GraphGateway
from kgcrm.retrieval.templates import TemplateAnswerer
from kgcrm.retrieval.types import Resolution


class _NoEntities:
    def resolve(self, text: str, tenant_id: str, types: list[str] | None = None, limit: int = 5) -> Resolution:
        raise AssertionError(f"a deal question resolved {text!r}")


@dataclass
class TemplateFigures:
    asked: int = 0
    exact: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.exact / self.asked if self.asked else 0.0

    def summary(self) -> str:
        return (
            f"templates: {self.exact}/{self.asked} exact ({self.accuracy:.1%}); "
            f"p50 {percentile(self.latencies_ms, 0.50):.0f} ms, p95 {percentile(self.latencies_ms, 0.95):.0f} ms"
        )


def _quarter_question(quarter: str, outcome: str, now: datetime) -> str:
    year, q = quarter.split("-")
    return f"How many deals did we {'win' if outcome == 'won' else 'lose'} in {q} {year}?"


def evaluate_templates(
    gateway: GraphGateway, truth: Mapping[str, Any], *, tenant: str | None = None
) -> TemplateFigures:
    now = seed_now(truth)
    answerer = TemplateAnswerer(gateway, _NoEntities(), clock=lambda: now)
    result = TemplateFigures()
    for t in truth["tenants"]:
        if tenant is not None and tenant not in (t["slug"], t["id"]):
            continue
        deals = t["deals"]
        cases: list[tuple[str, Any, Any]] = []
        expected_stages = {s: v for s, v in deals["by_stage"].items() if v["count"]}
        cases.append(("How many deals by stage?", "groups", expected_stages))
        for outcome, key in (("won", "won_by_quarter"), ("lost", "lost_by_quarter")):
            for quarter, figures in deals.get(key, {}).items():
                cases.append((_quarter_question(quarter, outcome, now), "total", figures))
        for question, kind, expected in cases:
            started = time.perf_counter()
            answer = answerer.answer(question, t["id"])
            result.latencies_ms.append((time.perf_counter() - started) * 1e3)
            result.asked += 1
            if answer is None:
                result.misses.append(f"{t['slug']}: no template for {question!r}")
                continue
            if kind == "groups":
                got: Any = {g["stage"]: {"count": g["count"], "amount": g["amount"]} for g in answer.data["groups"]}
            else:
                got = {"count": answer.data["count"], "amount": answer.data["amount"]}
            if got == expected:
                result.exact += 1
            else:
                result.misses.append(f"{t['slug']}: {question!r}: got {got}, expected {expected}")
    return result
