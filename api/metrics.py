"""``GET /metrics``: Prometheus text format.

- ``kgcrm_http_requests_total{method, route, status}``: requests answered;
- ``kgcrm_http_request_duration_seconds{method, route, status}``: their latency (histogram);
- ``kgcrm_api_graph_gate_wait_seconds``: how long graph-bound requests waited for a slot of their worker's
  graph gate (histogram), and ``kgcrm_api_graph_gate_bypassed_total``: those that waited the longest wait
  and ran without one (``api/graph_gate.py``; many of them: raise ``KGCRM_API_GRAPH_SLOTS`` or add cores);
- ``kgcrm_sync_last_seq``, ``kgcrm_sync_pending_changes``, ``kgcrm_sync_lag_seconds``
  (the oldest unapplied change_log row's age), ``kgcrm_sync_last_run_timestamp_seconds``:
  computed when scraped, over every tenant; ``kgcrm_sync_status_up`` is 0 when they
  could not be read (a backing service is down).

``route`` is the route's template (``/v1/entities/{entity_id}``), never the raw path, so
ids do not multiply the series; requests that match no route count as ``<unmatched>``.
Each app has a registry of its own (no process-global state). The endpoint needs no
key (like ``/healthz``): it exposes no tenant's data, and the API listens on the
loopback interface unless configured otherwise.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

UNMATCHED = "<unmatched>"

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    """The app's Prometheus registry and instruments."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "kgcrm_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "kgcrm_http_request_duration_seconds",
            "Time to answer an HTTP request, by method, route template and status.",
            ("method", "route", "status"),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.gate_wait = Histogram(
            "kgcrm_api_graph_gate_wait_seconds",
            "Time a graph-bound request waited for a slot of its worker's graph gate.",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.gate_bypassed = Counter(
            "kgcrm_api_graph_gate_bypassed",
            "Graph-bound requests that waited the gate's longest wait and ran without a slot.",
            registry=self.registry,
        )
        self.sync_up = Gauge(
            "kgcrm_sync_status_up", "1 when the sync status could be read at scrape time.", registry=self.registry
        )
        self.sync_last_seq = Gauge(
            "kgcrm_sync_last_seq", "The last change_log seq applied to the graph.", registry=self.registry
        )
        self.sync_pending = Gauge(
            "kgcrm_sync_pending_changes", "change_log rows not yet applied to the graph.", registry=self.registry
        )
        self.sync_lag = Gauge(
            "kgcrm_sync_lag_seconds",
            "Age of the oldest change_log row not yet applied (0 when none).",
            registry=self.registry,
        )
        self.sync_last_run = Gauge(
            "kgcrm_sync_last_run_timestamp_seconds",
            "Unix time of the last sync run (0: never).",
            registry=self.registry,
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        labels = (method, route, str(status))
        self.requests.labels(*labels).inc()
        self.latency.labels(*labels).observe(seconds)

    def render(self, read_sync_status: Callable[[], Any]) -> tuple[bytes, str]:
        """The exposition text, with the sync gauges read now; (body, content type)."""
        try:
            status = read_sync_status()
        except Exception as exc:  # a backing service is down: the request metrics still matter
            log.warning("metrics: sync status unavailable: %s", type(exc).__name__)
            self.sync_up.set(0)
        else:
            self.sync_up.set(1)
            self.sync_last_seq.set(status.last_seq)
            self.sync_pending.set(status.pending)
            self.sync_lag.set(status.lag_seconds)
            self.sync_last_run.set(status.last_run.timestamp() if status.last_run else 0)
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED


class MetricsMiddleware:
    """Pure ASGI middleware: counts and times every HTTP request (streaming-safe)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            self.metrics.observe(scope["method"], route_template(scope), status, time.perf_counter() - started)
