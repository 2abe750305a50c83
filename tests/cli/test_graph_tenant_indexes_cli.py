"""``kgcrm graph tenant-indexes``: the tenant vector indexes the policy wants, through the CLI.

Run through typer's CliRunner with the settings passed in (as ``kgcrm/cli/__init__.py`` does),
against the real test Neo4j; the entities are written with vectors directly (no model).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import neo4j
import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from kgcrm.cli.graph import graph_app
from kgcrm.core.settings import Settings
from kgcrm.graph.gateway import GraphGateway
from kgcrm.graph.schema import apply_schema
from kgcrm.graph.server import Neo4jCredentials
from kgcrm.graph.tenant_vectors import (
    drop_tenant_index,
    online_tenant_indexes,
    tenant_index,
    tenant_label,
)

pytestmark = pytest.mark.neo4j


@pytest.fixture
def settings(neo4j_credentials: Neo4jCredentials, tmp_path: Path) -> Settings:
    return Settings(
        neo4j_uri=neo4j_credentials.uri,
        neo4j_user=neo4j_credentials.user,
        neo4j_password=SecretStr(neo4j_credentials.password.get_secret_value()),
        data_dir=tmp_path / "data",
    )


@pytest.fixture
def gateway(neo4j_driver: neo4j.Driver, clean_graph: None) -> Any:
    gateway = GraphGateway(neo4j_driver)
    apply_schema(gateway, dimensions=384)
    for tenant, count in (("big", 30), ("small", 5)):
        gateway.write(
            "arrange",
            "UNWIND range(1, $count) AS i CREATE (:__Entity__:Person {id: $tenant + '/' + i, tenant_id: $tenant, "
            "embedding: [x IN range(1, 384) | toFloat((i * x) % 7) + 1.0]})",
            {"tenant": tenant, "count": count},
        )
    yield gateway
    for name in online_tenant_indexes(gateway):
        drop_tenant_index(gateway, name)


def graph(settings: Settings, *args: str) -> Any:
    return CliRunner().invoke(graph_app, ["tenant-indexes", *args], obj=settings)


def test_dry_run_says_what_it_would_do_and_changes_nothing(settings, gateway):
    result = graph(settings, "--min-entities", "10", "--max-share", "1", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "1 wanted; would be created 2" in " ".join(result.stdout.split())  # its index and its names index
    assert online_tenant_indexes(gateway) == frozenset()


def test_it_creates_the_wanted_index_labels_the_tenant_and_drops_it_when_no_longer_wanted(settings, gateway):
    result = graph(settings, "--min-entities", "10", "--max-share", "1")
    assert result.exit_code == 0, result.output
    # 30 people: each given the tenant label and the names label
    assert "created 2" in result.stdout and "60 tenant labels added" in result.stdout
    assert online_tenant_indexes(gateway) == {tenant_index("big"), tenant_index("big", names=True)}
    labelled = gateway.read(
        "labelled",
        "MATCH (n:__Entity__) WHERE $label IN labels(n) RETURN count(n) AS c",
        {"label": tenant_label("big")},
    )
    assert labelled[0]["c"] == 30
    result = graph(settings, "--min-entities", "100")
    assert result.exit_code == 0 and "dropped 2" in result.stdout
    assert online_tenant_indexes(gateway) == frozenset()


def test_bad_options_are_refused(settings, gateway):
    result = graph(settings, "--max-share", "2")
    assert result.exit_code == 2 and "--max-share" in result.output
