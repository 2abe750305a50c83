"""Build a graph of embedded entities for the vector-search benchmark, cheaply: vectors written directly.

    NEO4J_URI=bolt://127.0.0.1:27615 NEO4J_PASSWORD=… \\
        .venv/bin/python bench/vector_graph.py [--nodes 1000000] [--tenants 10] [--wipe]

Syncing a 1M-row CRM and embedding every entity with the model takes hours on 2 cores;
what vector search costs depends on the number of vectors, their dimension, their
tenants and labels, not on what the text said. So this writes ``--nodes`` entity
nodes (``:__Entity__`` and one CRM label each, in the label mix of the seeded CRM)
with deterministic 384-dimensional vectors (numpy, ``--seed``): clustered around
2,000 centres shared by every tenant (embeddings of real text are clustered, and
tenants talk about the same things), stored as the sync stores them (a list of
floats in ``embedding``, with the tenant vector label the sync writes with every
embedding: ``kgcrm.graph.tenant_vectors``). Then kgcrm's own schema (``ensure_schema``: the vector
index ``entity`` and the ``entity_tenant`` range index among the rest) is applied
and awaited.

Tenant sizes halve from one tenant to the next (``--ratio 2``): at 1M nodes and 10
tenants, 500k, 250k, … down to ~1k entities: the large tenants the ANN index serves
and the small ones an exact scan serves, in one graph. ``bench/vector_search.py``
regenerates the same centres (same seed) for its queries.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import neo4j
import numpy as np

from bench.common import console, neo4j_credentials, require_empty_graph
from kgcrm.graph.gateway import GraphGateway
from kgcrm.graph.schema import ensure_schema
from kgcrm.graph.tenant_vectors import NAMED_KINDS, tenant_label

DIMENSIONS = 384
CENTRES = 2_000
NOISE = 0.6
#: The label mix of the seeded CRM's entities (bench/RESULTS.md: 1M rows → ~575k entities).
LABELS = {
    "Person": 0.18,
    "Organization": 0.045,
    "Contact": 0.255,
    "Interaction": 0.26,
    "Note": 0.125,
    "Task": 0.08,
    "Lead": 0.05,
    "Account": 0.005,
}


def tenant_ids(tenants: int) -> list[str]:
    return [f"vt-{i:02d}" for i in range(tenants)]


def tenant_shares(tenants: int, ratio: float) -> np.ndarray:
    """Each tenant's share of the nodes: the first the largest, each next one ``ratio`` times smaller."""
    weights = np.array([ratio ** (-i) for i in range(tenants)])
    return weights / weights.sum()


def centres(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((CENTRES, DIMENSIONS)).astype(np.float64)


def vectors_near(rng: np.random.Generator, centre_rows: np.ndarray) -> np.ndarray:
    """Unit vectors scattered around the given centres (one per row)."""
    raw = centre_rows + NOISE * rng.standard_normal(centre_rows.shape)
    return raw / np.linalg.norm(raw, axis=1, keepdims=True)


def build(driver: neo4j.Driver, *, nodes: int, tenants: int, ratio: float, seed: int, batch: int) -> None:
    ids = tenant_ids(tenants)
    shares = tenant_shares(tenants, ratio)
    labels = list(LABELS)
    label_p = np.array(list(LABELS.values()))
    label_p = label_p / label_p.sum()
    table = centres(seed)
    started = time.perf_counter()
    for start in range(0, nodes, batch):
        rng = np.random.default_rng([seed, start])  # each batch reproducible on its own
        size = min(batch, nodes - start)
        tenant_of = rng.choice(tenants, size=size, p=shares)
        label_of = rng.choice(len(labels), size=size, p=label_p)
        vectors = vectors_near(rng, table[rng.integers(0, CENTRES, size=size)])
        by_label: dict[str, list[dict[str, object]]] = {}
        for offset in range(size):
            by_label.setdefault(labels[label_of[offset]], []).append(
                {
                    "id": f"ve-{start + offset:07d}",
                    "tenant": ids[tenant_of[offset]],
                    "label": tenant_label(ids[tenant_of[offset]]),
                    "names_label": tenant_label(ids[tenant_of[offset]], names=True),
                    "name": f"entity {start + offset}",
                    "embedding": vectors[offset].tolist(),
                }
            )
        for label, rows in by_label.items():
            # the label is one of LABELS (a code constant), never input
            driver.execute_query(
                f"UNWIND $rows AS row CREATE (n:__Entity__:{label}) "
                "SET n.id = row.id, n.tenant_id = row.tenant, n.name = row.name, n.embedding = row.embedding, "
                "n:$(row.label)" + (", n:$(row.names_label)" if label in NAMED_KINDS else ""),
                rows=rows,
            )
        done = start + size
        rate = done / (time.perf_counter() - started)
        console.print(f"{done:,} / {nodes:,} nodes written ({rate:,.0f}/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, default=1_000_000)
    parser.add_argument("--tenants", type=int, default=10)
    parser.add_argument("--ratio", type=float, default=2.0, help="each tenant this many times smaller than the last")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--wipe", action="store_true")
    args = parser.parse_args()
    credentials = neo4j_credentials()
    driver = neo4j.GraphDatabase.driver(credentials.uri, auth=credentials.auth)
    try:
        require_empty_graph(driver, wipe=args.wipe)
        build(driver, nodes=args.nodes, tenants=args.tenants, ratio=args.ratio, seed=args.seed, batch=args.batch)
        console.print("applying kgcrm's schema and waiting for the vector index (long at 1M)…")
        started = time.perf_counter()
        ensure_schema(
            GraphGateway(driver, database="neo4j", timeout_s=4 * 3600), dimensions=DIMENSIONS, timeout_s=4 * 3600
        )
        console.print(f"schema online in {time.perf_counter() - started:.0f} s")
    finally:
        driver.close()


if __name__ == "__main__":
    main()
