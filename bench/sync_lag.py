"""Incremental-sync lag: from a write's commit to the change being visible in the graph, under a steady stream.

    .venv/bin/python bench/sync_lag.py [--rate 20] [--duration 30] [--interval 0.5] [--rows 20000] [--wipe]

A seeded SQLite CRM (cached under ``~/.cache/kgcrm/bench/``, copied: the bench writes to
the copy; or ``--database-url`` for another database that already holds a seeded CRM)
is fully synced first. Then ``kgcrm sync --follow --no-embeddings`` runs as a separate
process while a writer makes ``--rate`` plain-SQL writes per second for ``--duration``
seconds, each in its own transaction: a person's bio updated, a person inserted, or an
interaction inserted with two participants. An observer polls Neo4j every 20 ms and
notes when each write is visible (the new bio, the new person, the interaction with
both PARTICIPATED_IN relationships). Lag = visible - commit, both on this process's clock.

Goal: p95 ≤ 1 s. Prints a table and writes the figures to ``bench/RESULTS.md``
(section ``sync_lag``).

``--compare-notify`` (PostgreSQL, issue 15): the same stream twice in one run, first to a
follower woken by the change log's NOTIFY (``--notify``, the default), then to one that only
polls (``--no-notify``) at ``--interval``; one table, section ``sync_lag_notify_<dialect>``.
Goal: NOTIFY p95 ≤ 100 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import common
import neo4j
import sqlalchemy as sa

from kgcrm.crm.database import make_engine
from kgcrm.graph.gateway import GraphGateway, make_driver
from kgcrm.graph.schema import apply_schema
from kgcrm.sync.engine import GraphSync
from kgcrm.sync.verify import SyncVerifier

POLL_S = 0.02


@dataclass
class Write:
    kind: str  # "update" | "insert" | "interaction"
    id: str
    expected: str | int | None  # the bio after an update; the participant count of an interaction
    committed: float
    visible: float | None = None

    @property
    def lag(self) -> float:
        assert self.visible is not None
        return self.visible - self.committed


@dataclass
class Stream:
    writes: list[Write] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    done: threading.Event = field(default_factory=threading.Event)

    def pending(self) -> list[Write]:
        with self.lock:
            return [w for w in self.writes if w.visible is None]


def writer(engine: sa.Engine, stream: Stream, rate: float, duration: float, rng: random.Random) -> None:
    """``rate`` writes per second on a fixed schedule, each committed in its own transaction."""
    with engine.connect() as conn:
        tenants = [r[0] for r in conn.execute(sa.text("SELECT id FROM tenant ORDER BY id"))]
        people = {
            t: [r[0] for r in conn.execute(sa.text("SELECT id FROM individual WHERE tenant_id = :t"), {"t": t})]
            for t in tenants
        }
    for pool in people.values():
        rng.shuffle(pool)
    # The bios written are this stream's own: the same seed picks the same people again in the next
    # stream (or run), and a bio it wrote would then be "visible" before its write.
    stream_id = uuid.uuid4().hex[:8]
    started = time.monotonic()
    k = 0
    while (due := started + k / rate) < started + duration:
        time.sleep(max(0.0, due - time.monotonic()))
        tenant = tenants[k % len(tenants)]
        kind = ("update", "update", "insert", "interaction")[k % 4]
        with engine.begin() as conn:
            if kind == "update":
                row_id, expected = people[tenant].pop(), f"lag-{stream_id}-{k}"
                update = sa.text("UPDATE individual SET bio = :bio WHERE id = :id")
                conn.execute(update, {"bio": expected, "id": row_id})
            elif kind == "insert":
                row_id, expected = str(uuid.uuid4()), None
                insert = "INSERT INTO individual (id, tenant_id, first_name, last_name) VALUES (:id, :t, 'Lag', :n)"
                conn.execute(sa.text(insert), {"id": row_id, "t": tenant, "n": f"N{k}"})
            else:
                row_id, expected = str(uuid.uuid4()), 2
                conn.execute(
                    sa.text(
                        "INSERT INTO interaction (id, tenant_id, kind, subject, occurred_at, source) "
                        "VALUES (:id, :t, 'call', :s, :at, 'manual')"
                    ),
                    {"id": row_id, "t": tenant, "s": f"Lag call {k}", "at": datetime.now(UTC)},
                )
                for person, role in zip(rng.sample(people[tenant], 2), ("from", "to"), strict=True):
                    conn.execute(
                        sa.text(
                            "INSERT INTO interaction_participant (id, tenant_id, interaction_id, individual_id, role) "
                            "VALUES (:id, :t, :i, :p, :r)"
                        ),
                        {"id": str(uuid.uuid4()), "t": tenant, "i": row_id, "p": person, "r": role},
                    )
        committed = time.monotonic()
        with stream.lock:
            stream.writes.append(Write(kind, row_id, expected, committed))
        k += 1
    stream.done.set()


PEOPLE = "UNWIND $ids AS id MATCH (p:Person {id: id}) RETURN p.id AS id, p.bio AS value"
INTERACTIONS = (
    "UNWIND $ids AS id MATCH (i:Interaction {id: id}) RETURN i.id AS id, COUNT { (i)<-[:PARTICIPATED_IN]-() } AS value"
)


def observer(driver: neo4j.Driver, stream: Stream, stop: threading.Event) -> None:
    while not stop.is_set():
        pending = stream.pending()
        if pending:
            people = [w for w in pending if w.kind != "interaction"]
            interactions = [w for w in pending if w.kind == "interaction"]
            found: dict[str, object] = {}
            for query, writes in ((PEOPLE, people), (INTERACTIONS, interactions)):
                if writes:
                    records, _, _ = driver.execute_query(query, ids=[w.id for w in writes], routing_="r")
                    found.update({r["id"]: r["value"] for r in records})
            now = time.monotonic()
            for w in pending:
                if w.id in found and (w.kind == "insert" or found[w.id] == w.expected):
                    w.visible = now
        time.sleep(POLL_S)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=20.0, help="writes per second")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of writes")
    parser.add_argument("--interval", type=float, default=0.5, help="the follower's poll interval (kgcrm's default)")
    parser.add_argument("--batch-size", type=int, default=2_000)
    parser.add_argument("--rows", type=int, default=20_000, help="size of the seeded CRM")
    parser.add_argument("--tenants", type=int, default=4)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--database-url", help="a seeded CRM to write to (default: a copy of the cached SQLite)")
    parser.add_argument("--wipe", action="store_true", help="empty a graph that is not empty")
    parser.add_argument("--note", default="", help="a remark recorded with the figures")
    parser.add_argument(
        "--compare-notify", action="store_true", help="NOTIFY-woken follower, then a polling one, in one run"
    )
    args = parser.parse_args()
    modes = ["--notify", "--no-notify"] if args.compare_notify else [None]
    # A shell's background job ignores SIGINT, and its children inherit that: the follower would not
    # stop on the SIGINT it is sent below. A handler here is reset to the default in the child.
    signal.signal(signal.SIGINT, signal.default_int_handler)

    workdir = Path(tempfile.mkdtemp(prefix="kgcrm-lag-"))
    if args.database_url:
        url = args.database_url
    else:
        crm = common.working_copy(common.seeded_crm(args.rows, tenants=args.tenants, seed=args.seed), workdir)
        url = f"sqlite:///{crm}"
    engine = make_engine(url)
    credentials = common.neo4j_credentials()
    driver = make_driver(credentials)
    gateway = GraphGateway(driver, timeout_s=600)
    follower: subprocess.Popen[bytes] | None = None
    try:
        common.require_empty_graph(driver, wipe=args.wipe)
        apply_schema(gateway, dimensions=384)
        with common.stopwatch() as took:
            GraphSync(engine, gateway, batch_size=args.batch_size).full()
        common.console.print(f"full sync of the CRM: {took[0]:.0f} s")

        streams: dict[str | None, Stream] = {}
        for mode in modes:
            log = workdir / f"follow{mode or ''}.log"
            env = dict(os.environ)
            env.update(
                DATABASE_URL=url,
                NEO4J_URI=credentials.uri,
                NEO4J_USER=credentials.user,
                NEO4J_PASSWORD=credentials.password.get_secret_value(),
            )
            command = [sys.executable, "-c", "from kgcrm.cli import main; main()", "sync", "--follow"]
            command += ["--no-embeddings", "--interval", str(args.interval), "--batch-size", str(args.batch_size)]
            command += [mode] if mode else []
            with log.open("wb") as out:
                follower = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
            while "kgcrm sync (incremental)" not in log.read_text(errors="replace"):  # its first run is done
                if follower.poll() is not None:
                    raise SystemExit(f"kgcrm sync --follow exited:\n{log.read_text(errors='replace')}")
                time.sleep(0.1)

            common.console.print(
                f"writing {args.rate:g}/s for {args.duration:g} s while `kgcrm sync --follow {mode or ''}` runs…"
            )
            stream, stop = Stream(), threading.Event()
            watching = threading.Thread(target=observer, args=(driver, stream, stop))
            watching.start()
            writer(engine, stream, args.rate, args.duration, random.Random(args.seed))
            deadline = time.monotonic() + 30
            while stream.pending() and time.monotonic() < deadline:
                time.sleep(0.1)
            stop.set()
            watching.join()
            follower.send_signal(signal.SIGINT)
            follower.wait(timeout=30)
            follower = None
            streams[mode] = stream
        report = SyncVerifier(engine, gateway).verify()
        verified = "no drift" if report.clean else f"DRIFT ({len(report.drift)} rows)"
        common.wipe_graph(driver)
    finally:
        if follower is not None:
            follower.kill()
        driver.close()
        engine.dispose()

    if args.compare_notify:
        report_comparison(args, streams, verified, engine.dialect.name)
    else:
        report_results(args, streams[None], verified, engine.dialect.name)


def report_results(args: argparse.Namespace, stream: Stream, verified: str, dialect: str) -> None:
    seen = [w for w in stream.writes if w.visible is not None]
    lags = [w.lag for w in seen]
    header = ["writes", "visible", "p50", "p95", "p99", "max", "goal p95"]
    p95 = common.percentile(lags, 95) if lags else float("nan")
    row = [
        f"{len(stream.writes):,}",
        f"{len(seen):,}",
        *(f"{common.percentile(lags, q):.2f} s" for q in (50, 95, 99, 100)),
        "≤ 1 s: " + ("met" if p95 <= 1.0 and len(seen) == len(stream.writes) else "SHORT"),
    ]
    by_kind = [
        [kind, f"{len(ls):,}", f"{common.percentile(ls, 50):.2f} s", f"{common.percentile(ls, 95):.2f} s"]
        for kind in ("update", "insert", "interaction")
        if (ls := [w.lag for w in seen if w.kind == kind])
    ]
    common.print_table(f"sync lag, {args.rate:g} writes/s for {args.duration:g} s", header, [row])
    common.print_table("by kind of write", ["write", "count", "p50", "p95"], by_kind)
    common.console.print(f"after the run: {verified}")

    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = "\n".join(
        [
            f"### Incremental lag, `kgcrm sync --follow --interval {args.interval:g}`, "
            f"{args.rate:g} writes/s for {args.duration:g} s ({dialect})",
            "",
            f"{when} · {common.machine()} · `bench/sync_lag.py --rate {args.rate:g} --duration {args.duration:g} "
            f"--interval {args.interval:g}`" + (f" · {args.note}" if args.note else ""),
            "",
            common.markdown_table(header, [row]),
            "",
            common.markdown_table(["write", "count", "p50", "p95"], by_kind),
            "",
            f"Commit → visible in Neo4j (observer polls every {POLL_S * 1000:.0f} ms). After the run: {verified}.",
        ]
    )
    common.record_results(f"sync_lag_{dialect}_{args.interval:g}", body)


def report_comparison(args: argparse.Namespace, streams: dict[str | None, Stream], verified: str, dialect: str) -> None:
    """NOTIFY-woken vs polling follower on the same stream, one table (issue 15: NOTIFY p95 ≤ 100 ms)."""
    header = ["follower", "writes", "visible", "p50 ms", "p95 ms", "p99 ms", "max ms", "goal p95"]
    rows = []
    for mode, name in (("--notify", "LISTEN/NOTIFY"), ("--no-notify", f"polling every {args.interval:g} s")):
        stream = streams[mode]
        lags = [w.lag * 1000 for w in stream.writes if w.visible is not None]
        p95 = common.percentile(lags, 95) if lags else float("nan")
        goal = (
            ("≤ 100 ms: " + ("met" if p95 <= 100 and len(lags) == len(stream.writes) else "SHORT"))
            if mode == "--notify"
            else ""
        )
        rows.append(
            [
                name,
                f"{len(stream.writes):,}",
                f"{len(lags):,}",
                *(f"{common.percentile(lags, q):.0f}" for q in (50, 95, 99, 100)),
                goal,
            ]
        )
    common.print_table(f"sync lag on {dialect}, {args.rate:g} writes/s for {args.duration:g} s", header, rows)
    common.console.print(f"after the run: {verified}")
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = "\n".join(
        [
            f"### Incremental lag on {dialect}: `sync --follow` woken by NOTIFY vs polling every {args.interval:g} s, "
            f"{args.rate:g} writes/s for {args.duration:g} s each",
            "",
            f"{when} · {common.machine()} (load average at the end of the run) · `bench/sync_lag.py --compare-notify "
            f"--rate {args.rate:g} --duration {args.duration:g} --interval {args.interval:g}`"
            + (f" · {args.note}" if args.note else ""),
            "",
            common.markdown_table(header, rows),
            "",
            f"Commit → visible in Neo4j; the observer polls Neo4j every {POLL_S * 1000:.0f} ms, so each figure "
            f"includes up to {POLL_S * 1000:.0f} ms of observation. The two followers ran one after the other on "
            f"the same CRM and graph, each with its own stream. After the run: {verified}.",
        ]
    )
    common.record_results(f"sync_lag_notify_{dialect}", body)


if __name__ == "__main__":
    main()
