"""The API tests' world: one seeded and synced CRM (two tenants), the real app, real keys.

``world`` (package scope: built once for all of tests/api) seeds a SQLite CRM with two
tenants (look-alike organizations included), mirrors it into the test Neo4j, and builds
the app with :func:`kgcrm.api.app.create_app` over services made for it (no embedding model:
search and resolution use their fulltext half; ``test_api_embeddings.py`` loads the model).
Each tenant gets a key bound to one of its users, and one for the whole team.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import neo4j
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from kgcrm.api import keys
from kgcrm.api.app import create_app
from kgcrm.api.services import Services, build_services
from kgcrm.core.settings import Settings
from kgcrm.crm.database import make_engine, upgrade
from kgcrm.crm.seed import seed_database
from kgcrm.crm.seed_generate import SeedConfig
from kgcrm.graph.gateway import GraphGateway
from kgcrm.graph.schema import apply_schema
from kgcrm.graph.server import Neo4jCredentials
from kgcrm.sync.engine import GraphSync
from tests.api.helpers import NOW, api_settings, wipe_graph

#: Tables whose row ids may appear in answers (entities, and the rows behind relationships).
ROW_TABLES = (
    "app_user",
    "individual",
    "organization",
    "contact",
    "account",
    "lead",
    "task",
    "note",
    "interaction",
    "interaction_participant",
    "relationship",
    "status",
)


@dataclass
class Tenant:
    id: str
    slug: str
    truth: dict[str, Any]
    user_key: str  # bound to the tenant's first user
    team_key: str  # no user: the whole team

    @property
    def user(self) -> dict[str, Any]:
        return self.truth["users"][0]

    def headers(self, key: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {key or self.user_key}"}


@dataclass
class World:
    engine: sa.Engine
    gateway: GraphGateway
    driver: neo4j.Driver
    settings: Settings
    services: Services
    client: TestClient
    truth: dict[str, Any]
    a: Tenant
    b: Tenant
    owner: dict[str, str] = field(default_factory=dict)  # row id → tenant id, every table

    def tenant_of(self, row_id: str) -> str | None:
        return self.owner.get(row_id)


def row_owners(engine: sa.Engine) -> dict[str, str]:
    owners: dict[str, str] = {}
    with engine.connect() as conn:
        for table in ROW_TABLES:
            for row_id, tenant_id in conn.execute(sa.text(f"SELECT id, tenant_id FROM {table}")):  # noqa: S608
                owners[row_id] = tenant_id
    return owners


@pytest.fixture(scope="package")
def world(
    tmp_path_factory: pytest.TempPathFactory, neo4j_driver: neo4j.Driver, neo4j_credentials: Neo4jCredentials
) -> Iterator[World]:
    path = tmp_path_factory.mktemp("api") / "crm.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    report = seed_database(engine, SeedConfig(tenants=2, scale=2000, seed=7, now=NOW))
    gateway = GraphGateway(neo4j_driver)
    wipe_graph(neo4j_driver)
    apply_schema(gateway, dimensions=384)
    GraphSync(engine, gateway).full()

    settings = api_settings(path, neo4j_credentials)
    services = build_services(
        settings, engine=engine, gateway=gateway, load_embeddings=False, chat_from_settings=False, clock=lambda: NOW
    )
    tenants = []
    for truth in report.truth["tenants"][:2]:
        user_key = keys.create_key(engine, truth["slug"], user_email=truth["users"][0]["email"]).key
        team_key = keys.create_key(engine, truth["slug"], name="team").key
        tenants.append(Tenant(truth["id"], truth["slug"], truth, user_key, team_key))
    with TestClient(create_app(settings, services=services)) as client:
        yield World(
            engine=engine,
            gateway=gateway,
            driver=neo4j_driver,
            settings=settings,
            services=services,
            client=client,
            truth=report.truth,
            a=tenants[0],
            b=tenants[1],
            owner=row_owners(engine),
        )
    services.close()
    engine.dispose()
