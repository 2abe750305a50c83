"""A worker computes a few graph reads at once; the other requests wait their turn, first come first served.

A graph-bound request (resolve, connections, search, entities, context, suggestions) is CPU work in this
process (decoding Bolt records, scoring) between round trips to Neo4j, run in FastAPI's threadpool. Left to
that pool, 25 such requests in one worker run at once: they share the GIL and Neo4j's cores, each takes ~25
times its own time, and the slowest of them (the heavy ones) set the tail. Through :class:`GraphGate` at most
``slots`` of them run at once and the rest wait in arrival order, so a request's time is its wait plus its
own work. Measured at 50 clients on 100k rows, 2 cores, 2 workers, 2 slots a worker against none
(``bench/RESULTS.md``, section ``graph_gate``): resolve 170 → 184 requests/s and p99 864 → 539 ms, the
connections 99 → 109 requests/s and p99 1,213 → 1,119 ms (the bench, back to back); over three alternating
rounds +12-36 % requests/s and p99 -19-45 %, with 18-34 % less of the API's CPU a request.

A request waits at most ``max_wait_s`` (1 s) for a slot, then runs anyway, as it would without the gate: a few
slow requests (a tenant's first context pack of the day takes seconds at 1M rows) hold the others up for that
long at most, never for their whole time.

Requests that may wait on something other than the graph (``/v1/ask``, which may call an LLM; the agent
tools; the sync; MCP; health) are not gated: one slow LLM call must not hold the graph reads up.
"""

from __future__ import annotations

import time

import anyio
from starlette.types import ASGIApp, Receive, Scope, Send

from kgcrm.api.metrics import Metrics

#: The longest a request waits for a slot before it runs without one.
MAX_WAIT_S = 1.0

#: The path prefixes of the graph-bound routes.
GATED_PREFIXES = (
    "/v1/resolve",
    "/v1/connections",
    "/v1/search",
    "/v1/entities",
    "/v1/context",
    "/v1/suggestions",
)


def _gated(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in GATED_PREFIXES)


class GraphGate:
    """Pure ASGI middleware: at most ``slots`` graph-bound requests of this worker run at once (FIFO), unless
    one has waited ``max_wait_s``."""

    def __init__(self, app: ASGIApp, slots: int, metrics: Metrics, max_wait_s: float = MAX_WAIT_S) -> None:
        if slots < 1:
            raise ValueError(f"slots must be at least 1, got {slots}")
        self.app = app
        self.slots = slots
        self.metrics = metrics
        self.max_wait_s = max_wait_s
        self._semaphore: anyio.Semaphore | None = None  # made in the event loop, on the first request

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _gated(scope["path"]):
            await self.app(scope, receive, send)
            return
        if self._semaphore is None:
            self._semaphore = anyio.Semaphore(self.slots)  # anyio's waiters are served in arrival order
        semaphore = self._semaphore
        holds = False
        started = time.perf_counter()
        with anyio.move_on_after(self.max_wait_s):
            await semaphore.acquire()  # cancellation-safe: a slot granted as the wait ends is given back
            holds = True
        self.metrics.gate_wait.observe(time.perf_counter() - started)
        if not holds:
            self.metrics.gate_bypassed.inc()
        try:
            await self.app(scope, receive, send)
        finally:
            if holds:
                semaphore.release()
