"""A backing service that is down: 503 with Retry-After and the contract's body, never a 500.

No Neo4j or PostgreSQL server is needed: the services point at a port nobody listens on.
"""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from pydantic import SecretStr

from kgcrm.api import keys
from kgcrm.api.app import create_app
from kgcrm.api.services import build_services
from kgcrm.core.settings import Settings
from kgcrm.crm.database import make_engine
from kgcrm.graph.gateway import GraphGateway, make_driver
from kgcrm.graph.server import Neo4jCredentials
from tests.api.helpers import assert_error


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def dead_neo4j():
    credentials = Neo4jCredentials(f"bolt://127.0.0.1:{closed_port()}", "neo4j", SecretStr("unused-password"))
    driver = make_driver(credentials, max_transaction_retry_time=0, connection_timeout=1.0)
    yield GraphGateway(driver, timeout_s=1.0)
    driver.close()


def client_for(settings: Settings, **parts) -> TestClient:
    services = build_services(settings, load_embeddings=False, chat_from_settings=False, **parts)
    return TestClient(create_app(settings, services=services))


@pytest.fixture
def sqlite_engine(tmp_path: Path, sqlite_template: Path):
    """A migrated SQLite CRM with one tenant (the SQL side works; Neo4j is what is down)."""
    path = tmp_path / "crm.sqlite3"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO tenant (id, slug) VALUES ('t-1', 'acme')"))
    yield engine
    engine.dispose()


def test_neo4j_down(sqlite_engine, dead_neo4j, tmp_path: Path):
    engine = sqlite_engine
    key = keys.create_key(engine, "acme").key
    headers = {"Authorization": f"Bearer {key}"}
    settings = Settings(environment="test", data_dir=tmp_path)

    with client_for(settings, engine=engine, gateway=dead_neo4j) as client:
        for response in (
            client.get("/v1/search", params={"q": "Acme"}, headers=headers),
            client.post("/v1/resolve", json={"text": "Acme"}, headers=headers),
            client.get("/v1/entities/some-id", headers=headers),
            client.get("/v1/sync/status", headers=headers),
        ):
            assert_error(response, 503, "service_unavailable")
            assert response.headers["retry-after"].isdigit()
        ready = client.get("/readyz")
        metrics = client.get("/metrics")
        live = client.get("/healthz")

    assert ready.status_code == 503 and ready.headers["retry-after"]
    assert ready.json()["status"] == "unavailable"
    assert ready.json()["services"]["neo4j"]["status"] == "error"
    assert ready.json()["services"]["database"]["status"] == "ok"
    assert metrics.status_code == 200 and "kgcrm_sync_status_up 0.0" in metrics.text
    assert live.status_code == 200


def test_the_database_down(dead_neo4j, tmp_path: Path):
    engine = make_engine(f"postgresql+psycopg://kgcrm:secret@127.0.0.1:{closed_port()}/kgcrm")
    settings = Settings(environment="test", data_dir=tmp_path)
    headers = {"Authorization": "Bearer kg_0123456789ab_" + "A" * 43}

    with client_for(settings, engine=engine, gateway=dead_neo4j) as client:
        response = client.get("/v1/sync/status", headers=headers)
        ready = client.get("/readyz")

    error = assert_error(response, 503, "service_unavailable")
    assert "secret" not in response.text and "relational" in error["message"]
    assert ready.status_code == 503 and ready.json()["services"]["database"]["status"] == "error"
    engine.dispose()
