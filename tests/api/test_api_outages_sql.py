"""A relational database that hangs (accepts connections, never answers): the API answers 503 fast,
in parallel, and /healthz stays instant.

The database is a silent TCP peer, as a hung server or a black-holed network would be. Before the
fix, every request waited on a connection forever (psycopg has no connect timeout by default) and
each new one joined the queue; now the first ones wait ``api_database_connect_timeout_s`` and the
circuit breaker answers the others at once.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from bench.outage import free_port, percentile, serve
from kgcrm.api.app import create_app
from kgcrm.api.protocol import UVICORN_OPTIONS
from kgcrm.core.settings import Settings
from kgcrm.graph.gateway import GraphGateway, make_driver
from kgcrm.graph.server import Neo4jCredentials
from kgcrm.services import build_services

CLIENTS = 20
REQUESTS_EACH = 3


@pytest.fixture
def silent_port() -> Iterator[int]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    listener.settimeout(0.2)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])  # kept open, never answered
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join()
        for sock in accepted:
            sock.close()
        listener.close()


def test_a_hung_database_is_503_fast_for_concurrent_clients(silent_port: int, tmp_path: Path):
    settings = Settings(
        environment="test",
        data_dir=tmp_path,
        database_url=f"postgresql+psycopg://kgcrm:unused@127.0.0.1:{silent_port}/kgcrm",
    )
    dead_neo4j = Neo4jCredentials(f"bolt://127.0.0.1:{free_port()}", "neo4j", SecretStr("unused-password"))
    driver = make_driver(dead_neo4j, max_transaction_retry_time=0, connection_timeout=1.0)
    services = build_services(  # the engine is the API's own: its connect timeout and breaker from the settings
        settings, gateway=GraphGateway(driver), load_embeddings=False, chat_from_settings=False
    )
    answers: list[tuple[int, float, bool]] = []
    health: list[float] = []
    done = threading.Event()
    try:
        with serve(create_app(settings, services=services), **UVICORN_OPTIONS) as url:
            headers = {"Authorization": "Bearer kg_0123456789ab_" + "A" * 43}

            def client() -> None:
                with httpx.Client(base_url=url, headers=headers, timeout=30) as http:
                    for _ in range(REQUESTS_EACH):
                        started = time.monotonic()
                        try:
                            response = http.get("/v1/sync/status")
                            status, retry = response.status_code, "retry-after" in response.headers
                        except httpx.HTTPError:
                            status, retry = 0, False
                        answers.append((status, time.monotonic() - started, retry))

            def probe() -> None:
                with httpx.Client(base_url=url, timeout=30) as http:
                    while not done.wait(0.1):
                        started = time.monotonic()
                        http.get("/healthz")
                        health.append(time.monotonic() - started)

            prober = threading.Thread(target=probe)
            prober.start()
            threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
            done.set()
            prober.join(timeout=60)
    finally:
        services.close()
        driver.close()

    seconds = [s for _, s, _ in answers]
    shown = f"answers {sorted(answers)[:5]}…, p50 {percentile(seconds, 50):.2f} s, max {max(seconds):.2f} s"
    assert len(answers) == CLIENTS * REQUESTS_EACH, shown
    assert all(status == 503 and retry for status, _, retry in answers), shown
    # the first wave waits for the connect timeout (2 s); everything after is refused at once
    assert max(seconds) <= settings.api_database_connect_timeout_s + 3.0, shown
    assert percentile(seconds, 50) <= 1.0, shown
    assert health and max(health) <= 1.0, max(health, default=None)
