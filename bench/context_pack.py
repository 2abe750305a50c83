"""Latency and size of context packs (``GET /v1/context``) on a large seeded graph, beside the naive baseline.

    .venv/bin/python bench/context_pack.py [--rows 1000000] [--tenants 10] [--bench-tenants 5]
                                           [--per-tenant 40] [--budget 2000] [--record]

Reads a graph already synced from the cached CRM (``kgcrm graph init && kgcrm sync --full
--no-embeddings`` with ``KGCRM_DATABASE_URL`` pointing at ``~/.cache/kgcrm/bench/crm-<rows>-…``;
see bench/README.md). The workload: per bench tenant (the first by id), people with a current role
and organizations with people, drawn at random (fixed seed) from the relational rows, half each.

Contenders, one client, on the same entities:

- **pack**: ``ContextBuilder.build_for_id`` (what ``GET /v1/context`` computes when its cache misses),
  without a question (ranked by recency);
- **pack + question**: the same with a question, its embedding computed once beforehand (the encode
  is timed apart, as in retrieval_speed.py). Without stored embeddings in the graph the items rank by
  their sections' relevance to the question;
- **baseline**: the naive pack, the entity's whole 2-hop neighbourhood (``cypher/context_baseline.cypher``,
  at most 20,000 nodes) read and serialised as JSON lines, and its tokens counted.

Reports p50/p95/max per contender and kind of entity, the packs' tokens against the baseline's, and the
goal: pack p95 <= 100 ms. ``--record`` writes the table into bench/RESULTS.md (with the load average).
Neo4j: ``NEO4J_URI``/``NEO4J_USER``/``NEO4J_PASSWORD`` when set; otherwise the tests' scratch server.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # bench/ is not an installed package

import sqlalchemy as sa  # noqa: E402

from bench.common import (  # noqa: E402
    SEED_NOW,
    graph_size,
    machine,
    markdown_table,
    neo4j_credentials,
    neo4j_version,
    percentile,
    print_table,
    record_results,
    seeded_crm,
)
from kgcrm.crm.database import make_engine  # noqa: E402
from kgcrm.eval.context_packs import baseline_lines  # noqa: E402
from kgcrm.graph.gateway import GraphGateway, make_driver  # noqa: E402
from kgcrm.retrieval.context.builder import SECTION_DESCRIPTIONS  # noqa: E402
from kgcrm.retrieval.stack import build_stack  # noqa: E402

GOAL_MS = 100.0
QUESTION = "What is open with {name}, and who on the team can introduce us?"


@dataclass
class Run:
    name: str
    kind: str
    ms: list[float] = field(default_factory=list)
    tokens: list[int] = field(default_factory=list)

    def timed(self, call: Callable[[], int]) -> None:
        started = time.perf_counter()
        tokens = call()
        self.ms.append((time.perf_counter() - started) * 1e3)
        self.tokens.append(tokens)

    def row(self) -> list[str]:
        return [
            self.name,
            self.kind,
            str(len(self.ms)),
            f"{percentile(self.ms, 50):.1f}",
            f"{percentile(self.ms, 95):.1f}",
            f"{max(self.ms):.1f}",
            f"{percentile(self.tokens, 50):,.0f}",
            f"{max(self.tokens):,}",
        ]


def draw(engine: sa.Engine, tenants: int, per_tenant: int, seed: int) -> list[tuple[str, str, str, str]]:
    """(tenant id, kind, entity id, name): people with a current role and organizations with people."""
    rng = random.Random(seed)
    out = []
    with engine.connect() as conn:
        ids = [r[0] for r in conn.execute(sa.text("SELECT id FROM tenant ORDER BY id LIMIT :n"), {"n": tenants})]
        for tenant in ids:
            people = conn.execute(
                sa.text(
                    "SELECT DISTINCT i.id, i.first_name || ' ' || i.last_name FROM individual i "
                    "JOIN contact c ON c.individual_id = i.id AND c.ended_on IS NULL "
                    "WHERE i.tenant_id = :t ORDER BY i.id"
                ),
                {"t": tenant},
            ).all()
            orgs = conn.execute(
                sa.text(
                    "SELECT DISTINCT o.id, o.name FROM organization o JOIN contact c ON c.organization_id = o.id "
                    "WHERE o.tenant_id = :t ORDER BY o.id"
                ),
                {"t": tenant},
            ).all()
            half = per_tenant // 2
            out += [(tenant, "person", r[0], r[1]) for r in rng.sample(people, min(half, len(people)))]
            out += [(tenant, "organization", r[0], r[1]) for r in rng.sample(orgs, min(half, len(orgs)))]
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--tenants", type=int, default=10)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--crm", type=Path, help="the seeded CRM (default: the cached one of --rows/--tenants/--seed)")
    parser.add_argument("--bench-tenants", type=int, default=5)
    parser.add_argument("--per-tenant", type=int, default=40, help="entities per bench tenant (half people)")
    parser.add_argument("--budget", type=int, default=2000)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument(
        "--baseline-nodes", type=int, default=20_000, help="the baseline's cap on nodes (5x on relationships)"
    )
    parser.add_argument("--no-question", action="store_true", help="skip the runs with a question (no model)")
    parser.add_argument("--record", action="store_true", help="write the figures into bench/RESULTS.md")
    args = parser.parse_args(argv)

    crm = args.crm or seeded_crm(args.rows, tenants=args.tenants, seed=args.seed)
    engine = make_engine(f"sqlite:///{crm}")
    workload = draw(engine, args.bench_tenants, args.per_tenant, args.seed)
    engine.dispose()
    questions = {entity: QUESTION.format(name=name) for _, _, entity, name in workload}
    vectors: dict[str, list[float]] = {}
    encode = Run("encode the question (sentence-transformers, CPU)", "-")
    if not args.no_question:
        from kgcrm.core.embedding import load_embedding_model
        from kgcrm.core.settings import Settings

        model = load_embedding_model(Settings())
        for text in SECTION_DESCRIPTIONS.values():  # the builder embeds these once per process
            vectors[text] = [float(x) for x in model.encode([text], normalize_embeddings=True)[0]]
        for text in questions.values():

            def one(text: str = text) -> int:
                vectors[text] = [float(x) for x in model.encode([text], normalize_embeddings=True)[0]]
                return 0

            encode.timed(one)

    driver = make_driver(neo4j_credentials())
    try:
        gateway = GraphGateway(driver)
        nodes, rels = graph_size(driver)
        stack = build_stack(gateway, embed=lambda text: vectors[text], clock=lambda: SEED_NOW)
        builder = stack.context
        builder.tokens.count("warm up")
        runs: dict[tuple[str, str], Run] = {}
        capped: list[bool] = []

        def run(name: str, kind: str) -> Run:
            return runs.setdefault((name, kind), Run(name, kind))

        # warm up: each bench tenant's first pack computes its team's side of the path search (cached while the
        # graph does not change; seconds at 1M rows), timed apart; then query plans and the page cache
        first = Run("first pack per tenant (team side not cached)", "-")
        firsts = {tenant: entity for tenant, _, entity, _ in reversed(workload)}
        for tenant, entity in firsts.items():
            first.timed(lambda t=tenant, e=entity: builder.build_for_id(e, t, budget_tokens=args.budget).used_tokens)
        for tenant, _, entity, _ in workload[:10]:
            builder.build_for_id(entity, tenant, budget_tokens=args.budget)
        for tenant, kind, entity, _ in workload:
            run("pack", kind).timed(
                lambda t=tenant, e=entity: builder.build_for_id(e, t, budget_tokens=args.budget).used_tokens
            )
            if not args.no_question:
                q = questions[entity]
                run("pack + question", kind).timed(
                    lambda t=tenant, e=entity, q=q: (
                        builder.build_for_id(e, t, budget_tokens=args.budget, question=q).used_tokens
                    )
                )
            if not args.no_baseline:

                def naive(t: str = tenant, e: str = entity) -> int:
                    lines, _, cut = baseline_lines(gateway, e, t, limit=args.baseline_nodes)
                    capped.append(cut)
                    return builder.tokens.count("\n".join(lines))

                run("baseline: 2-hop neighbourhood as JSON", kind).timed(naive)
        version = neo4j_version(driver)
    finally:
        driver.close()

    all_packs = [x for (name, _), r in runs.items() if name == "pack" for x in r.ms]
    header = ["contender", "entity", "n", "p50 ms", "p95 ms", "max ms", "tokens p50", "tokens max"]
    rows = [r.row() for r in runs.values()]
    if encode.ms:
        rows.append([*encode.row()[:6], "", ""])
    rows.append([*first.row()[:6], "", ""])
    p95 = percentile(all_packs, 95)
    verdict = "met" if p95 <= GOAL_MS else "SHORT"
    baseline_tokens = [x for (name, _), r in runs.items() if name.startswith("baseline") for x in r.tokens]
    pack_tokens = [x for (name, _), r in runs.items() if name == "pack" for x in r.tokens]
    sizes = ""
    if baseline_tokens:
        ratio = [b / max(1, p) for b, p in zip(baseline_tokens, pack_tokens, strict=False)]
        sizes = (
            f"Baseline / pack tokens: median {percentile(ratio, 50):.0f}x (baseline median "
            f"{percentile(baseline_tokens, 50):,.0f} tokens, p95 {percentile(baseline_tokens, 95):,.0f}; "
            f"pack median {percentile(pack_tokens, 50):,.0f} within {args.budget:,}); "
            f"{sum(capped)} of {len(capped)} baselines were cut at {args.baseline_nodes:,} nodes "
            f"(or {5 * args.baseline_nodes:,} relationships), so the ratio is a lower bound."
        )
    print_table(f"Context packs ({args.budget:,} tokens), {len(workload)} entities", header, rows)
    summary = (
        f"pack p95 over all {len(all_packs)} entities: {p95:.1f} ms (goal <= {GOAL_MS:.0f} ms: {verdict}). {sizes}"
    )
    print(summary)
    if args.record:
        command = (
            f"`bench/context_pack.py --rows {args.rows} --bench-tenants {args.bench_tenants} "
            f"--per-tenant {args.per_tenant} --budget {args.budget} --baseline-nodes {args.baseline_nodes}`"
        )
        body = (
            f"### Context packs, {args.rows:,} seeded rows ({args.tenants} tenants), budget {args.budget:,} tokens\n\n"
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} · {machine()} · Neo4j {version} · graph "
            f"{nodes:,} nodes + {rels:,} relationships · {command}\n\n"
            "One client, no answer cache (`ContextBuilder.build_for_id`, what `GET /v1/context` computes on a miss). "
            "Question embeddings computed once beforehand (timed apart: `encode`); the graph was synced without "
            "entity embeddings, so the question ranks sections, not notes.\n\n"
            f"{markdown_table(header, rows)}\n\n{summary}\n"
        )
        record_results(f"context_pack_{args.rows}", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
