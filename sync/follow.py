"""``kgcrm sync --follow``: apply changes as they are written, woken by NOTIFY or by the poll interval.

Each round waits for the first of: a change notification (PostgreSQL, :mod:`kgcrm.crm.notify`)
or the next poll (``interval_s`` after the last one), then runs one incremental step
(:meth:`GraphSync.incremental`: everything after the checkpoint, in ``seq`` order, with its
gap handling). A poll runs whether or not anything was notified, so a lost notification
delays a change by at most one interval; a notification only brings the step forward. On
SQLite (no NOTIFY) every round is a poll, as before.

A step woken by a notification starts from the checkpoint the follower itself last wrote (no
graph read; each batch's transaction checks that it is still the graph's), and the
notifications queued before a step are consumed by it (their changes are in what it reads), so
that a burst of writes does not leave empty steps behind it for the next write to wait on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Protocol

import sqlalchemy as sa

from kgcrm.core.errors import ServiceError
from kgcrm.crm.notify import ChangeWait, Wake
from kgcrm.sync.engine import SyncReport

log = logging.getLogger(__name__)

#: The longest single wait: a stop request is seen within this long.
WAIT_SLICE_S = 1.0


class Incremental(Protocol):
    def incremental(self, *, reuse_checkpoint: bool = False) -> SyncReport: ...


class Follower:
    """Runs incremental steps on wake-ups until ``stop`` is set; ``woken`` counts steps by what woke them."""

    def __init__(
        self,
        runner: Incremental,
        wait: ChangeWait,
        *,
        interval_s: float,
        retry_s: float = 2.0,
        on_step: Callable[[SyncReport, Wake], None] | None = None,
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        self.runner = runner
        self.wait = wait
        self.interval_s = interval_s
        self.retry_s = retry_s
        self.on_step = on_step
        self.on_error = on_error
        self.woken: Counter[str] = Counter()  # "notify" / "timeout" (a poll) → steps run

    def run(self, stop: threading.Event | None = None) -> None:
        stop = stop or threading.Event()
        next_poll = time.monotonic() + self.interval_s
        while not stop.is_set():
            left = next_poll - time.monotonic()
            woke = self.wait.wait(min(max(0.0, left), WAIT_SLICE_S))
            if woke == "timeout" and time.monotonic() < next_poll:
                continue  # a slice of the wait ended, not the interval
            next_poll = time.monotonic() + self.interval_s  # a poll every interval, however long a step took
            if stop.is_set():
                return
            # Notifications already here are for changes this step reads (a notification comes once
            # its transaction is visible to a new snapshot): consumed now, they wake no empty step after it.
            self.wait.drain()
            try:
                # Woken by a notification: the checkpoint this follower wrote last (its batches check it).
                # A poll reads it from the graph, so another run's move is seen within an interval.
                step = self.runner.incremental(reuse_checkpoint=woke == "notify")
            except (ServiceError, sa.exc.OperationalError) as exc:
                # Neo4j or the CRM database is restarting: nothing applied is lost (the
                # checkpoint commits with its batch), so wait and go on from the checkpoint.
                if self.on_error is not None:
                    self.on_error(exc)
                stop.wait(self.retry_s)
                continue
            self.woken[woke] += 1
            if self.on_step is not None:
                self.on_step(step, woke)
