"""Answer quality of the tenant names index: ``SemanticSearch.nearest`` for people and organizations, on the
mentions of ``bench/retrieval_speed.py`` (same workload, same seed), through each tenant's names index and,
for comparison, through the tenant's whole index (the names index switched off in this process).

    .venv/bin/python bench/vector_names_quality.py [--rows 1000000] [--tenants 10] [--queries 100]
                                                   [--tuned-on 237fb31a,322b2684]

The graph must hold that seeded CRM, embedded, with its tenant indexes (as for ``retrieval_speed.py``).
``--tuned-on``: id prefixes of the tenants the names index's fetch was chosen on (by hand, session 9);
the others are reported apart, as held out. Prints top-1 / top-3 per group and index; records nothing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import retrieval_speed as speed

from bench.common import neo4j_credentials, seeded_crm
from kgcrm.core.embedding import load_embedding_model
from kgcrm.core.settings import Settings
from kgcrm.crm.database import make_engine
from kgcrm.graph.gateway import GraphGateway, make_driver
from kgcrm.retrieval.mentions import parse_mention
from kgcrm.retrieval.vector_strategy import TenantVectorSearch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--tenants", type=int, default=10)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--queries", type=int, default=100, help="mentions drawn per tenant")
    parser.add_argument("--tuned-on", default="237fb31a,322b2684", help="id prefixes of the tenants tuned on")
    args = parser.parse_args()
    tuned = tuple(prefix for prefix in args.tuned_on.split(",") if prefix)

    engine = make_engine(f"sqlite:///{seeded_crm(args.rows, tenants=args.tenants, seed=args.seed)}")
    workload = speed.draw_workload(engine, speed.bench_tenants(engine, args.tenants), args.queries, args.seed)
    texts = [m.text for m in workload.mentions]
    texts += [parse_mention(t, now=speed.SEED_NOW).text for t in texts]  # what the search embeds
    cache = speed.CachedEmbedding(load_embedding_model(Settings()), texts)
    with make_driver(neo4j_credentials()) as driver:
        stack = speed.build_stack(GraphGateway(driver), embed=cache, clock=lambda: speed.SEED_NOW)
        with_names = TenantVectorSearch.has_tenant_index
        counts: dict[tuple[str, str], list[int]] = {}
        for index in ("names index", "whole tenant index"):
            if index == "whole tenant index":  # as before the names index: never listed as online
                TenantVectorSearch.has_tenant_index = (  # type: ignore[method-assign]
                    lambda self, tenant, *, names=False: not names and with_names(self, tenant)
                )
            for mention in workload.mentions:
                hits = stack.search.nearest(mention.text, mention.tenant_id, types=["Person", "Organization"], limit=10)
                ids = [hit["id"] for hit in hits]
                group = "tuned on" if mention.tenant_id.startswith(tuned) else "held out"
                row = counts.setdefault((group, index), [0, 0, 0])
                row[0] += 1
                row[1] += bool(ids) and ids[0] == mention.expected
                row[2] += mention.expected in ids[:3]
    for (group, index), (n, top1, top3) in sorted(counts.items()):
        print(f"{group:9s} {index:19s} mentions {n:5d}  top-1 {top1 / n:6.1%}  top-3 {top3 / n:6.1%}")


if __name__ == "__main__":
    main()
