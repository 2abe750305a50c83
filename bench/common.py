"""What the sync benchmarks share: the seeded CRM cache, the Neo4j to use, the machine, RESULTS.md.

Not a test helper: the benchmarks are scripts (``bench/sync_full.py``, ``bench/sync_lag.py``)
that print a table and record their figures in ``bench/RESULTS.md``.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import neo4j  # noqa: E402
from pydantic import SecretStr  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from kgcrm.core.settings import default_cache_dir  # noqa: E402
from kgcrm.crm.database import make_engine, upgrade  # noqa: E402
from kgcrm.crm.seed import seed_database  # noqa: E402
from kgcrm.crm.seed_generate import SeedConfig  # noqa: E402
from kgcrm.graph.server import LocalNeo4jServer, Neo4jCredentials  # noqa: E402

RESULTS = Path(__file__).with_name("RESULTS.md")
SEED_NOW = datetime(2026, 11, 20, tzinfo=UTC)  # fixed: the same --rows/--tenants/--seed give the same file

console = Console()


# --- the seeded CRM --------------------------------------------------------------------------------


def bench_cache_dir() -> Path:
    return default_cache_dir() / "bench"


def seeded_crm(rows: int, *, tenants: int, seed: int) -> Path:
    """A SQLite CRM seeded with ``rows`` rows, made once and kept under ``~/.cache/kgcrm/bench/``."""
    path = bench_cache_dir() / f"crm-{rows}-t{tenants}-s{seed}.sqlite3"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    for leftover in path.parent.glob(partial.name + "*"):
        leftover.unlink()
    engine = make_engine(f"sqlite:///{partial}")
    try:
        upgrade(engine)
        console.print(f"seeding {rows:,} rows ({tenants} tenants) into {path} (once; cached)…")
        report = seed_database(engine, SeedConfig(tenants=tenants, scale=rows, seed=seed, now=SEED_NOW))
        console.print(f"  seeded in {report.seconds:.0f} s ({report.rows_per_second:,.0f} rows/s)")
    finally:
        engine.dispose()  # the last connection checkpoints the WAL into the file
    partial.rename(path)
    return path


def working_copy(path: Path, directory: Path) -> Path:
    """A copy of a cached CRM that a benchmark may write to."""
    directory.mkdir(parents=True, exist_ok=True)
    copy = directory / path.name
    shutil.copyfile(path, copy)
    return copy


# --- Neo4j -----------------------------------------------------------------------------------------


def neo4j_credentials() -> Neo4jCredentials:
    """``NEO4J_URI``/``NEO4J_USER``/``NEO4J_PASSWORD`` when set; otherwise the tests' local server."""
    uri = os.environ.get("NEO4J_URI")
    if uri:
        user = os.environ.get("NEO4J_USER") or os.environ.get("NEO4J_USERNAME") or "neo4j"
        return Neo4jCredentials(uri, user, SecretStr(os.environ.get("NEO4J_PASSWORD", "")))
    from tests.support.neo4j_fixtures import neo4j_test_settings

    server = LocalNeo4jServer(neo4j_test_settings())
    server.start(timeout_s=300)  # a no-op when it runs
    return Neo4jCredentials(server.bolt_uri, "neo4j", SecretStr(server.password()))


def require_empty_graph(driver: neo4j.Driver, *, wipe: bool) -> None:
    """The benchmarks empty the graph: refuse a graph with data unless told to wipe it."""
    records, _, _ = driver.execute_query("MATCH (n) RETURN count(n) AS c")
    if records[0]["c"] and not wipe:
        raise SystemExit(
            f"the graph at {driver.get_server_info().address} holds {records[0]['c']:,} nodes: "
            "point NEO4J_URI at a scratch Neo4j, or pass --wipe to empty it"
        )
    wipe_graph(driver)


def wipe_graph(driver: neo4j.Driver, label: str | None = None) -> None:
    """Delete every node (of a label): relationships first, so that no transaction holds a dense node's many."""
    match = f"MATCH (n:`{label}`)" if label else "MATCH (n)"
    with driver.session() as session:
        session.run(match + "-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 10000 ROWS").consume()
        session.run(match + " CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()


def neo4j_version(driver: neo4j.Driver) -> str:
    records, _, _ = driver.execute_query(
        "CALL dbms.components() YIELD name, versions WHERE name = 'Neo4j Kernel' RETURN versions[0] AS v"
    )
    return str(records[0]["v"])


def graph_size(driver: neo4j.Driver) -> tuple[int, int]:
    nodes, _, _ = driver.execute_query("MATCH (n) RETURN count(n) AS c")
    rels, _, _ = driver.execute_query("MATCH ()-[r]->() RETURN count(r) AS c")
    return int(nodes[0]["c"]), int(rels[0]["c"])


# --- the machine and timing -------------------------------------------------------------------------


def machine() -> str:
    """Cores, CPU model, load and memory: figures on a shared machine need the load next to them."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"model name\s*:\s*(.+)", cpuinfo.read_text())
        cpu = found.group(1).strip() if found else cpu
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{os.cpu_count()} cores ({cpu}), load average {load}, Python {platform.python_version()}"


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """``with stopwatch() as t: ...`` then ``t[0]`` is the elapsed seconds."""
    elapsed: list[float] = []
    started = time.perf_counter()
    try:
        yield elapsed
    finally:
        elapsed.append(time.perf_counter() - started)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0 to 100) of ``values``, by linear interpolation between the closest ranks."""
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


# --- output -----------------------------------------------------------------------------------------


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    table = Table(title=title)
    for i, name in enumerate(header):
        table.add_column(name, justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*row)
    console.print(table)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def record_results(section: str, body: str) -> None:
    """Replace (or append) ``section`` of bench/RESULTS.md, between its begin/end markers."""
    begin, end = f"<!-- {section}:begin -->", f"<!-- {section}:end -->"
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    block = f"{begin}\n{body.rstrip()}\n{end}"
    if begin in text and end in text:
        text = text[: text.index(begin)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    RESULTS.write_text(text, encoding="utf-8")
    console.print(f"recorded in {RESULTS.relative_to(ROOT)} ({section})")
