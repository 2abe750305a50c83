"""Shared Neo4j fixtures: every test that needs Neo4j talks to a real server.

Which server, first match wins:

1. ``NEO4J_URI`` (with ``NEO4J_USER``/``NEO4J_PASSWORD``) is set: that one; nothing
   is downloaded or started.
2. A Docker engine answers: a testcontainers ``Neo4jContainer`` with APOC.
3. Otherwise kgcrm's own :class:`kgcrm.graph.server.LocalNeo4jServer`, with test settings
   that never touch the user's graph: its own data directory
   (``<user cache>/kgcrm/test-neo4j-data/<version>``, stable so that a server left
   running is reused: starting one costs ~10 s) and ports 17687/17474. The jars are
   shared with the user's server (``<user cache>/kgcrm/neo4j-<version>``). A server
   this session started is stopped at the end unless another session still uses it;
   one that was already running is left running.

``clean_graph`` empties the graph around a test that writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import socket
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import neo4j
import pytest
from pydantic import SecretStr

from kgcrm.core.settings import Settings, default_cache_dir
from kgcrm.graph.server import LocalNeo4jServer, Neo4jCredentials

# Several checkouts on one machine can each have their own test server:
# KGCRM_TEST_NEO4J_BOLT_PORT / KGCRM_TEST_NEO4J_HTTP_PORT move it (and its data directory).
TEST_BOLT_PORT = int(os.environ.get("KGCRM_TEST_NEO4J_BOLT_PORT", "17687"))
TEST_HTTP_PORT = int(os.environ.get("KGCRM_TEST_NEO4J_HTTP_PORT", "17474"))
DEFAULT_TEST_BOLT_PORT = 17687

# testcontainers fallback (only with a Docker engine): the same Neo4j line, APOC core.
CONTAINER_IMAGE = "neo4j:5.26-community"
CONTAINER_PASSWORD = "kgcrm-test-password"


def neo4j_test_settings(**overrides: object) -> Settings:
    """Settings of the local test server: own data dir and ports, small memory.

    The Neo4j, APOC and Browser versions are kgcrm's defaults (or KGCRM_NEO4J_VERSION …,
    as for a real run). The data dir is per Neo4j version: a newer Neo4j upgrades a
    store in place and an older one cannot open it again.
    """
    values: dict[str, object] = {
        "environment": "test",
        "neo4j_uri": None,
        "neo4j_host": "127.0.0.1",
        "neo4j_bolt_port": TEST_BOLT_PORT,
        "neo4j_http_port": TEST_HTTP_PORT,
        "neo4j_heap": "512m",
        "neo4j_pagecache": "128m",
    }
    values.update(overrides)
    settings = Settings(**values)  # type: ignore[arg-type]
    if "data_dir" in overrides:
        return settings
    data_dir = default_cache_dir() / "test-neo4j-data" / settings.neo4j_version
    if TEST_BOLT_PORT != DEFAULT_TEST_BOLT_PORT:
        data_dir = data_dir.with_name(f"{data_dir.name}-{TEST_BOLT_PORT}")
    return settings.model_copy(update={"data_dir": data_dir})


@dataclass(frozen=True)
class Neo4jTestServer:
    """The server the session's Neo4j tests use, however it was found."""

    credentials: Neo4jCredentials
    http_url: str | None  # base URL of the HTTP connector ("http://host:port/"), when known
    local: LocalNeo4jServer | None  # set when it is kgcrm's own LocalNeo4jServer


def _docker_answers() -> bool:
    """True when a Docker engine answers ``GET /_ping`` (unix socket or tcp DOCKER_HOST).

    A raw request rather than the docker client: that client leaks its socket when no
    engine is there, which pytest (warnings are errors) would report.
    """
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    parsed = urllib.parse.urlparse(host)
    try:
        if parsed.scheme == "unix":
            if not Path(parsed.path).exists():
                return False
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            address: object = parsed.path
        elif parsed.scheme == "tcp" and parsed.hostname:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            address = (parsed.hostname, parsed.port or 2375)
        else:
            return False
        with sock:
            sock.settimeout(2.0)
            sock.connect(address)
            sock.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            return b" 200 " in sock.recv(256)
    except OSError:
        return False


@pytest.fixture(scope="session")
def neo4j_test_server() -> Iterator[Neo4jTestServer]:
    uri = os.environ.get("NEO4J_URI")
    if uri:
        credentials = Neo4jCredentials(
            uri,
            os.environ.get("NEO4J_USER") or os.environ.get("NEO4J_USERNAME") or "neo4j",
            SecretStr(os.environ.get("NEO4J_PASSWORD", "")),
        )
        yield Neo4jTestServer(credentials, os.environ.get("NEO4J_HTTP_URL"), None)
        return
    if _docker_answers():
        yield from _container_server()
        return
    server = LocalNeo4jServer(neo4j_test_settings())
    with _session_user(server) as last_user:
        started_here = not server.is_running()
        server.start(timeout_s=300)
        credentials = Neo4jCredentials(server.bolt_uri, "neo4j", SecretStr(server.password()))
        yield Neo4jTestServer(credentials, server.browser_url.removesuffix("browser/"), server)
        if started_here and last_user():
            server.stop()


@contextlib.contextmanager
def _session_user(server: LocalNeo4jServer) -> Iterator[Callable[[], bool]]:
    """Count this session among the users of the shared test server (a shared flock).

    Several test sessions (developers, CI jobs) may share the one test server: the
    session that started it stops it at the end only if no other session still
    holds the lock, and otherwise leaves it running for them.
    """
    server.state_dir.mkdir(parents=True, exist_ok=True)
    with (server.state_dir / ".test-sessions").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_SH)

        def last_user() -> bool:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # converts our shared lock
            except BlockingIOError:
                return False
            return True

        try:
            yield last_user
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _container_server() -> Iterator[Neo4jTestServer]:
    from testcontainers.community.neo4j import Neo4jContainer

    container = (
        Neo4jContainer(CONTAINER_IMAGE, password=CONTAINER_PASSWORD)
        .with_env("NEO4J_PLUGINS", '["apoc"]')
        .with_env("NEO4J_dbms_security_procedures_unrestricted", "apoc.*")
        .with_exposed_ports(7474)
    )
    with container:
        credentials = Neo4jCredentials(
            container.get_connection_url(), container.username, SecretStr(container.password)
        )
        http_url = f"http://{container.get_container_host_ip()}:{container.get_exposed_port(7474)}/"
        yield Neo4jTestServer(credentials, http_url, None)


@pytest.fixture(scope="session")
def neo4j_credentials(neo4j_test_server: Neo4jTestServer) -> Neo4jCredentials:
    """Where the test Neo4j is and how to log in."""
    return neo4j_test_server.credentials


@pytest.fixture(scope="session")
def local_neo4j_server(neo4j_test_server: Neo4jTestServer) -> LocalNeo4jServer:
    """kgcrm's own local server; tests of it are skipped when another server is used."""
    if neo4j_test_server.local is None:
        pytest.skip("the tests use an external or containerised Neo4j, not kgcrm's local server")
    return neo4j_test_server.local


@pytest.fixture(scope="session")
def neo4j_driver(neo4j_credentials: Neo4jCredentials) -> Iterator[neo4j.Driver]:
    with neo4j.GraphDatabase.driver(neo4j_credentials.uri, auth=neo4j_credentials.auth) as driver:
        driver.verify_connectivity()
        yield driver


def _delete_all_nodes(driver: neo4j.Driver) -> None:
    # In batches, so that a big graph left by a test does not need one huge transaction.
    with driver.session() as session:
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()


@pytest.fixture(scope="session")
def llamaindex_store(neo4j_credentials: Neo4jCredentials) -> Iterator[Any]:
    """LlamaIndex's own store over the test graph: kgcrm owns the schema, so no DDL."""
    from llama_index.graph_stores.neo4j import Neo4jPropertyGraphStore

    store = Neo4jPropertyGraphStore(
        username=neo4j_credentials.user,
        password=neo4j_credentials.password.get_secret_value(),
        url=neo4j_credentials.uri,
        create_indexes=False,
        refresh_schema=False,
    )
    yield store
    store.close()
    asyncio.run(store._async_driver.close())  # the store opens an async driver that close() leaves open


@pytest.fixture
def clean_graph(neo4j_driver: neo4j.Driver) -> Iterator[None]:
    """An empty graph for a test that writes, emptied again afterwards."""
    _delete_all_nodes(neo4j_driver)
    yield
    _delete_all_nodes(neo4j_driver)
