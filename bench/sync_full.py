"""Full-sync throughput, against three baselines run in the same process on the same rows.

    .venv/bin/python bench/sync_full.py [--rows 1000000] [--tenants 10] [--batch-size 2000] [--sample 5000] [--wipe]

The CRM is a SQLite file seeded once by ``kgcrm seed``'s generator and cached under
``~/.cache/kgcrm/bench/`` (``crm-<rows>-t<tenants>-s<seed>.sqlite3``). Embeddings are off:
this measures the graph writes. Each contender starts from an empty graph with kgcrm's
schema applied:

- **sync**: ``GraphSync.full()``: every CRM row read, validated and written as a node
  (with its foreign-key relationships) or a relationship (link-table rows), then
  cleanup and the derived ``WORKS_AT``/``INTERACTED``. Rows/s = CRM rows mirrored / wall time.
- **(c) ceiling**: the bare driver, ``UNWIND $rows AS row CREATE (n:Bench) SET n = row``,
  one node per CRM row with the same properties, 10,000 rows per transaction; only the
  write calls are timed (reading and transforming the rows is not).
- **(a) neomodel**: ``save()`` per node with the ``graph/models.py`` classes, on a
  sample of the nodes (``--sample``): a per-row rate.
- **(b) LlamaIndex**: ``Neo4jPropertyGraphStore.upsert_nodes`` (``EntityNode``) and
  ``upsert_relations`` (``Relation``: the sample's foreign-key links and link-table rows)
  on the same sample: items (nodes + relationships) per second.

Goals: sync ≥ 60% of the ceiling, and ≥ 10x LlamaIndex. Prints a table and writes the
figures to ``bench/RESULTS.md`` (section ``sync_full_<rows>``).

Neo4j: ``NEO4J_URI``/``NEO4J_USER``/``NEO4J_PASSWORD`` (a scratch server: the graph is
emptied), else the tests' local server.
"""

from __future__ import annotations

import argparse
import logging
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import common
import neo4j
import sqlalchemy as sa

from kgcrm.crm.database import make_engine
from kgcrm.graph.gateway import GraphGateway, make_driver
from kgcrm.graph.mapping import EDGES, NODES, EdgeMapping, NodeMapping
from kgcrm.graph.schema import apply_schema
from kgcrm.sync import extract
from kgcrm.sync.engine import GraphSync
from kgcrm.sync.transform import EdgeRecord, NodeRecord, RejectedRow, transform_edge, transform_node
from kgcrm.sync.verify import SyncVerifier

CEILING_BATCH = 10_000


@dataclass
class Result:
    name: str
    rows: int
    seconds: float
    note: str = ""

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else float("inf")


# --- the rows, as the sync transforms them ------------------------------------------------------------


def records(
    conn: sa.Connection, mapping: NodeMapping | EdgeMapping, batch_size: int
) -> Iterator[list[NodeRecord | EdgeRecord]]:
    for rows in extract.iter_batches(conn, mapping, batch_size=batch_size):
        out: list[NodeRecord | EdgeRecord] = []
        for row in rows:
            record = transform_node(mapping, row) if isinstance(mapping, NodeMapping) else transform_edge(mapping, row)
            if not isinstance(record, RejectedRow):
                out.append(record)
        yield out


def table_sizes(conn: sa.Connection) -> dict[str, int]:
    sizes = {}
    for mapping in (*NODES, *EDGES):
        sizes[mapping.table] = int(conn.execute(sa.text(f"SELECT count(*) FROM {mapping.table}")).scalar_one())  # noqa: S608
    return sizes


def sample(conn: sa.Connection, size: int) -> tuple[list[NodeRecord], list[EdgeRecord]]:
    """``size`` nodes, every node table in proportion to its rows, and link-table rows in the same proportion."""
    sizes = table_sizes(conn)
    node_rows = sum(sizes[m.table] for m in NODES)
    nodes: list[NodeRecord] = []
    edges: list[EdgeRecord] = []
    for mapping in (*NODES, *EDGES):
        wanted = round(size * sizes[mapping.table] / node_rows)
        taken: list[Any] = []
        for batch in records(conn, mapping, 5_000):
            taken += batch[: wanted - len(taken)]
            if len(taken) >= wanted:
                break
        (nodes if isinstance(mapping, NodeMapping) else edges).extend(taken)
    return nodes, edges


# --- the contenders ----------------------------------------------------------------------------------


@dataclass
class Phases:
    """Seconds per step of the sync (the progress callback marks the end of each batch)."""

    seconds: Counter[str] = field(default_factory=Counter)
    last: float = field(default_factory=time.perf_counter)

    def mark(self, what: str) -> None:
        now = time.perf_counter()
        self.seconds[what] += now - self.last
        self.last = now


class TimedSync(GraphSync):
    """GraphSync with its cleanup and derive steps timed (the node and edge tables are timed by progress)."""

    def __init__(self, *args: Any, phases: Phases, **kwargs: Any) -> None:
        super().__init__(*args, progress=lambda what, n: phases.mark(what), **kwargs)
        self.phases = phases

    def _cleanup(self, *args: Any, **kwargs: Any) -> None:
        self.phases.mark("(before cleanup)")
        super()._cleanup(*args, **kwargs)
        self.phases.mark("cleanup")

    def _derive_all(self, *args: Any, **kwargs: Any) -> None:
        self.phases.last = time.perf_counter()
        super()._derive_all(*args, **kwargs)
        self.phases.mark("derive (rest)")


def run_sync(engine: sa.Engine, gateway: GraphGateway, batch_size: int) -> tuple[Result, Phases, int]:
    phases = Phases()
    sync = TimedSync(engine, gateway, batch_size=batch_size, phases=phases)
    started = time.perf_counter()
    report = sync.full()
    seconds = time.perf_counter() - started
    nodes, rels = common.graph_size(gateway.driver)
    note = f"{nodes:,} nodes + {rels:,} relationships = {(nodes + rels) / seconds:,.0f} graph elements/s"
    return Result("sync (GraphSync.full)", report.rows_written, seconds, note), phases, len(report.rejected)


def run_ceiling(engine: sa.Engine, driver: neo4j.Driver) -> Result:
    written = 0
    seconds = 0.0
    with engine.connect() as conn, driver.session() as session:
        for mapping in (*NODES, *EDGES):
            for batch in records(conn, mapping, CEILING_BATCH):
                rows = [{**r.properties, "id": r.id} for r in batch]
                started = time.perf_counter()
                session.execute_write(lambda tx, rows=rows: tx.run(CEILING_QUERY, rows=rows).consume())
                seconds += time.perf_counter() - started
                written += len(rows)
    return Result("(c) ceiling: bare UNWIND … CREATE", written, seconds, f"≤ {CEILING_BATCH:,} rows per transaction")


CEILING_QUERY = "UNWIND $rows AS row CREATE (n:Bench) SET n = row"


def run_neomodel(driver: neo4j.Driver, nodes: list[NodeRecord]) -> Result:
    from neomodel import db

    from kgcrm.graph.models import NODE_CLASSES, SUBTYPE_CLASSES

    db.set_connection(driver=driver)
    objects = []
    for record in nodes:
        cls = SUBTYPE_CLASSES[record.labels[1]] if record.label == "Lead" else NODE_CLASSES[record.label]
        known = set(cls.defined_properties(aliases=False, rels=False)) - {"row_id"}
        props = {k: v for k, v in record.properties.items() if k in known and k != "id"}
        objects.append(cls(row_id=f"nm-{record.id}", **props))
    started = time.perf_counter()
    for obj in objects:
        obj.save()
    seconds = time.perf_counter() - started
    return Result("(a) neomodel save() per node", len(objects), seconds, f"sample of {len(objects):,} nodes")


def run_llamaindex(credentials: Any, nodes: list[NodeRecord], edges: list[EdgeRecord]) -> Result:
    from llama_index.core.graph_stores.types import EntityNode, Relation
    from llama_index.graph_stores.neo4j import Neo4jPropertyGraphStore

    store = Neo4jPropertyGraphStore(
        username=credentials.user,
        password=credentials.password.get_secret_value(),
        url=credentials.uri,
        refresh_schema=False,
    )
    try:
        entity_nodes = [
            EntityNode(
                name=f"li-{r.id}",
                label=r.label,
                properties={k: v for k, v in r.properties.items() if k not in ("id", "name") and v is not None},
            )
            for r in nodes
        ]
        relations = [
            Relation(label=link.type, source_id=f"li-{r.id}", target_id=f"li-{link.target_id}")
            for r in nodes
            for link in r.links
            if link.target_id is not None
        ]
        relations += [
            Relation(
                label=e.type,
                source_id=f"li-{e.start_id}",
                target_id=f"li-{e.end_id}",
                properties={k: v for k, v in e.properties.items() if v is not None},
            )
            for e in edges
        ]
        started = time.perf_counter()
        store.upsert_nodes(entity_nodes)
        store.upsert_relations(relations)
        seconds = time.perf_counter() - started
    finally:
        store.close()
    # Rows as the sync counts them: a node row brings its foreign-key links, a link-table row is one relationship.
    return Result(
        "(b) LlamaIndex upsert_nodes + upsert_relations",
        len(nodes) + len(edges),
        seconds,
        f"{len(nodes):,} node rows + {len(edges):,} link rows "
        f"({len(entity_nodes):,} EntityNodes, {len(relations):,} Relations)",
    )


# --- main --------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="CRM rows to seed and sync")
    parser.add_argument("--tenants", type=int, default=10)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--batch-size", type=int, default=2_000, help="the sync's batch size")
    parser.add_argument("--sample", type=int, default=5_000, help="rows for the neomodel and LlamaIndex baselines")
    parser.add_argument("--no-baselines", action="store_true", help="time the sync only")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of sync, ceiling and LlamaIndex; medians kept")
    parser.add_argument("--verify", action=argparse.BooleanOptionalAction, default=None, help="default: ≤ 200k rows")
    parser.add_argument("--wipe", action="store_true", help="empty a graph that is not empty")
    parser.add_argument("--keep", action="store_true", help="leave the synced graph (default: emptied at the end)")
    parser.add_argument("--note", default="", help="a remark recorded with the figures")
    args = parser.parse_args()
    logging.getLogger("neo4j").setLevel(logging.ERROR)

    path = common.seeded_crm(args.rows, tenants=args.tenants, seed=args.seed)
    engine = make_engine(f"sqlite:///{path}")
    credentials = common.neo4j_credentials()
    driver = make_driver(credentials)
    gateway = GraphGateway(driver, timeout_s=600)
    try:
        common.require_empty_graph(driver, wipe=args.wipe)
        apply_schema(gateway, dimensions=384)
        version = common.neo4j_version(driver)
        nodes, edges = [], []
        if not args.no_baselines:
            with engine.connect() as conn:
                nodes, edges = sample(conn, args.sample)
            common.console.print(f"baseline (a): neomodel, {len(nodes):,} nodes (once: it is the slow one)…")
            neomodel = run_neomodel(driver, nodes)
            common.wipe_graph(driver)
        runs: dict[str, list[Result]] = {"sync": [], "(c)": [], "(b)": []}
        phases_of: list[Phases] = []
        rejected = 0
        for round_ in range(args.repeat):  # the contenders take turns: a load spike hits them alike
            common.console.print(f"round {round_ + 1} of {args.repeat}")
            if not args.no_baselines:
                common.console.print("  baseline (c): bare-driver ceiling…")
                runs["(c)"].append(run_ceiling(engine, driver))
                common.wipe_graph(driver)
                common.console.print(f"  baseline (b): LlamaIndex, {len(nodes):,} + {len(edges):,} rows…")
                runs["(b)"].append(run_llamaindex(credentials, nodes, edges))
                common.wipe_graph(driver)
            common.wipe_graph(driver)
            apply_schema(gateway, dimensions=384)
            common.console.print(f"  sync: GraphSync.full(), batch size {args.batch_size:,}…")
            result, phases, rejected = run_sync(engine, gateway, args.batch_size)
            runs["sync"].append(result)
            phases_of.append(phases)
            common.console.print(
                f"  sync {result.seconds:,.1f} s, "
                + ", ".join(f"{name} {rs[-1].seconds:,.1f} s" for name, rs in runs.items() if name != "sync" and rs)
            )
        median, index = _median(runs["sync"])
        results, phases = [median], phases_of[index]
        if not args.no_baselines:
            results += [_median(runs["(c)"])[0], neomodel, _median(runs["(b)"])[0]]
        verified = ""
        if args.verify if args.verify is not None else args.rows <= 200_000:
            with common.stopwatch() as took:
                report = SyncVerifier(engine, gateway).verify()
            verified = f"verify: {'no drift' if report.clean else 'DRIFT'} ({took[0]:.0f} s)"
            common.console.print(verified)
        if not args.keep:
            common.wipe_graph(driver)
    finally:
        driver.close()
        engine.dispose()

    report_results(args, results, phases, rejected, version, verified)


def _median(results: list[Result]) -> tuple[Result, int]:
    """The run of median time (of an even count, the slower middle one) and its index; its note lists every run."""
    index = sorted(range(len(results)), key=lambda i: results[i].seconds)[len(results) // 2]
    median = results[index]
    if len(results) > 1:
        times = ", ".join(f"{r.seconds:,.1f}" for r in results)
        note = f"{median.note}; median of {len(results)} runs: {times} s"
        median = Result(median.name, median.rows, median.seconds, note)
    return median, index


def report_results(
    args: argparse.Namespace, results: list[Result], phases: Phases, rejected: int, version: str, verified: str
) -> None:
    sync = results[0]
    by_name = {r.name[:3]: r for r in results[1:]}
    header = ["contender", "rows", "seconds", "rows/s", "note"]
    rows = [[r.name, f"{r.rows:,}", f"{r.seconds:,.1f}", f"{r.rate:,.0f}", r.note] for r in results]
    ratios: list[list[str]] = []
    if "(c)" in by_name:
        share = sync.rate / by_name["(c)"].rate
        ratios.append(["sync / ceiling (c)", f"{share:.0%}", "≥ 60%", "met" if share >= 0.6 else "SHORT"])
    if "(b)" in by_name:
        times = sync.rate / by_name["(b)"].rate
        ratios.append(["sync / LlamaIndex (b)", f"{times:.1f}x", "≥ 10x", "met" if times >= 10 else "SHORT"])
    if "(a)" in by_name:
        ratios.append(["sync / neomodel (a)", f"{sync.rate / by_name['(a)'].rate:.0f}x", "", ""])
    phase_rows = [[what, f"{s:,.1f}", f"{s / sync.seconds:.0%}"] for what, s in phases.seconds.items()]

    common.print_table(f"full sync of {args.rows:,} seeded rows", header, rows)
    if ratios:
        common.print_table("ratios", ["", "measured", "goal", ""], ratios)
    common.print_table("sync steps", ["step", "seconds", "share"], phase_rows)

    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = [
        f"### Full sync, {args.rows:,} seeded rows ({args.tenants} tenants), batch size {args.batch_size:,}",
        "",
        f"{when} · {common.machine()} · Neo4j {version} · "
        + f"`bench/sync_full.py --rows {args.rows} --repeat {args.repeat}`"
        + (f" · {args.note}" if args.note else ""),
        "",
        common.markdown_table(header, rows),
    ]
    if ratios:
        body += ["", common.markdown_table(["ratio", "measured", "goal", ""], ratios)]
    body += [
        "",
        "<details><summary>sync steps</summary>",
        "",
        common.markdown_table(["step", "seconds", "share"], phase_rows),
        "",
        "</details>",
    ]
    if rejected or verified:
        body += ["", f"{rejected} rows rejected. {verified}".strip()]
    common.record_results(f"sync_full_{args.rows}", "\n".join(body))


if __name__ == "__main__":
    main()
