"""Reading the change log with the changed rows (:meth:`ChangeLogReader.read_and_fetch`), gaps included.

On PostgreSQL a ``seq`` can be taken by a transaction that has not committed yet while a later one
has: the reader must not pass over it, and the rows it fetches must be at least as new as the changes
it returns. Real databases; the transactions that hold a ``seq`` are real open transactions.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from kgcrm.sync.changes import Change, ChangeLogReader

WAIT_S = 30.0  # a gap is waited for up to this long: the test fails only if it is never resolved


def people(conn: sa.Connection, tenant: str) -> set[str]:
    return set(conn.execute(sa.text("SELECT id FROM individual WHERE tenant_id = :t"), {"t": tenant}).scalars())


def insert_person(conn: sa.Connection, tenant: str, person: str) -> None:
    conn.execute(
        sa.text("INSERT INTO individual (id, tenant_id, first_name) VALUES (:id, :t, 'P')"), {"id": person, "t": tenant}
    )


def fetching(tenant: str):
    """A fetch that returns the tenant's people as the reader's connection sees them, and the seqs given."""

    def fetch(conn: sa.Connection, changes: list[Change]) -> tuple[list[int], set[str]]:
        return [c.seq for c in changes], people(conn, tenant)

    return fetch


def read_and_fetch_while(engine: sa.Engine, tenant: str, after: int, *, then: Callable[[], None]):
    """``read_and_fetch`` after ``after``, waiting on a gap, while ``then`` (the commit or rollback of the
    transaction holding the gap) runs 0.3 s later on another thread."""
    timer = threading.Timer(0.3, then)
    timer.start()
    try:
        return ChangeLogReader(engine, gap_wait_s=WAIT_S).read_and_fetch(after=after, limit=100, fetch=fetching(tenant))
    finally:
        timer.join()


def test_the_rows_are_fetched_with_the_changes_that_name_them(rows):
    tenant = rows.tenant()
    after = rows.last_seq()
    ann = rows.insert("individual", tenant_id=tenant, first_name="Ann")
    bob = rows.insert("individual", tenant_id=tenant, first_name="Bob")

    changes, (seqs, fetched) = ChangeLogReader(rows.engine).read_and_fetch(
        after=after, limit=100, fetch=fetching(tenant)
    )

    assert [(c.entity_type, c.entity_id) for c in changes] == [("individual", ann), ("individual", bob)]
    assert seqs == [c.seq for c in changes] == [after + 1, after + 2]
    assert fetched == {ann, bob}
    with rows.engine.connect() as conn:
        assert ChangeLogReader(rows.engine).read(conn, after=after, limit=1) == changes[:1]


@pytest.fixture
def pg_rows(rows):
    if rows.engine.dialect.name != "postgresql":
        pytest.skip("seq gaps are PostgreSQL's (SQLite's writers are serialised)")
    return rows


def test_a_seq_held_by_an_open_transaction_stops_the_read_until_it_commits(pg_rows):
    engine, tenant = pg_rows.engine, pg_rows.tenant()
    after = pg_rows.last_seq()
    with engine.connect() as held:
        transaction = held.begin()
        insert_person(held, tenant, "held-ann")  # takes seq after + 1, not committed
        bob = pg_rows.insert("individual", tenant_id=tenant, first_name="Bob")  # after + 2, committed
        reader = ChangeLogReader(engine, gap_wait_s=0.2)
        changes, (seqs, fetched) = reader.read_and_fetch(after=after, limit=100, fetch=fetching(tenant))
        assert changes == [] and seqs == []  # not Bob's change: a checkpoint past it would pass over Ann's
        with engine.connect() as conn:
            assert reader.read(conn, after=after, limit=100) == []

        # Ann's transaction commits while a reader waits on the gap: the reader takes both changes, and
        # fetches the rows in a snapshot that sees Ann's (not in the one that found the gap).
        changes, (seqs, fetched) = read_and_fetch_while(engine, tenant, after, then=transaction.commit)
    assert [(c.seq, c.entity_id) for c in changes] == [(after + 1, "held-ann"), (after + 2, bob)]
    assert seqs == [after + 1, after + 2]
    assert fetched == {"held-ann", bob}


def test_a_rolled_back_seq_is_passed_over_and_the_rows_are_fetched_after_the_gap(pg_rows):
    engine, tenant = pg_rows.engine, pg_rows.tenant()
    after = pg_rows.last_seq()
    with engine.connect() as held:
        transaction = held.begin()
        insert_person(held, tenant, "rolled-back")  # takes seq after + 1, then rolls back
        bob = pg_rows.insert("individual", tenant_id=tenant, first_name="Bob")  # after + 2
        changes, (seqs, fetched) = read_and_fetch_while(engine, tenant, after, then=transaction.rollback)
    assert [(c.seq, c.entity_id) for c in changes] == [(after + 2, bob)]
    assert seqs == [after + 2]
    assert fetched == {bob}
