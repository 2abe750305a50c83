"""``sync --follow`` (:class:`Follower`) woken by the change log's NOTIFY, with polling as the safety net.

Real PostgreSQL (a schema of its own) and a real Neo4j. The poll interval is long where a test
shows that a notification woke the follower: the step is seen (an event set by ``on_step``)
long before a poll could have run, and ``woken`` says what woke it; no timing is asserted.
"""

from __future__ import annotations

import threading
import uuid

import pytest
import sqlalchemy as sa

from kgcrm import cypher
from kgcrm.crm.notify import ChangeNotifications, PollingWait
from kgcrm.graph.gateway import GraphGateway
from kgcrm.graph.mapping import EDGES_BY_TABLE, NODES_BY_TABLE
from kgcrm.graph.schema import apply_schema
from kgcrm.sync.engine import CHECKPOINT_SOURCE, GraphSync, SyncReport
from kgcrm.sync.follow import Follower

pytestmark = [pytest.mark.neo4j, pytest.mark.postgres]

LONG_INTERVAL_S = 120.0  # no poll within a test's wait: only a notification can wake the follower
WAIT_S = 30.0  # generous: the test fails only if nothing at all happened in this long


@pytest.fixture
def gateway(neo4j_driver, clean_graph) -> GraphGateway:
    gateway = GraphGateway(neo4j_driver)
    apply_schema(gateway, dimensions=384)
    return gateway


@pytest.fixture
def pg_rows(rows):
    if rows.engine.dialect.name != "postgresql":
        pytest.skip("NOTIFY is PostgreSQL's (SQLite followers poll)")
    return rows


class Running:
    """A follower in a thread; ``applied`` is set by each step that applied changes."""

    def __init__(self, follower: Follower) -> None:
        self.follower = follower
        self.applied = threading.Event()
        self.steps: list[tuple[SyncReport, str]] = []
        follower.on_step = self._on_step
        self.stop = threading.Event()
        self.thread = threading.Thread(target=follower.run, args=(self.stop,), daemon=True)

    def _on_step(self, step: SyncReport, woke: str) -> None:
        self.steps.append((step, woke))
        if step.changes_applied:
            self.applied.set()

    def __enter__(self) -> Running:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=10)
        assert not self.thread.is_alive()


def person_ids(gateway: GraphGateway, tenant: str) -> set[str]:
    rows = gateway.read("people", "MATCH (p:Person {tenant_id: $t}) RETURN p.id AS id", {"t": tenant})
    return {r["id"] for r in rows}


def sql_person_ids(engine: sa.Engine, tenant: str) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(sa.text("SELECT id FROM individual WHERE tenant_id = :t"), {"t": tenant}).scalars())


def test_a_write_wakes_the_follower_without_waiting_for_the_poll(pg_rows, gateway):
    engine = pg_rows.engine
    tenant = pg_rows.tenant()
    pg_rows.insert("individual", tenant_id=tenant, first_name="Ann")
    runner = GraphSync(engine, gateway)
    runner.full()
    notifications = ChangeNotifications(engine)
    assert notifications.listen()
    follower = Follower(runner, notifications, interval_s=LONG_INTERVAL_S)
    try:
        with Running(follower) as running:
            bob = pg_rows.insert("individual", tenant_id=tenant, first_name="Bob")
            assert running.applied.wait(WAIT_S), "the follower did not apply the write"
            assert dict(follower.woken) == {"notify": 1}  # no poll ran: the notification woke it
            assert person_ids(gateway, tenant) == sql_person_ids(engine, tenant)
            assert bob in person_ids(gateway, tenant)
    finally:
        notifications.close()


def test_a_lost_notification_is_applied_by_the_poll_and_listening_resumes(pg_rows, gateway, postgres_admin):
    engine = pg_rows.engine
    tenant = pg_rows.tenant()
    runner = GraphSync(engine, gateway)
    runner.full()
    notifications = ChangeNotifications(engine, retry_s=0.1)
    assert notifications.listen()
    pid = notifications.backend_pid()
    # The listening connection dies (a server restart, a network cut): the write's notification
    # reaches no one.
    with postgres_admin.begin() as conn:
        assert conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
    ann = pg_rows.insert("individual", tenant_id=tenant, first_name="Ann")
    follower = Follower(runner, notifications, interval_s=1.0)
    try:
        with Running(follower) as running:
            assert running.applied.wait(WAIT_S), "the poll did not apply the write"
            assert follower.woken["notify"] == 0 and follower.woken["timeout"] >= 1
            assert ann in person_ids(gateway, tenant)
            # The next wait listens again; from then on a write wakes the follower at once.
            for _ in range(300):
                if notifications.listening and notifications.backend_pid() != pid:
                    break
                running.stop.wait(0.1)
            assert notifications.listening and notifications.backend_pid() != pid
            follower.interval_s = LONG_INTERVAL_S  # read at the next round: only NOTIFY can wake it now
            running.stop.wait(1.5)  # the round under way (1 s interval) ends
            running.applied.clear()
            bob = pg_rows.insert("individual", tenant_id=tenant, first_name="Bob")
            assert running.applied.wait(WAIT_S), "the follower did not apply the second write"
            assert follower.woken["notify"] == 1
            assert person_ids(gateway, tenant) == sql_person_ids(engine, tenant) == {ann, bob}
    finally:
        notifications.close()


def test_a_sqlite_follower_polls(rows, gateway):
    if rows.engine.dialect.name != "sqlite":
        pytest.skip("the SQLite follower")
    tenant = rows.tenant()
    runner = GraphSync(rows.engine, gateway)
    runner.full()
    follower = Follower(runner, PollingWait(), interval_s=0.2)
    with Running(follower) as running:
        ann = rows.insert("individual", tenant_id=tenant, first_name="Ann")
        assert running.applied.wait(WAIT_S)
        assert follower.woken["notify"] == 0
        assert ann in person_ids(gateway, tenant)


def test_notifications_already_received_are_drained_before_a_step(pg_rows):
    """A step reads every change notified before it starts: those notifications must not wake another."""
    tenant = pg_rows.tenant()
    notifications = ChangeNotifications(pg_rows.engine)
    try:
        assert notifications.listen()
        assert not notifications.drain()  # nothing yet
        # One transaction, one notification (PostgreSQL folds a transaction's identical ones).
        pg_rows.execute(
            "INSERT INTO individual (id, tenant_id, first_name) VALUES (:a, :t, 'Ann'), (:b, :t, 'Bob')",
            a=str(uuid.uuid4()),
            b=str(uuid.uuid4()),
            t=tenant,
        )
        pause = threading.Event()
        for _ in range(300):  # until it has reached the listening socket
            if notifications.drain():
                break
            pause.wait(0.1)
        else:
            pytest.fail("the write's notification never arrived")
        assert notifications.wait(0.3) == "timeout"  # drained: none left to wake an empty step
    finally:
        notifications.close()


def set_checkpoint(gateway: GraphGateway, seq: int) -> None:
    gateway.write(
        "set_checkpoint", cypher.load("sync_checkpoint_write"), {"source": CHECKPOINT_SOURCE, "last_seq": seq}
    )


def test_a_step_from_its_own_checkpoint_goes_on_from_the_graphs_when_another_run_moved_it(rows, gateway):
    """Woken by NOTIFY, a follower starts from the checkpoint it wrote last; a batch commits only if the
    graph's checkpoint is still that one. Here a full sync of another process moved it back (to where it
    started) after writing a row as it read it before a change the follower had applied."""
    engine = rows.engine
    tenant = rows.tenant()
    rows.insert("individual", tenant_id=tenant, first_name="Ann")
    follower = GraphSync(engine, gateway)
    follower.full()
    started = rows.last_seq()
    bob = rows.insert("individual", tenant_id=tenant, first_name="Bob", bio="fresh")
    assert follower.incremental().changes_applied == 1
    # The other run: Bob as it read him before his bio was written, and its checkpoint from before that.
    gateway.write("stale", "MATCH (p:Person {id: $id}) SET p.bio = 'stale'", {"id": bob})
    set_checkpoint(gateway, started)
    carl = rows.insert("individual", tenant_id=tenant, first_name="Carl")

    step = follower.incremental(reuse_checkpoint=True)

    assert step.changes_applied == rows.last_seq() - started == 2  # Bob's change again, then Carl's
    assert follower.checkpoint() == step.last_seq == rows.last_seq()
    bios = gateway.read("bios", "MATCH (p:Person {tenant_id: $t}) RETURN p.id AS id, p.bio AS bio", {"t": tenant})
    with engine.connect() as conn:
        sql = conn.execute(sa.text("SELECT id, bio FROM individual WHERE tenant_id = :t"), {"t": tenant}).all()
    assert {r["id"]: r["bio"] for r in bios} == {row.id: row.bio for row in sql}
    assert carl in person_ids(gateway, tenant)


def test_a_step_from_its_own_checkpoint_does_not_apply_again_what_another_run_applied(rows, gateway):
    engine = rows.engine
    tenant = rows.tenant()
    follower, other = GraphSync(engine, gateway), GraphSync(engine, gateway)
    follower.full()
    rows.insert("individual", tenant_id=tenant, first_name="Ann")
    assert follower.incremental().changes_applied == 1
    rows.insert("individual", tenant_id=tenant, first_name="Bob")
    assert other.incremental().changes_applied == 1  # the graph's checkpoint moved on past the follower's
    dan = rows.insert("individual", tenant_id=tenant, first_name="Dan")

    step = follower.incremental(reuse_checkpoint=True)

    assert step.changes_applied == 1 and step.last_seq == rows.last_seq()  # Dan's only: Bob's batch rolled back
    assert follower.checkpoint() == rows.last_seq()
    assert person_ids(gateway, tenant) == sql_person_ids(engine, tenant)
    assert dan in person_ids(gateway, tenant)


def test_the_warm_up_runs_a_batch_and_writes_nothing(rows, gateway):
    """``GraphSync.warm_up`` (before a follower's first wait) rehearses a batch in a rolled-back transaction."""
    from tests.sync.test_faults import Fingerprint

    tenant = rows.tenant()
    ann = rows.insert("individual", tenant_id=tenant, first_name="Ann", bio="in SQL")
    org = rows.insert("organization", tenant_id=tenant, name="Acme")
    rows.insert("contact", tenant_id=tenant, individual_id=ann, organization_id=org, title="CTO")
    runner = GraphSync(rows.engine, gateway)
    runner.full()
    # The graph differs from SQL where the rehearsed batch writes: a committed batch would put SQL's bio back.
    gateway.write("drift", "MATCH (p:Person {id: $id}) SET p.bio = 'in the graph'", {"id": ann})
    before, checkpoint = Fingerprint.of(gateway), runner.checkpoint()

    with rows.engine.connect() as conn:  # the mirrored tables that have a row
        tables = [
            t
            for t in (*NODES_BY_TABLE, *EDGES_BY_TABLE)
            if conn.execute(sa.select(sa.func.count()).select_from(sa.table(t))).scalar()
        ]
    assert {"tenant", "individual", "organization", "contact"} <= set(tables)
    assert runner.warm_up() == len(tables)  # one row of each (and one id of each that is not there)

    assert Fingerprint.of(gateway) == before
    assert runner.checkpoint() == checkpoint
