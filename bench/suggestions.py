"""Suggestions for one user (issue 14): latency p50/p95/max of ``SuggestionEngine.suggest(for=user)``
on the seeded CRM (default 1M rows), with each kind's own p95 beside it.

The CRM is the benchmarks' cached seed (``bench/common.py``), copied and migrated to the head
revision (the ``feedback`` table); the graph is synced in full unless it already holds the CRM's
tenants (``--reuse``). Every active user with a person record of one tenant is asked ``--calls``
times (after one warm-up call each), clock at the seed's ``now``. The baseline, in the same run, is
the connections search (``ConnectionFinder.connections``, max 3 hops) that the warm-intro kind
makes per candidate organization: a suggestion call makes up to ``suggest_warm_intro_candidates``
of them.

    NEO4J_URI=bolt://127.0.0.1:27613 NEO4J_PASSWORD=… .venv/bin/python bench/suggestions.py --rows 1000000
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # bench/ is not an installed package

import neo4j  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from bench.common import (  # noqa: E402
    SEED_NOW,
    graph_size,
    machine,
    markdown_table,
    neo4j_credentials,
    percentile,
    print_table,
    record_results,
    require_empty_graph,
    seeded_crm,
    working_copy,
)
from kgcrm.crm.database import make_engine, upgrade  # noqa: E402
from kgcrm.graph.gateway import GraphGateway  # noqa: E402
from kgcrm.graph.schema import apply_schema  # noqa: E402
from kgcrm.retrieval.cache import GraphVersion  # noqa: E402
from kgcrm.retrieval.connections import ConnectionFinder  # noqa: E402
from kgcrm.retrieval.connections.weighted import TeamTies  # noqa: E402
from kgcrm.retrieval.suggestions import KINDS, SuggestionEngine  # noqa: E402
from kgcrm.services import SUGGESTION_SEARCH  # noqa: E402
from kgcrm.sync.engine import GraphSync  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--tenants", type=int, default=10)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--tenant-index", type=int, default=0, help="which tenant's users are asked")
    parser.add_argument("--calls", type=int, default=5, help="calls per user (after one warm-up)")
    parser.add_argument("--reuse", action="store_true", help="the graph already holds this CRM: do not sync")
    parser.add_argument("--wipe", action="store_true", help="empty a graph that holds other data first")
    parser.add_argument("--section", help="the RESULTS.md section to write (default: suggestions-<rows>)")
    args = parser.parse_args()

    sqlite = working_copy(
        seeded_crm(args.rows, tenants=args.tenants, seed=args.seed), Path(tempfile.gettempdir()) / "kgcrm-bench-suggest"
    )
    engine = make_engine(f"sqlite:///{sqlite}")
    upgrade(engine)
    credentials = neo4j_credentials()
    with neo4j.GraphDatabase.driver(credentials.uri, auth=credentials.auth) as driver:
        gateway = GraphGateway(driver, timeout_s=120)
        if not args.reuse:
            require_empty_graph(driver, wipe=args.wipe)
        apply_schema(gateway, dimensions=384)  # idempotent: also adds indexes added since the sync
        if not args.reuse:
            started = time.perf_counter()
            GraphSync(engine, gateway).full()
            print(f"full sync: {time.perf_counter() - started:.0f} s")
        nodes, rels = graph_size(driver)
        with engine.connect() as conn:
            tenant = conn.execute(
                sa.text("SELECT id, slug FROM tenant ORDER BY created_at, id LIMIT 1 OFFSET :i"),
                {"i": args.tenant_index},
            ).one()
            users = list(
                conn.execute(
                    sa.text(
                        "SELECT id FROM app_user WHERE tenant_id = :t AND is_active AND individual_id IS NOT NULL"
                        " ORDER BY id"
                    ),
                    {"t": tenant.id},
                ).scalars()
            )
        # the baseline: /v1/connections' search, with the API's cache of the team's side (warmed below, untimed)
        finder = ConnectionFinder(
            gateway, clock=lambda: SEED_NOW, team_ties=TeamTies(GraphVersion(gateway).current, refresh_every_s=30.0)
        )
        # as the API builds it (kgcrm.services.suggestion_engine): its narrower warm-intro search
        # with the API's cache of the team's side of a search (kgcrm.retrieval.stack.build_stack's TeamTies)
        team_ties = TeamTies(GraphVersion(gateway).current, refresh_every_s=30.0)
        paths = ConnectionFinder(gateway, clock=lambda: SEED_NOW, limits=SUGGESTION_SEARCH, team_ties=team_ties)
        # and the API's shared threads (kgcrm.services.Services.workers)
        workers = ThreadPoolExecutor(max_workers=16, thread_name_prefix="side")
        engine_ = SuggestionEngine(gateway, paths=paths, clock=lambda: SEED_NOW, workers=workers)
        totals: list[float] = []
        per_kind: dict[str, list[float]] = {k: [] for k in KINDS}
        counts: list[int] = []
        first: list[float] = []  # each user's first call: the team's side of the warm-intro search not cached yet
        for user in users:
            started = time.perf_counter()
            engine_.suggest(tenant.id, for_id=user, limit=10)  # warm-up
            first.append((time.perf_counter() - started) * 1e3)
            for _ in range(args.calls):
                started = time.perf_counter()
                result = engine_.suggest(tenant.id, for_id=user, limit=10)
                totals.append((time.perf_counter() - started) * 1e3)
                counts.append(len(result.suggestions))
            for kind in KINDS:
                started = time.perf_counter()
                engine_.suggest(tenant.id, for_id=user, limit=10, kinds=[kind])
                per_kind[kind].append((time.perf_counter() - started) * 1e3)
        # the baseline: one connections search (3 hops) to each organization of the tenant's first deals
        with engine.connect() as conn:
            orgs = list(
                conn.execute(
                    sa.text(
                        "SELECT DISTINCT organization_id FROM lead WHERE tenant_id = :t AND lead_type = 'opportunity'"
                        " AND organization_id IS NOT NULL ORDER BY organization_id LIMIT 20"
                    ),
                    {"t": tenant.id},
                ).scalars()
            )
        baseline: list[float] = []
        if orgs:
            finder.connections(orgs[0], tenant.id, max_hops=3, limit=1)  # warm-up: the whole team's side
        for org in orgs:
            started = time.perf_counter()
            finder.connections(org, tenant.id, max_hops=3, limit=1)
            baseline.append((time.perf_counter() - started) * 1e3)
    load = os.getloadavg()
    header = ["what", "calls", "p50 ms", "p95 ms", "max ms"]
    rows = [
        ["suggest(for=user), all kinds", str(len(totals)), *(f"{v:.1f}" for v in _stats(totals))],
        *[[f"  kind {k} alone", str(len(v)), *(f"{x:.1f}" for x in _stats(v))] for k, v in per_kind.items()],
        ["first call per user (team side not cached)", str(len(first)), *(f"{v:.1f}" for v in _stats(first))],
        ["baseline: connections(org, 3 hops)", str(len(baseline)), *(f"{v:.1f}" for v in _stats(baseline))],
    ]
    print_table(f"suggestions, {args.rows:,} rows", header, rows)
    p95 = percentile(totals, 95)
    ratio = p95 / percentile(baseline, 95) if baseline else float("nan")
    body = (
        f"`bench/suggestions.py --rows {args.rows} --tenants {args.tenants} --calls {args.calls}`: tenant "
        f"{tenant.slug}, {len(users)} active users, graph {nodes:,} nodes / {rels:,} relationships; "
        f"{machine()}; load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} at the end.\n\n"
        + markdown_table(header, rows)
        + f"\n\np95 of one user's suggestions: **{p95:.1f} ms** (goal ≤ 150 ms); "
        f"{ratio:.1f}x the p95 of one 3-hop connections search in the same run; "
        f"suggestions per call: {min(counts, default=0)}..{max(counts, default=0)}.\n"
    )
    record_results(args.section or f"suggestions-{args.rows}", body)


def _stats(values: list[float]) -> tuple[float, float, float]:
    return percentile(values, 50), percentile(values, 95), max(values, default=0.0)


if __name__ == "__main__":
    main()
