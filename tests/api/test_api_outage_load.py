"""Neo4j really stopped and started under 50 concurrent clients: 503s come at once, service comes back.

The same measurement as ``bench/outage.py`` (which prints the figures), with generous bounds: before
the circuit breaker each request took 6-8 s to fail and they queued behind one lock.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from pydantic import SecretStr

from bench.outage import Load, free_port, measure_outage, serve
from kgcrm.api import keys
from kgcrm.api.app import create_app
from kgcrm.api.protocol import UVICORN_OPTIONS
from kgcrm.core.settings import Settings
from kgcrm.crm.database import make_engine
from kgcrm.graph.gateway import GraphGateway, make_driver
from kgcrm.graph.schema import apply_schema
from kgcrm.graph.server import LocalNeo4jServer, Neo4jCredentials
from kgcrm.services import build_services
from kgcrm.sync.engine import GraphSync
from tests.support.neo4j_fixtures import neo4j_test_settings

CLIENTS = 50


@pytest.fixture
def own_neo4j(tmp_path: Path) -> Iterator[LocalNeo4jServer]:
    """A Neo4j of this test's own (its data directory and ports), started; stopped at the end."""
    settings = neo4j_test_settings(
        data_dir=tmp_path / "neo4j-data", neo4j_bolt_port=free_port(), neo4j_http_port=free_port()
    )
    server = LocalNeo4jServer(settings)
    if not server.is_installed():
        pytest.skip("no local Neo4j installation to start a server of the test's own")
    server.password_file.parent.mkdir(parents=True, exist_ok=True)
    server.password_file.write_text(f"outage-{uuid.uuid4().hex}\n", encoding="utf-8")
    server.password_file.chmod(0o600)
    try:
        server.start(timeout_s=300)
        yield server
    finally:
        server.stop()


@pytest.mark.slow
@pytest.mark.neo4j
def test_a_neo4j_outage_under_50_clients_is_answered_fast_and_recovered(own_neo4j, sqlite_template, tmp_path):
    path = tmp_path / "crm.sqlite3"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    tenant_id = str(uuid.uuid4())
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO tenant (id, slug, name) VALUES (:id, 'load', 'Load')"), {"id": tenant_id})
        conn.execute(
            sa.text("INSERT INTO organization (id, tenant_id, name) VALUES (:id, :t, 'Outage Testing Co')"),
            {"id": str(uuid.uuid4()), "t": tenant_id},
        )
    key = keys.create_key(engine, "load").key
    credentials = Neo4jCredentials(own_neo4j.bolt_uri, "neo4j", SecretStr(own_neo4j.password()))
    with make_driver(credentials) as driver:
        gateway = GraphGateway(driver)
        apply_schema(gateway, dimensions=384)
        GraphSync(engine, gateway).full()
    # The API's own composition root: its driver settings and breakers come from the (default) settings.
    # The answer cache is off: this measures the fail-fast path of requests that need Neo4j. With it on, an answer
    # computed before the outage may still be served while the graph version is being re-read (bench/RESULTS.md,
    # "outage": 586 cache hits in that run), which is a 200 by design, not a hang.
    settings = Settings(
        environment="test",
        data_dir=tmp_path,
        neo4j_uri=own_neo4j.bolt_uri,
        neo4j_password=own_neo4j.password(),
        api_cache_entries=0,
    )
    services = build_services(settings, engine=engine, load_embeddings=False, chat_from_settings=False)
    try:
        with serve(create_app(settings, services=services), **UVICORN_OPTIONS) as url:
            load = Load(
                url, "/v1/resolve", {"text": "Outage Testing Co"}, {"Authorization": f"Bearer {key}"}, clients=CLIENTS
            )
            figures = measure_outage(
                load, own_neo4j.stop, lambda: own_neo4j.start(timeout_s=300), warmup_s=3, outage_s=8, settle_s=3
            )
    finally:
        services.close()
        engine.dispose()

    shown = "\n".join(f"{name}: {value}" for name, value in figures.rows())
    assert figures.during_outage >= CLIENTS, shown
    assert figures.not_503 == 0, shown  # every answer while down: 503 with Retry-After (no 500, no hang)
    assert figures.first_503_s <= 5.0, shown
    assert figures.p99_503_s <= 3.0, shown  # the goal is 1 s (bench/outage.py); today's code took 6-8 s
    # the goal is 10 s (bench/outage.py); on a loaded 2-core machine a restarted Neo4j answers its first
    # queries slowly (JVM still cold), so the bound here is loose: what it catches is a backlog that never drains
    assert figures.recovery_first_s <= 90.0, shown
    assert figures.healthz_max_s <= 2.0 and figures.metrics_max_s <= 3.0, shown
