"""Latency of "who connects us to X" on a large seeded graph: p50/p95 of ``connections()``.

    .venv/bin/python bench/retrieval_connections.py [--scale 100000] [--targets 200] [--reset]

The seeded CRM (SQLite) and its ground truth are cached under
``<user cache>/kgcrm/bench/`` (seeding 100k rows takes ~20 s, syncing them ~2 min).
The graph is synced from it unless it already holds exactly that seed; a graph that
holds anything else is left alone unless ``--reset`` (which empties it first).

Targets: every planted target (person and organization; easy: their paths are
planted), and as many people and organizations drawn at random from each tenant
(deterministic), who may sit in the dense middle of the graph. Each target is asked
for with ``max_hops`` 2, 3 and 4; the table shows p50/p95/max latency per kind of
target and hop bound, and the share of targets with at least one path. The goal is
p95 <= 100 ms at 4 hops. The eval figure (planted path in the top 3) is printed last.

Neo4j: ``NEO4J_URI``/``NEO4J_USER``/``NEO4J_PASSWORD`` when set; otherwise the local
test server the tests use, started if needed and left running.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # eval/ and tests/ are not installed packages

import neo4j  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from bench.common import neo4j_credentials  # noqa: E402
from kgcrm.core.settings import default_cache_dir  # noqa: E402
from kgcrm.crm.database import make_engine, upgrade  # noqa: E402
from kgcrm.crm.seed import seed_database, write_truth  # noqa: E402
from kgcrm.crm.seed_generate import SeedConfig  # noqa: E402
from kgcrm.eval.connections import evaluate_connections, percentile  # noqa: E402
from kgcrm.graph.gateway import GraphGateway, make_driver  # noqa: E402
from kgcrm.graph.schema import apply_schema  # noqa: E402
from kgcrm.retrieval.connections import ConnectionFinder  # noqa: E402
from kgcrm.sync.engine import GraphSync  # noqa: E402

NOW = datetime(2025, 11, 19, 15, 0, tzinfo=UTC)
HOPS = (2, 3, 4)

console = Console()


def seeded_crm(config: SeedConfig) -> tuple[Path, dict[str, Any]]:
    """The cached SQLite CRM of ``config`` and its truth; seeded on the first run."""
    cache = default_cache_dir() / "bench"
    stem = f"connections-s{config.scale}-t{config.tenants}-seed{config.seed}-{config.now:%Y%m%dT%H}"
    path, truth_path = cache / f"{stem}.sqlite3", cache / f"{stem}.truth.json"
    if path.exists() and truth_path.exists():
        return path, json.loads(truth_path.read_text(encoding="utf-8"))
    cache.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    try:
        upgrade(engine)
        console.print(f"seeding {config.scale:,} rows into {path} …")
        report = seed_database(engine, config)
    finally:
        engine.dispose()
    write_truth(report.truth, truth_path)
    return path, report.truth


def graph_holds(gateway: GraphGateway, truth: dict[str, Any]) -> bool | None:
    """True: the graph holds this seed; None: it is empty; False: it holds something else."""
    rows = gateway.read(
        "bench_tenants",
        "MATCH (t:Tenant) RETURN t.id AS id, COUNT { MATCH (p:Person) WHERE p.tenant_id = t.id } AS people",
    )
    if not rows:
        return None if not gateway.read("bench_any", "MATCH (n) RETURN n.id AS id LIMIT 1") else False
    people = {r["id"]: r["people"] for r in rows}
    expected = {t["id"]: t["row_counts"]["individual"] for t in truth["tenants"]}
    return people == expected


def ensure_graph(driver: neo4j.Driver, gateway: GraphGateway, sqlite: Path, truth: dict[str, Any], reset: bool) -> None:
    state = graph_holds(gateway, truth)
    if state:
        return
    if state is False and not reset:
        console.print("[red]The graph holds other data: pass --reset to replace it with the bench's seed.[/red]")
        sys.exit(2)
    console.print("syncing the seeded CRM into the graph …")
    with driver.session() as session:
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()
    apply_schema(gateway, dimensions=384)
    engine = make_engine(f"sqlite:///{sqlite}")
    started = time.perf_counter()
    try:
        GraphSync(engine, gateway).full()
    finally:
        engine.dispose()
    console.print(f"synced in {time.perf_counter() - started:.0f} s")


def targets(
    gateway: GraphGateway, truth: dict[str, Any], random_per_tenant: int, seed: int
) -> list[tuple[str, str, str]]:
    """(kind, tenant id, target id): the planted targets, then people and organizations drawn at random."""
    rng = random.Random(seed)
    out = []
    for t in truth["tenants"]:
        for planted in t["warm_paths"]:
            out.append(("planted person", t["id"], planted["target"]["id"]))
            out.append(("planted org", t["id"], planted["target_organization"]["id"]))
        for label, kind in (("Person", "random person"), ("Organization", "random org")):
            rows = gateway.read(
                "bench_ids",
                f"MATCH (n:{label}) WHERE n.tenant_id = $tenant RETURN n.id AS id ORDER BY id",
                {"tenant": t["id"]},
            )
            ids = [r["id"] for r in rows]
            out += [(kind, t["id"], i) for i in rng.sample(ids, min(random_per_tenant // 2, len(ids)))]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100_000, help="rows of the seeded CRM (all tenants)")
    parser.add_argument("--tenants", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--targets", type=int, default=200, help="random targets per tenant, besides the planted ones")
    parser.add_argument("--reset", action="store_true", help="empty a graph that holds other data first")
    args = parser.parse_args()

    config = SeedConfig(tenants=args.tenants, scale=args.scale, seed=args.seed, now=NOW)
    sqlite, truth = seeded_crm(config)
    driver = make_driver(neo4j_credentials())
    try:
        gateway = GraphGateway(driver)
        ensure_graph(driver, gateway, sqlite, truth, args.reset)
        finder = ConnectionFinder(gateway, clock=lambda: NOW)
        chosen = targets(gateway, truth, args.targets, args.seed)
        for _, tenant_id, target_id in chosen[:30]:  # warm up: connections, caches, query plans
            finder.connections(target_id, tenant_id)
        latencies: dict[tuple[str, int], list[float]] = defaultdict(list)
        found: dict[tuple[str, int], int] = defaultdict(int)
        for hops in HOPS:
            for kind, tenant_id, target_id in chosen:
                started = time.perf_counter()
                result = finder.connections(target_id, tenant_id, max_hops=hops)
                elapsed = (time.perf_counter() - started) * 1e3
                for key in ((kind, hops), ("all", hops)):
                    latencies[key].append(elapsed)
                    found[key] += bool(result.paths)
        figures = evaluate_connections(gateway, truth, finder=finder)
    finally:
        driver.close()

    table = Table(
        "targets", "max_hops", "n", "p50 ms", "p95 ms", "max ms", "with a path",
        title=f"connections() on a seeded graph of {args.scale:,} rows ({args.tenants} tenants)",
    )  # fmt: skip
    kinds = ["planted person", "planted org", "random person", "random org", "all"]
    for hops in HOPS:
        for kind in kinds:
            values = latencies[(kind, hops)]
            if not values:
                continue
            table.add_row(
                kind,
                str(hops),
                str(len(values)),
                f"{percentile(values, 0.5):.1f}",
                f"{percentile(values, 0.95):.1f}",
                f"{max(values):.1f}",
                f"{found[(kind, hops)] / len(values):.0%}",
            )
    console.print(table)
    console.print(figures.summary())


if __name__ == "__main__":
    main()
