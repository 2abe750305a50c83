"""Embedding throughput: raw ``model.encode`` against the pipeline, end to end, on the same texts.

    .venv/bin/python bench/embeddings.py [--texts 2000] [--repeat 3]

The pipeline's run includes everything the sync pays for: reading each entity's
text from Neo4j, hashing, encoding and writing the embeddings. The goal is an
end-to-end throughput of at least 90% of raw encoding (the model is the bottleneck,
reading and writing overlap with it).

Neo4j: ``NEO4J_URI``/``NEO4J_USER``/``NEO4J_PASSWORD`` when set; otherwise the local
test server the tests use (``tests/support/neo4j_fixtures.py``), started if needed and
left running (as a test session would find it). The bench writes only Note nodes of
its own tenant (``bench-embeddings``) and deletes them when done.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import neo4j  # noqa: E402
from faker import Faker  # noqa: E402

import cypher  # noqa: E402
from bench.common import neo4j_credentials  # noqa: E402
from kgcrm.core.embedding import load_embedding_model  # noqa: E402
from kgcrm.core.settings import Settings  # noqa: E402
from kgcrm.graph.gateway import GraphGateway, make_driver  # noqa: E402
from kgcrm.graph.schema import apply_schema  # noqa: E402
from kgcrm.sync.embeddings import (  # noqa: E402
    DEFAULT_BATCH_SIZE,
    DEFAULT_ENCODE_BATCH_SIZE,
    EmbeddingPipeline,
    EmbeddingStats,
)

TENANT = "bench-embeddings"


def note_bodies(count: int, seed: int = 7) -> list[str]:
    """CRM-note-like texts of 1 to 6 sentences (about 60 tokens on average)."""
    fake = Faker("en_US")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    return [fake.paragraph(nb_sentences=rng.randint(1, 6)) for _ in range(count)]


def arrange(gateway: GraphGateway, bodies: list[str]) -> list[str]:
    cleanup(gateway)
    rows = [{"id": f"bench-note-{i:05d}", "body": body} for i, body in enumerate(bodies)]
    gateway.write(
        "bench_arrange",
        "UNWIND $rows AS row CREATE (:Note:__Entity__ {id: row.id, tenant_id: $tenant, body: row.body})",
        {"rows": rows, "tenant": TENANT},
    )
    return [row["id"] for row in rows]


def clear_embeddings(gateway: GraphGateway) -> None:
    gateway.write(
        "bench_clear",
        "MATCH (n:Note {tenant_id: $tenant}) REMOVE n.embedding, n.embedding_hash",
        {"tenant": TENANT},
    )


def cleanup(gateway: GraphGateway) -> None:
    gateway.write("bench_cleanup", "MATCH (n:Note {tenant_id: $tenant}) DETACH DELETE n", {"tenant": TENANT})


def raw_encode(model: Any, texts: list[str], encode_batch_size: int) -> float:
    """Seconds of one plain ``model.encode`` call over every text."""
    started = time.perf_counter()
    model.encode(
        texts,
        batch_size=encode_batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )
    return time.perf_counter() - started


def raw_encode_in_a_thread(model: Any, texts: list[str], encode_batch_size: int) -> float:
    """The same call from a worker thread, as the pipeline makes it (torch threads differ per thread)."""
    seconds: list[float] = []
    worker = threading.Thread(target=lambda: seconds.append(raw_encode(model, texts, encode_batch_size)))
    worker.start()
    worker.join()
    return seconds[0]


def pipeline_run(
    gateway: GraphGateway, model: Any, ids: list[str], args: argparse.Namespace, name: str
) -> tuple[float, EmbeddingStats]:
    """Seconds of the pipeline, end to end, over every id (embeddings cleared first), and its counters."""
    clear_embeddings(gateway)
    started = time.perf_counter()
    with EmbeddingPipeline(
        gateway, model, model_name=name, batch_size=args.batch_size, encode_batch_size=args.encode_batch_size
    ) as pipeline:
        pipeline.submit(ids)
    seconds = time.perf_counter() - started
    if pipeline.stats.embedded != len(ids):
        raise SystemExit(f"the pipeline embedded {pipeline.stats.embedded} of {len(ids)} texts")
    return seconds, pipeline.stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="ids per read/write")
    parser.add_argument("--encode-batch-size", type=int, default=DEFAULT_ENCODE_BATCH_SIZE)
    args = parser.parse_args()

    settings = Settings()
    model = load_embedding_model(settings)
    bodies = note_bodies(args.texts)
    runs: dict[str, list[float]] = {name: [] for name in ROWS}

    with make_driver(neo4j_credentials()) as driver:
        gateway = GraphGateway(driver, timeout_s=120)
        apply_schema(gateway, dimensions=settings.embedding_dimensions)
        ids = arrange(gateway, bodies)
        try:
            rows = gateway.read("embedding_text", cypher.load("embedding_text"), {"ids": ids, "expand": []})
            texts = [row["text"] for row in rows]
            assert len(texts) == len(ids)
            for size in (64, len(texts)):  # warm-up: torch picks its kernels on the first calls
                model.encode(texts[:size], batch_size=args.encode_batch_size, show_progress_bar=False)

            def measure(name: str) -> None:
                if name == "pipeline":
                    seconds, stats = pipeline_run(gateway, model, ids, args, settings.embedding_model)
                    runs["pipeline"].append(seconds)
                    runs["encoding"].append(stats.encode_seconds)
                    runs["reading"].append(stats.read_seconds)
                    runs["writing"].append(stats.write_seconds)
                elif name == "raw":
                    runs["raw"].append(raw_encode(model, texts, args.encode_batch_size))
                else:
                    runs["raw_thread"].append(raw_encode_in_a_thread(model, texts, args.encode_batch_size))

            order = ["raw", "raw_thread", "pipeline"]
            for repeat in range(args.repeat):  # rotated, so that drifting load hits every kind alike
                for name in order[repeat % 3 :] + order[: repeat % 3]:
                    measure(name)
        finally:
            cleanup(gateway)

    n = len(ids)
    print(
        f"\n{n} texts (mean {sum(map(len, texts)) / n:.0f} chars), {args.repeat} rotated runs each, "
        f"batch_size={args.batch_size}, encode_batch_size={args.encode_batch_size}, CPU threads={_threads()}"
    )
    print("best = fastest run (least disturbed by other load on the machine)\n")
    print(f"{'':44} {'best s':>7} {'texts/s':>8} {'median s':>9} {'texts/s':>8}")
    for name, label in ROWS.items():
        best, median = min(runs[name]), statistics.median(runs[name])
        print(f"{label:44} {best:7.2f} {n / best:8.1f} {median:9.2f} {n / median:8.1f}")
    raw_best = min(min(runs["raw"]), min(runs["raw_thread"]))
    raw_median = min(statistics.median(runs["raw"]), statistics.median(runs["raw_thread"]))
    print(
        f"\nratio pipeline / raw (the faster raw row): {raw_best / min(runs['pipeline']):.1%} best, "
        f"{raw_median / statistics.median(runs['pipeline']):.1%} median; goal >= 90%"
    )


ROWS = {
    "raw": "raw model.encode (main thread)",
    "raw_thread": "raw model.encode (worker thread)",
    "pipeline": "pipeline end to end (read, encode, write)",
    "encoding": "  pipeline: encoding",
    "reading": "  pipeline: reading texts (overlapped)",
    "writing": "  pipeline: writing embeddings (overlapped)",
}


def _threads() -> int:
    import torch

    return torch.get_num_threads()


if __name__ == "__main__":
    try:
        main()
    except neo4j.exceptions.ServiceUnavailable as exc:
        raise SystemExit(f"Neo4j is not reachable: {exc}") from exc
