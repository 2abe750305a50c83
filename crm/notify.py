"""Waiting for the next change: PostgreSQL's LISTEN/NOTIFY, or a plain wait (SQLite).

The PostgreSQL change-log trigger sends ``NOTIFY kgcrm_change_log, '<schema>'`` at commit
(:data:`kgcrm.crm.triggers.CHANGE_LOG_CHANNEL`, migration 0005). :class:`ChangeNotifications`
LISTENs on a connection of its own (psycopg 3's ``Connection.notifies``) and wakes its
caller when a notification of its schema arrives; :class:`PollingWait` (SQLite, or when
asked) only waits. Either way the caller reads ``change_log`` after every wake-up *and*
after every timeout, so a notification that never came (the listening connection dropped,
the server restarted, a change committed before LISTEN) costs one poll interval, never a
change: notifications only make the follower earlier. For the same reason the caller may
:meth:`~ChangeWait.drain` the notifications already received right before it reads.
"""

from __future__ import annotations

import logging
import select
import time
from collections.abc import Callable
from typing import Any, Literal, Protocol, cast

import psycopg
import sqlalchemy as sa

from kgcrm.crm.triggers import CHANGE_LOG_CHANNEL

log = logging.getLogger(__name__)

Wake = Literal["notify", "timeout"]


class ChangeWait(Protocol):
    def wait(self, timeout_s: float) -> Wake:
        """Block until a change was notified ("notify") or ``timeout_s`` passed ("timeout")."""
        ...

    def drain(self) -> bool:
        """Consume the notifications already received, without waiting; True when one was of this schema.

        Called right before reading the change log: every change so notified is visible to that read (a
        listener is sent a notification only once its transaction is visible to a new snapshot)."""
        ...

    def close(self) -> None: ...


class PollingWait:
    """No notifications: every wait lasts its timeout (SQLite, or ``--no-notify``)."""

    def __init__(self, sleep: Callable[[float], None] = time.sleep) -> None:
        self._sleep = sleep

    def wait(self, timeout_s: float) -> Wake:
        self._sleep(max(0.0, timeout_s))
        return "timeout"

    def drain(self) -> bool:
        return False

    def close(self) -> None:
        pass


class ChangeNotifications:
    """LISTEN on the change-log channel through a connection of ``engine``'s own (taken lazily).

    The connection is the engine's (its search_path, timeouts, credentials), taken out of
    the pool for good: it is closed, never returned with a LISTEN on it. When it breaks, the
    waits fall back to plain timeouts and the next wait tries to listen again (at most every
    ``retry_s``). Counters: ``notified`` wake-ups, ``timeouts``, ``reconnects``.
    """

    def __init__(self, engine: sa.Engine, *, retry_s: float = 2.0) -> None:
        self.engine = engine
        self.retry_s = retry_s
        self._raw: Any = None  # SQLAlchemy's pooled connection; .driver_connection is psycopg's
        self._schema: str | None = None
        self._next_try = 0.0
        self.notified = 0
        self.timeouts = 0
        self.reconnects = 0

    @property
    def listening(self) -> bool:
        return self._raw is not None

    def listen(self) -> bool:
        """LISTEN now (the first wait does it otherwise); False when the database refused (then: polls)."""
        return self._connection() is not None

    def backend_pid(self) -> int | None:
        """The listening connection's server process (a test stops it to lose notifications)."""
        return None if self._raw is None else int(self._raw.driver_connection.info.backend_pid)

    def wait(self, timeout_s: float) -> Wake:
        deadline = time.monotonic() + max(0.0, timeout_s)
        connection = self._connection()
        if connection is None:
            time.sleep(max(0.0, deadline - time.monotonic()))
            self.timeouts += 1
            return "timeout"
        try:
            while (left := deadline - time.monotonic()) > 0:
                if self._mine(connection, left):
                    self.notified += 1
                    return "notify"
        except (psycopg.Error, OSError, ValueError) as exc:
            self._lost(exc)
            time.sleep(max(0.0, deadline - time.monotonic()))
        self.timeouts += 1
        return "timeout"

    def drain(self) -> bool:
        if self._raw is None:
            return False
        try:
            return self._mine(cast("psycopg.Connection[Any]", self._raw.driver_connection), 0.0)
        except (psycopg.Error, OSError, ValueError) as exc:
            self._lost(exc)
            return False

    def close(self) -> None:
        self._drop()

    def _lost(self, exc: Exception) -> None:
        """The listening connection failed: poll until :meth:`_connection` listens again."""
        log.warning("change notifications lost (%s); polling until they are back", exc)
        self._drop()

    def _connection(self) -> psycopg.Connection[Any] | None:
        if self._raw is not None:
            return cast("psycopg.Connection[Any]", self._raw.driver_connection)
        if time.monotonic() < self._next_try:
            return None
        try:
            raw = self.engine.raw_connection()
            connection = cast("psycopg.Connection[Any]", raw.driver_connection)  # the engine is psycopg's
            connection.autocommit = True
            row = connection.execute("SELECT current_schema()").fetchone()
            self._schema = None if row is None else str(row[0])
            connection.execute(f"LISTEN {CHANGE_LOG_CHANNEL}")  # a constant, not input
        except (psycopg.Error, sa.exc.DBAPIError) as exc:
            log.warning("cannot listen for change notifications (%s); polling", exc)
            self._next_try = time.monotonic() + self.retry_s
            return None
        self._raw = raw
        self.reconnects += 1
        return connection

    def _mine(self, connection: psycopg.Connection[Any], timeout_s: float) -> bool:
        """Wait up to ``timeout_s`` for the socket; True when a notification of this schema came.

        libpq's own calls (select on the socket, ``PQconsumeInput``, ``PQnotifies``), not psycopg's
        ``notifies()`` generator: that one reads a timeout that has run down to 0 as "no timeout"
        and would block until the next notification. Every queued notification is consumed: one
        incremental step reads all their changes."""
        ready, _, _ = select.select([connection.fileno()], [], [], timeout_s)
        if not ready:
            return False
        pgconn = connection.pgconn
        pgconn.consume_input()  # raises when the connection is gone
        mine = False
        while (note := pgconn.notifies()) is not None:
            mine = mine or note.extra.decode() in ("", self._schema)
        if not mine and pgconn.status != psycopg.pq.ConnStatus.OK:
            raise psycopg.OperationalError("the listening connection is closed")
        return mine

    def _drop(self) -> None:
        raw, self._raw = self._raw, None
        if raw is not None:
            try:
                raw.invalidate()  # closed and out of the pool: no LISTEN left on a pooled connection
            except Exception as exc:
                log.debug("closing the listening connection: %s", exc)


def change_wait(engine: sa.Engine, *, notify: bool = True) -> ChangeWait:
    """LISTEN/NOTIFY on PostgreSQL (unless ``notify`` is off), a plain wait on SQLite."""
    if notify and engine.dialect.name == "postgresql":
        return ChangeNotifications(engine)
    return PollingWait()
