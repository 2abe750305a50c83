"""The graph version is read outside any lock: callers do not queue behind one another's stuck read.

Neo4j here is a silent peer (a socket that accepts and never answers, as a hung server would):
each read waits for the driver's connection timeout. Before the fix, 8 concurrent callers got their
errors one after another (8 x the timeout); now together.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from kgcrm.core.errors import Neo4jUnavailable
from kgcrm.graph.gateway import GraphGateway, make_driver
from kgcrm.graph.server import Neo4jCredentials
from kgcrm.retrieval.cache import AnswerCache, GraphVersion

CALLERS = 8
CONNECT_TIMEOUT_S = 1.0


@pytest.fixture
def silent_gateway() -> Iterator[GraphGateway]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])  # kept open, never answered
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    credentials = Neo4jCredentials(f"bolt://127.0.0.1:{listener.getsockname()[1]}", "neo4j", SecretStr("x"))
    driver = make_driver(  # (the acquisition timeout is what bounds a handshake that never comes)
        credentials,
        connection_timeout=CONNECT_TIMEOUT_S,
        connection_acquisition_timeout=CONNECT_TIMEOUT_S,
        max_transaction_retry_time=0,
        initial_retry_delay=0.01,
    )
    try:
        yield GraphGateway(driver)
    finally:
        driver.close()
        stop.set()
        thread.join()
        for sock in accepted:
            sock.close()
        listener.close()


def test_concurrent_callers_do_not_wait_for_each_others_read(silent_gateway):
    cache = AnswerCache(GraphVersion(silent_gateway))
    errors: list[BaseException] = []
    single = time.monotonic()
    with pytest.raises(Neo4jUnavailable):
        cache.get_or_compute("k", lambda: 1)
    one_read_s = time.monotonic() - single

    def call() -> None:
        try:
            cache.get_or_compute("k", lambda: 1)
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(CALLERS)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    elapsed = time.monotonic() - started

    assert len(errors) == CALLERS and all(isinstance(e, Neo4jUnavailable) for e in errors)
    # together, not one after another (serially it takes CALLERS x one read)
    print(f"one read {one_read_s:.2f} s, {CALLERS} concurrent {elapsed:.2f} s")
    assert elapsed < max(3 * one_read_s, one_read_s + 2.0), (elapsed, one_read_s)
