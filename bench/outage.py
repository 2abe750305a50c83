"""A Neo4j outage under load: how fast the API answers 503, and how fast it serves again.

    .venv/bin/python bench/outage.py [--clients 50] [--outage 15] [--warmup 5]

What runs, all on this machine, loopback only:

- a Neo4j of the bench's own (kgcrm's local server: the installed jars, a scratch data
  directory, free ports), started, given kgcrm's schema and a small synced CRM (SQLite);
- the API: ``uvicorn`` in this process on ``127.0.0.1:<free port>``, the app of
  ``kgcrm.api.app.create_app`` with the services of ``kgcrm.services.build_services`` (its own
  driver settings and circuit breakers, from the default settings);
- ``--clients`` threads, each posting ``/v1/resolve`` as soon as its previous answer came;
  one more thread reading ``/healthz`` and ``/metrics`` every 0.2 s.

The timeline: ``--warmup`` seconds of normal service, then Neo4j is stopped (the JVM ends),
``--outage`` seconds later started again; the load goes on until the API has served again
for a few seconds. Printed (and recorded in ``bench/RESULTS.md``, section ``outage``):

- time to the first 503 after Neo4j is gone;
- the latency of the 503 answers during the outage (p50, p99, max): the issue's goal is
  p99 <= 1 s at 50 clients;
- the answers during the outage that were not 503 with ``Retry-After`` (should be none);
- recovery: from Neo4j ready again to the first 200, and to the last non-200 (goal <= 10 s);
- the slowest ``/healthz`` and ``/metrics`` during the outage.

``tests/api/test_api_outage_load.py`` runs the same measurement with generous bounds.
"""

from __future__ import annotations

import argparse
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn

#: The answer a client waits for at most (a request that hangs longer counts as a failure).
CLIENT_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


# --- the API in this process --------------------------------------------------------------------------


@contextmanager
def serve(app: Any, **options: Any) -> Iterator[str]:
    """Serve ``app`` with uvicorn (and ``options``) on a free loopback port, in a thread; yields the base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **options))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the API did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


# --- the load -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    sent: float
    done: float
    status: int  # 0: no answer (a client error or a timeout)
    retry_after: bool

    @property
    def seconds(self) -> float:
        return self.done - self.sent


@dataclass
class Load:
    """``clients`` threads posting ``body`` to ``url`` in a loop, and one thread probing health and metrics."""

    base_url: str
    path: str
    body: dict[str, Any]
    headers: dict[str, str]
    clients: int = 50
    answers: list[Answer] = field(default_factory=list)
    probes: list[tuple[str, float, float]] = field(default_factory=list)  # (path, sent, seconds)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for _ in range(self.clients):
            self._threads.append(threading.Thread(target=self._client, daemon=True))
        self._threads.append(threading.Thread(target=self._probe, daemon=True))
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=CLIENT_TIMEOUT_S + 5)

    def _client(self) -> None:
        with httpx.Client(base_url=self.base_url, headers=self.headers, timeout=CLIENT_TIMEOUT_S) as client:
            while not self._stop.is_set():
                sent = time.monotonic()
                try:
                    response = client.post(self.path, json=self.body)
                    status, retry_after = response.status_code, "retry-after" in response.headers
                except httpx.HTTPError:
                    status, retry_after = 0, False
                self.answers.append(Answer(sent, time.monotonic(), status, retry_after))
                if status != 200:
                    time.sleep(0.01)  # a real client would honour Retry-After; this one only avoids a hot loop

    def _probe(self) -> None:
        with httpx.Client(base_url=self.base_url, timeout=CLIENT_TIMEOUT_S) as client:
            while not self._stop.wait(0.2):
                for path in ("/healthz", "/metrics"):
                    sent = time.monotonic()
                    with suppress(httpx.HTTPError):
                        client.get(path)
                    self.probes.append((path, sent, time.monotonic() - sent))


# --- the measurement ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutageFigures:
    clients: int
    requests: int
    during_outage: int  # answers to requests sent while Neo4j was down (answered while down or later)
    first_503_s: float  # from Neo4j gone to the first 503
    p50_503_s: float
    p99_503_s: float
    max_503_s: float
    not_503: int  # answers during the outage other than 503 with Retry-After
    recovery_first_s: float  # from Neo4j ready to the first 200
    recovery_all_s: float  # from Neo4j ready to the last non-200 answer
    healthz_max_s: float
    metrics_max_s: float

    def rows(self) -> list[tuple[str, str]]:
        return [
            ("clients", str(self.clients)),
            ("requests answered", str(self.requests)),
            ("answers while Neo4j was down", str(self.during_outage)),
            ("time to the first 503 (s)", f"{self.first_503_s:.2f}"),
            ("503 latency p50 (s)", f"{self.p50_503_s:.3f}"),
            ("503 latency p99 (s)", f"{self.p99_503_s:.3f}"),
            ("503 latency max (s)", f"{self.max_503_s:.3f}"),
            ("answers not 503 + Retry-After while down", str(self.not_503)),
            ("recovery: Neo4j ready -> first 200 (s)", f"{self.recovery_first_s:.2f}"),
            ("recovery: Neo4j ready -> last non-200 (s)", f"{self.recovery_all_s:.2f}"),
            ("slowest /healthz while down (s)", f"{self.healthz_max_s:.3f}"),
            ("slowest /metrics while down (s)", f"{self.metrics_max_s:.3f}"),
        ]


def measure_outage(
    load: Load,
    stop_neo4j: Callable[[], object],
    start_neo4j: Callable[[], object],
    *,
    warmup_s: float = 5.0,
    outage_s: float = 15.0,
    settle_s: float = 5.0,
    recovery_limit_s: float = 120.0,
) -> OutageFigures:
    """Run ``load``, stop Neo4j, start it ``outage_s`` later, and measure (see the module's docstring)."""
    load.start()
    try:
        time.sleep(warmup_s)
        stop_neo4j()
        down = time.monotonic()
        time.sleep(outage_s)
        up_started = time.monotonic()
        start_neo4j()  # returns once Neo4j is ready
        up = time.monotonic()
        deadline = up + recovery_limit_s
        while time.monotonic() < deadline and not any(a.status == 200 and a.sent >= up for a in list(load.answers)):
            time.sleep(0.1)
        time.sleep(settle_s)
    finally:
        load.stop()
    answers = list(load.answers)
    outage = [a for a in answers if down <= a.sent < up_started]  # sent while down, answered whenever
    refused = [a for a in outage if a.status == 503 and a.retry_after]
    first_503 = min((a.done for a in answers if a.status == 503 and a.done >= down), default=float("inf"))
    after = [a for a in answers if a.sent >= up]
    first_ok = min((a.done for a in after if a.status == 200), default=float("inf"))
    last_bad = max((a.done for a in after if a.status != 200), default=up)

    def slowest(path: str) -> float:
        overlapping = (s for p, sent, s in load.probes if p == path and sent < up_started and sent + s >= down)
        return max(overlapping, default=float("inf"))  # no probe at all: it never came back

    seconds = [a.seconds for a in refused]
    return OutageFigures(
        clients=load.clients,
        requests=len(answers),
        during_outage=len(outage),
        first_503_s=max(0.0, first_503 - down),
        p50_503_s=percentile(seconds, 50),
        p99_503_s=percentile(seconds, 99),
        max_503_s=max(seconds, default=float("nan")),
        not_503=len(outage) - len(refused),
        recovery_first_s=first_ok - up,
        recovery_all_s=max(0.0, last_bad - up),
        healthz_max_s=slowest("/healthz"),
        metrics_max_s=slowest("/metrics"),
    )


# --- the bench ----------------------------------------------------------------------------------------


def main() -> None:
    import common  # the bench folder's helpers (on sys.path when run as a script)
    import sqlalchemy as sa

    from kgcrm.api import keys
    from kgcrm.api.app import create_app
    from kgcrm.api.protocol import UVICORN_OPTIONS
    from kgcrm.core.settings import Settings, load_settings
    from kgcrm.crm.database import make_engine, upgrade
    from kgcrm.graph.gateway import GraphGateway, make_driver
    from kgcrm.graph.schema import apply_schema
    from kgcrm.graph.server import LocalNeo4jServer
    from kgcrm.services import build_services
    from kgcrm.sync.engine import GraphSync

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--outage", type=float, default=15.0, help="seconds Neo4j stays down")
    parser.add_argument("--warmup", type=float, default=5.0)
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="kgcrm-outage-"))
    base = load_settings()
    neo4j_settings = base.model_copy(
        update={
            "neo4j_uri": None,
            "data_dir": scratch / "neo4j",
            "neo4j_bolt_port": free_port(),
            "neo4j_http_port": free_port(),
            "neo4j_heap": "512m",
            "neo4j_pagecache": "128m",
        }
    )
    server = LocalNeo4jServer(neo4j_settings)
    server.password_file.parent.mkdir(parents=True, exist_ok=True)
    server.password_file.write_text(f"outage-{uuid.uuid4().hex}\n", encoding="utf-8")
    server.password_file.chmod(0o600)
    engine = make_engine(f"sqlite:///{scratch / 'crm.sqlite3'}")
    try:
        upgrade(engine)
        tenant_id = str(uuid.uuid4())
        with engine.begin() as conn:
            tenant = sa.text("INSERT INTO tenant (id, slug, name) VALUES (:id, 'outage', 'Outage')")
            conn.execute(tenant, {"id": tenant_id})
            for i in range(200):
                conn.execute(
                    sa.text("INSERT INTO organization (id, tenant_id, name) VALUES (:id, :t, :n)"),
                    {"id": str(uuid.uuid4()), "t": tenant_id, "n": f"Outage Testing Co {i}"},
                )
        key = keys.create_key(engine, "outage").key
        server.start(timeout_s=300)
        settings = Settings(
            environment="test", data_dir=scratch, neo4j_uri=server.bolt_uri, neo4j_password=server.password()
        )
        with make_driver(neo4j_settings_credentials(server)) as driver:
            gateway = GraphGateway(driver)
            apply_schema(gateway, dimensions=settings.embedding_dimensions)
            GraphSync(engine, gateway).full()
        services = build_services(settings, engine=engine, load_embeddings=False, chat_from_settings=False)
        try:
            with serve(create_app(settings, services=services), **UVICORN_OPTIONS) as url:
                load = Load(url, "/v1/resolve", {"text": "Outage Testing Co 7"}, {"Authorization": f"Bearer {key}"},
                            clients=args.clients)  # fmt: skip
                figures = measure_outage(
                    load,
                    server.stop,
                    lambda: server.start(timeout_s=300),
                    warmup_s=args.warmup,
                    outage_s=args.outage,
                )
        finally:
            services.close()
    finally:
        server.stop()
        engine.dispose()
    rows = [(name, value) for name, value in figures.rows()]
    common.print_table("Neo4j outage under load (/v1/resolve)", ["figure", "value"], rows)
    body = (
        f"Neo4j outage under load: `.venv/bin/python bench/outage.py --clients {args.clients} --outage {args.outage}`"
        f" ({common.machine()}; default API settings: breaker open {settings.api_breaker_open_s} s, "
        f"connect timeout {settings.api_neo4j_connect_timeout_s} s, retry {settings.api_neo4j_retry_s} s). "
        "Goals: p99 503 latency <= 1 s, recovery <= 10 s.\n\n" + common.markdown_table(["figure", "value"], rows)
    )
    common.record_results("outage", body)


def neo4j_settings_credentials(server: Any) -> Any:
    from pydantic import SecretStr

    from kgcrm.graph.server import Neo4jCredentials

    return Neo4jCredentials(server.bolt_uri, "neo4j", SecretStr(server.password()))


if __name__ == "__main__":
    main()
