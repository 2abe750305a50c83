"""Outages that come and go: the API answers 503 while a backing service is down, and
recovers by itself (no restart) when it is back.

- Neo4j: a server of the test's own (jars shared with the test server, its own data
  directory and ports) that the test really stops and starts. While it is down the
  relational CRM stays writable through the agent tools; the sync catches up after.
- The SQL database: PostgreSQL reached through a loopback TCP proxy that the test cuts
  (every connection reset, new ones refused) and restores, as a network outage would.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from pydantic import SecretStr

from kgcrm.api import keys
from kgcrm.api.app import create_app
from kgcrm.api.services import build_services
from kgcrm.core.settings import Settings
from kgcrm.crm.database import make_engine, upgrade
from kgcrm.graph.gateway import GraphGateway, make_driver
from kgcrm.graph.server import LocalNeo4jServer, Neo4jCredentials
from tests.api.helpers import assert_error
from tests.support.neo4j_fixtures import neo4j_test_settings

PROMPT = {"prompt": "Note that they called", "reasoning": "The user reported a call."}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(condition: Callable[[], bool], timeout_s: float = 90.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return False


def assert_unavailable(response: Any) -> None:
    assert_error(response, 503, "service_unavailable")
    assert response.headers["retry-after"].isdigit()


def add_tenant(engine: sa.Engine, slug: str) -> tuple[str, str, str]:
    """A tenant with one user and one organization: (user key, tenant id, organization id)."""
    tenant_id, user_id, org_id = (str(uuid.uuid4()) for _ in range(3))
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO tenant (id, slug, name) VALUES (:id, :slug, :slug)"), {"id": tenant_id, "slug": slug}
        )
        conn.execute(
            sa.text("INSERT INTO app_user (id, tenant_id, email, full_name) VALUES (:id, :t, 'ops@x.example', 'Ops')"),
            {"id": user_id, "t": tenant_id},
        )
        conn.execute(
            sa.text("INSERT INTO organization (id, tenant_id, name) VALUES (:id, :t, 'Outage Testing Co')"),
            {"id": org_id, "t": tenant_id},
        )
    return keys.create_key(engine, slug, user_email="ops@x.example").key, tenant_id, org_id


# --- a loopback proxy the tests cut and restore -----------------------------------------------------------


class CuttableProxy:
    """A loopback TCP proxy to ``target``; :meth:`cut` resets every connection and refuses new ones."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []

    def open(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self._listener = listener
        self._spawn(self._accept, listener)

    def cut(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._sockets = self._sockets, set()
        for sock in [s for s in (listener,) if s is not None] + list(sockets):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads = [t for t in self._threads if t.is_alive()]

    def _spawn(self, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._listener is not listener:  # cut meanwhile
                    client.close()
                    upstream.close()
                    return
                self._sockets |= {client, upstream}
            self._spawn(self._pump, client, upstream)
            self._spawn(self._pump, upstream, client)

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                sink.shutdown(socket.SHUT_WR)


@contextlib.contextmanager
def fail_fast_gateway(uri: str, password: str) -> Iterator[GraphGateway]:
    """A gateway whose driver gives up quickly (the API's own retries for 5 s: same answers, slower)."""
    driver = make_driver(
        Neo4jCredentials(uri, "neo4j", SecretStr(password)), max_transaction_retry_time=0.5, connection_timeout=2.0
    )
    try:
        yield GraphGateway(driver, timeout_s=10.0)
    finally:
        driver.close()


# --- Neo4j unreachable, then back -------------------------------------------------------------------------


@pytest.mark.neo4j
def test_neo4j_cut_is_503_and_the_api_recovers_when_it_is_back(world, tmp_path):
    assert world.settings.neo4j_uri is not None and world.settings.neo4j_password is not None
    neo4j_address = urllib.parse.urlsplit(world.settings.neo4j_uri)
    proxy = CuttableProxy((neo4j_address.hostname or "127.0.0.1", neo4j_address.port or 7687))
    proxy.open()
    password = world.settings.neo4j_password.get_secret_value()
    headers = world.a.headers()
    settings = Settings(environment="test", data_dir=tmp_path)
    try:
        with fail_fast_gateway(f"bolt://127.0.0.1:{proxy.port}", password) as gateway:
            services = build_services(
                settings, engine=world.engine, gateway=gateway, load_embeddings=False, chat_from_settings=False
            )
            with TestClient(create_app(settings, services=services)) as client:
                assert client.get("/v1/search", params={"q": "Acme"}, headers=headers).status_code == 200

                proxy.cut()

                assert_unavailable(client.get("/v1/search", params={"q": "Acme"}, headers=headers))
                assert_unavailable(client.get("/v1/sync/status", headers=headers))
                ready = client.get("/readyz")
                assert ready.status_code == 503 and ready.headers["retry-after"].isdigit()
                assert ready.json()["services"]["neo4j"]["status"] == "error"
                assert ready.json()["services"]["database"]["status"] == "ok"

                proxy.open()

                assert wait_for(lambda: client.get("/readyz").status_code == 200, timeout_s=30)
                assert client.get("/v1/search", params={"q": "Acme"}, headers=headers).status_code == 200
            services.close()
    finally:
        proxy.cut()


@pytest.fixture
def own_neo4j(tmp_path: Path) -> Iterator[LocalNeo4jServer]:
    """A Neo4j of this test's own (its own data directory and ports), not started yet.

    Its password is written beforehand, so that a driver can be made before the first start.
    """
    settings = neo4j_test_settings(
        data_dir=tmp_path / "neo4j-data", neo4j_bolt_port=free_port(), neo4j_http_port=free_port()
    )
    server = LocalNeo4jServer(settings)
    if not server.is_installed():
        pytest.skip("no local Neo4j installation to start a server of the test's own (the tests use another Neo4j)")
    server.password_file.parent.mkdir(parents=True, exist_ok=True)
    server.password_file.write_text(f"outage-{uuid.uuid4().hex}\n", encoding="utf-8")
    server.password_file.chmod(0o600)
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.slow
@pytest.mark.neo4j
def test_neo4j_down_then_up_then_stopped(own_neo4j, sqlite_template, tmp_path):
    """One real JVM start: the API starts while Neo4j is down, recovers when it comes up, and
    answers 503 again when it is stopped (the cut test above covers up → down → up quickly)."""
    path = tmp_path / "crm.sqlite3"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    key, _tenant_id, org_id = add_tenant(engine, "outage")
    headers = {"Authorization": f"Bearer {key}"}
    settings = Settings(environment="test", data_dir=tmp_path)
    try:
        with fail_fast_gateway(own_neo4j.bolt_uri, own_neo4j.password()) as gateway:
            services = build_services(
                settings, engine=engine, gateway=gateway, load_embeddings=False, chat_from_settings=False
            )
            with TestClient(create_app(settings, services=services)) as client:
                assert_unavailable(client.get(f"/v1/entities/{org_id}", headers=headers))
                assert_unavailable(client.post("/v1/sync", json={"mode": "incremental"}, headers=headers))
                ready = client.get("/readyz")
                assert ready.status_code == 503 and ready.headers["retry-after"].isdigit()
                assert ready.json()["services"]["neo4j"]["status"] == "error"
                assert ready.json()["services"]["database"]["status"] == "ok"
                # The relational CRM is the source of truth: it stays writable while the graph is down.
                note = client.post(
                    "/v1/tools/create_note",
                    json={"subject_id": org_id, "body": "Written while Neo4j was down.", **PROMPT},
                    headers=headers,
                )
                assert note.status_code == 200, note.text

                own_neo4j.start(timeout_s=300)

                assert wait_for(lambda: client.get("/readyz").status_code == 200), client.get("/readyz").text
                synced = client.post("/v1/sync", json={"mode": "incremental"}, headers=headers)
                assert synced.status_code == 200 and synced.json()["pending"] == 0, synced.text
                entity = client.get(f"/v1/entities/{note.json()['entity']['id']}", headers=headers)
                assert entity.status_code == 200 and entity.json()["properties"]["via_agent"] is True

                own_neo4j.stop()

                assert_unavailable(client.get(f"/v1/entities/{org_id}", headers=headers))
                assert client.get("/readyz").json()["services"]["neo4j"]["status"] == "error"
            services.close()
    finally:
        engine.dispose()


# --- the SQL database cut and restored -------------------------------------------------------------------


@pytest.fixture
def proxied_postgres(postgres_admin: sa.Engine) -> Iterator[tuple[sa.Engine, CuttableProxy]]:
    """A migrated PostgreSQL schema of its own, reached through a proxy the test can cut."""
    url = postgres_admin.url
    proxy = CuttableProxy((url.host or "127.0.0.1", url.port or 5432))
    proxy.open()
    schema = f"kgcrm_outage_{uuid.uuid4().hex[:12]}"
    with postgres_admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine = make_engine(url.set(host="127.0.0.1", port=proxy.port), search_path=schema)
    try:
        upgrade(engine)
        yield engine, proxy
    finally:
        engine.dispose()
        proxy.cut()
        with postgres_admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.mark.postgres
@pytest.mark.neo4j
def test_the_database_cut_is_503_and_the_api_recovers_when_it_is_back(proxied_postgres, world, tmp_path):
    engine, proxy = proxied_postgres
    key, _tenant_id, org_id = add_tenant(engine, "sql-outage")
    headers = {"Authorization": f"Bearer {key}"}
    settings = Settings(environment="test", data_dir=tmp_path)
    services = build_services(
        settings, engine=engine, gateway=world.gateway, load_embeddings=False, chat_from_settings=False
    )
    with TestClient(create_app(settings, services=services)) as client:
        assert client.get("/v1/sync/status", headers=headers).status_code == 200

        proxy.cut()

        for response in (
            client.get("/v1/sync/status", headers=headers),
            client.get("/v1/search", params={"q": "Outage"}, headers=headers),
            client.post("/v1/tools/create_note", json={"subject_id": org_id, "body": "x", **PROMPT}, headers=headers),
        ):
            assert_unavailable(response)
            assert "relational" in response.json()["error"]["message"]
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["services"]["database"]["status"] == "error"
        assert ready.json()["services"]["neo4j"]["status"] == "ok"

        proxy.open()

        assert wait_for(lambda: client.get("/readyz").status_code == 200, timeout_s=30)
        assert client.get("/v1/sync/status", headers=headers).status_code == 200
        note = client.post(
            "/v1/tools/create_note", json={"subject_id": org_id, "body": "Back.", **PROMPT}, headers=headers
        )
        assert note.status_code == 200, note.text
    services.close()
