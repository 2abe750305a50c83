"""Reading ``change_log`` in ``seq`` order without ever skipping a change.

On SQLite, writers are serialised: ``seq`` order is commit order, and every row
below the highest visible ``seq`` is visible.

On PostgreSQL it is not: ``seq`` comes from a sequence, so a transaction can take
``seq`` 10, another take 11 and commit first. A reader that saw 11 and moved its
checkpoint past 10 would lose 10 for ever. A gap in the visible ``seq`` values is
either such an in-flight transaction or one that rolled back. Every transaction
that could hold a missing ``seq`` below a visible one was in progress when the
reading snapshot was taken (the sequence is monotonic, and the change_log row is
written by an AFTER trigger, when the transaction already has an xid), so the
reader waits until every transaction of that snapshot has ended, then reads
again: whatever is still missing was rolled back and can be passed over.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa

CHANGE_LOG = sa.table(
    "change_log",
    *(
        sa.column(c)
        for c in ("seq", "tenant_id", "entity_type", "entity_id", "op", "changed_at", "actor_id", "via_agent")
    ),
)

T = TypeVar("T")


@dataclass(frozen=True)
class Change:
    seq: int
    tenant_id: str | None
    entity_type: str
    entity_id: str
    op: str
    changed_at: datetime | str | None


class ChangeLogReader:
    """Reads change_log rows after a checkpoint, in seq order, gap-safe."""

    def __init__(self, engine: sa.Engine, *, gap_wait_s: float = 5.0, poll_s: float = 0.05) -> None:
        self.engine = engine
        self.gap_wait_s = gap_wait_s
        self.poll_s = poll_s

    @property
    def _postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def read(self, conn: sa.Connection, *, after: int, limit: int) -> list[Change]:
        """Up to ``limit`` changes with seq > ``after``, stopping before any unresolved gap."""
        if not self._postgres:
            return [_change(row) for row in conn.execute(self._query(after, limit))]
        changes, _ = self.read_and_fetch(after=after, limit=limit, fetch=lambda conn, changes: None)
        return changes

    def read_and_fetch(
        self, *, after: int, limit: int, fetch: Callable[[sa.Connection, list[Change]], T]
    ) -> tuple[list[Change], T]:
        """:meth:`read`, then ``fetch(conn, changes)`` on a connection whose snapshot sees every change returned.

        That is what reading the changed rows needs: their state at least as new as the changes. On
        PostgreSQL, when the first read has no gap (the common case), ``fetch`` runs in that read's own
        REPEATABLE READ transaction: one connection and one transaction for the change log and the rows.
        After a gap (resolved or not, as in :meth:`read`), it runs on a new connection, whose snapshot is
        newer than every read of the change log. SQLite: one connection for both, as before."""
        query = self._query(after, limit)
        if not self._postgres:
            with self.engine.connect() as conn:
                changes = [_change(row) for row in conn.execute(query)]
                return changes, fetch(conn, changes)
        deadline = time.monotonic() + self.gap_wait_s
        with self.engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                rows, snapshot = self._select_with_snapshot(conn, query)
                changes = [_change(row) for row in rows]
                if len(_gapless_prefix(changes, after)) == len(changes):
                    return changes, fetch(conn, changes)
        changes = self._after_gap(query, after, changes, snapshot, deadline)
        with self.engine.connect() as conn:
            return changes, fetch(conn, changes)

    def _after_gap(
        self, query: sa.Select[Any], after: int, changes: list[Change], snapshot: str, deadline: float
    ) -> list[Change]:
        """Wait until a gap in ``changes`` (read in ``snapshot``) is filled or known to be a rollback."""
        while True:
            safe = _gapless_prefix(changes, after)
            if len(safe) == len(changes):
                return changes
            if self._snapshot_finished(snapshot):
                # Every transaction that could fill the gap has ended: read once more and
                # take what is visible now; what is still missing was rolled back.
                # Only up to the highest seq of the first read: gaps above it may belong to
                # transactions that began after that snapshot.
                rows, _ = self._read_with_snapshot(query)
                return [c for c in map(_change, rows) if c.seq <= changes[-1].seq]
            if time.monotonic() >= deadline:
                return safe  # the rest waits for the next run
            time.sleep(self.poll_s)
            rows, snapshot = self._read_with_snapshot(query)
            changes = [_change(row) for row in rows]

    @staticmethod
    def _query(after: int, limit: int) -> sa.Select[Any]:
        return sa.select(CHANGE_LOG).where(CHANGE_LOG.c.seq > after).order_by(CHANGE_LOG.c.seq).limit(limit)

    def safe_high_water_mark(self, conn: sa.Connection) -> int:
        """The highest seq such that every change up to it is visible (or rolled back)."""
        query = sa.select(sa.func.coalesce(sa.func.max(CHANGE_LOG.c.seq), 0))
        if not self._postgres:
            return int(conn.execute(query).scalar_one())
        while True:
            with self.engine.connect() as own:
                own = own.execution_options(isolation_level="REPEATABLE READ")
                with own.begin():
                    high = int(own.execute(query).scalar_one())
                    snapshot = own.execute(sa.text("SELECT pg_current_snapshot()::text")).scalar_one()
            if self._snapshot_finished(snapshot):
                return high
            time.sleep(self.poll_s)

    def _read_with_snapshot(self, query: sa.Select[Any]) -> tuple[list[Any], str]:
        with self.engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                return self._select_with_snapshot(conn, query)

    @staticmethod
    def _select_with_snapshot(conn: sa.Connection, query: sa.Select[Any]) -> tuple[list[Any], str]:
        """The rows of ``query`` and the snapshot they were read in (``conn``: in a REPEATABLE READ transaction)."""
        snapshot = conn.execute(sa.text("SELECT pg_current_snapshot()::text")).scalar_one()
        return list(conn.execute(query)), snapshot

    def _snapshot_finished(self, snapshot: str) -> bool:
        """True when no transaction in progress at ``snapshot`` is still in progress."""
        with self.engine.connect() as conn:
            running = conn.execute(
                sa.text(
                    "SELECT count(*) FROM pg_snapshot_xip(CAST(:snapshot AS pg_snapshot)) AS x(xid) "
                    "WHERE pg_xact_status(x.xid) = 'in progress'"
                ),
                {"snapshot": snapshot},
            ).scalar_one()
        return int(running) == 0


def _gapless_prefix(changes: list[Change], after: int) -> list[Change]:
    expected = after + 1
    for index, change in enumerate(changes):
        if change.seq != expected:
            return changes[:index]
        expected += 1
    return changes


def _change(row: Any) -> Change:
    m = row._mapping
    return Change(int(m["seq"]), m["tenant_id"], m["entity_type"], str(m["entity_id"]), m["op"], m["changed_at"])
