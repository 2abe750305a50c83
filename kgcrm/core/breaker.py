"""A circuit breaker: a backing service that just failed is answered "unavailable" at once, for a while.

    breaker = CircuitBreaker("Neo4j", open_s=5.0, unavailable=Neo4jUnavailable)
    breaker.allow()            # raises Neo4jUnavailable at once while the circuit is open
    try:
        rows = run_the_query()
    except ServiceUnavailable:
        breaker.record_failure()  # opens the circuit for open_s seconds
        raise
    breaker.record_success()      # closes it (the service answered)

States: *closed* (every call goes through); *open* after a failure (every call is refused at once
for ``open_s`` seconds); then *half-open*: one call, the probe, goes through while the others are
still refused; its success closes the circuit, its failure opens it again. A probe that never
reports (its thread died) is replaced by another after ``open_s``.

No I/O happens under the lock: it guards a few fields only, so a refusal costs microseconds
whatever the number of waiting callers. The clock is injected (tests use a fake one).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from enum import StrEnum

from kgcrm.core.errors import ServiceError


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Remembers the last failure of one service for ``open_s`` seconds; see the module's docstring."""

    def __init__(
        self,
        name: str,
        *,
        open_s: float = 5.0,
        unavailable: type[ServiceError] = ServiceError,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if open_s <= 0:
            raise ValueError("open_s must be positive")
        self.name = name
        self.open_s = open_s
        self.unavailable = unavailable
        self.clock = clock
        self._lock = threading.Lock()
        self._state = BreakerState.CLOSED
        self._opened_at = 0.0  # when the circuit last opened (or the probe started)
        self.failures = 0  # failures recorded (for metrics and tests)
        self.refused = 0  # calls refused while open

    @property
    def state(self) -> BreakerState:
        with self._lock:
            return self._state

    def retry_after_s(self) -> float:
        """Seconds until a call may be let through again (0 when closed)."""
        with self._lock:
            return self._remaining(self.clock())

    def _closed(self) -> bool:
        return self._state is BreakerState.CLOSED

    def _remaining(self, now: float) -> float:
        if self._state is BreakerState.CLOSED:
            return 0.0
        return max(0.0, self._opened_at + self.open_s - now)

    def allow(self) -> None:
        """Return when a call may go through; raise ``unavailable`` (with ``retry_after_s``) when not."""
        if self._closed():  # the common case, without the lock (a stale read is harmless)
            return
        with self._lock:
            now = self.clock()
            if self._closed():  # read again: another thread may have closed it meanwhile
                return
            if now - self._opened_at >= self.open_s:
                # open long enough, or a probe that never reported: this call is the (new) probe
                self._state = BreakerState.HALF_OPEN
                self._opened_at = now
                return
            self.refused += 1
            wait = self._remaining(now) if self._state is BreakerState.OPEN else 1.0
        error = self.unavailable(f"{self.name} is unavailable (it failed moments ago): try again shortly")
        error.retry_after_s = max(1, math.ceil(wait))
        raise error

    def record_success(self) -> None:
        """The service answered: close the circuit."""
        if self._state is BreakerState.CLOSED:
            return
        with self._lock:
            self._state = BreakerState.CLOSED

    def record_failure(self) -> None:
        """The service did not answer: open the circuit (again) for ``open_s`` seconds from now."""
        with self._lock:
            self.failures += 1
            self._state = BreakerState.OPEN
            self._opened_at = self.clock()
