"""``kgcrm sync`` (full and incremental), ``kgcrm sync status`` and ``kgcrm sync verify``.

Run through typer's CliRunner with the settings passed in, as ``kgcrm/cli.py`` passes
them, against the real CRM databases and Neo4j; ``--no-embeddings`` keeps them fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import neo4j
import pytest
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from kgcrm.cli.sync import sync_app
from kgcrm.core.settings import Settings
from kgcrm.graph.gateway import GraphGateway
from kgcrm.graph.schema import apply_schema
from kgcrm.graph.server import Neo4jCredentials
from tests.support.crm_fixtures import database_url

pytestmark = pytest.mark.neo4j


@pytest.fixture
def settings(engine: Engine, neo4j_credentials: Neo4jCredentials, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url(engine),
        neo4j_uri=neo4j_credentials.uri,
        neo4j_user=neo4j_credentials.user,
        neo4j_password=SecretStr(neo4j_credentials.password.get_secret_value()),
        data_dir=tmp_path / "data",
    )


@pytest.fixture
def gateway(neo4j_driver: neo4j.Driver, clean_graph: None) -> GraphGateway:
    gateway = GraphGateway(neo4j_driver)
    apply_schema(gateway, dimensions=384)
    return gateway


@pytest.fixture
def crm(rows: Any) -> dict[str, str]:
    t = rows.tenant()
    ids = {"tenant": t}
    ids["ann"] = rows.insert("individual", tenant_id=t, first_name="Ann", last_name="Lee")
    ids["bob"] = rows.insert("individual", tenant_id=t, first_name="Robert", last_name="Smith")
    ids["acme"] = rows.insert("organization", tenant_id=t, name="Acme Corp")
    ids["contact"] = rows.insert("contact", tenant_id=t, individual_id=ids["bob"], organization_id=ids["acme"])
    rows.insert("relationship", tenant_id=t, from_individual_id=ids["ann"], to_individual_id=ids["bob"], kind="knows")
    return ids


def kgcrm_sync(settings: Settings, *args: str) -> Any:
    return CliRunner().invoke(sync_app, list(args), obj=settings)


def text(result: Any) -> str:
    """The command's standard output with rich's line wrapping undone."""
    return " ".join(result.stdout.split())


def test_full_sync_mirrors_the_crm_and_prints_what_it_wrote(settings, gateway, crm, rows):
    result = kgcrm_sync(settings, "--full", "--no-embeddings")

    assert result.exit_code == 0, result.output
    out = text(result)
    assert "│ Person │ 2 │ 0 │" in out and "│ KNOWS │ 1 │ 0 │" in out
    assert f"checkpoint: change_log seq {rows.last_seq()}" in out
    people = gateway.read("people", "MATCH (p:Person) RETURN p.name AS name ORDER BY name")
    assert people == [{"name": "Ann Lee"}, {"name": "Robert Smith"}]


def test_incremental_sync_applies_the_changes_since_the_last_run(settings, gateway, crm, rows):
    kgcrm_sync(settings, "--full", "--no-embeddings")
    carol = rows.insert("individual", tenant_id=crm["tenant"], first_name="Carol", last_name="Diaz")
    rows.execute("DELETE FROM contact WHERE id = :id", id=crm["contact"])

    result = kgcrm_sync(settings, "--no-embeddings")

    assert result.exit_code == 0, result.output
    out = text(result)
    assert "│ Person │ 1 │ 0 │" in out and "│ Contact │ 0 │ 1 │" in out
    assert gateway.read("carol", "MATCH (p:Person {id: $id}) RETURN p.name AS n", {"id": carol}) == [
        {"n": "Carol Diaz"}
    ]
    assert gateway.read("works_at", "MATCH ()-[w:WORKS_AT]->() RETURN count(w) AS c") == [{"c": 0}]


def test_tenant_needs_full(settings, gateway, crm):
    result = kgcrm_sync(settings, "--tenant", "anything", "--no-embeddings")

    assert result.exit_code == 2
    assert "--tenant needs --full" in result.output


def status_of(settings: Settings) -> dict[str, str]:
    result = kgcrm_sync(settings, "status")
    assert result.exit_code == 0, result.output
    rows = [line.strip("│ ").split("│") for line in result.stdout.splitlines() if line.startswith("│")]
    return {key.strip(): value.strip() for key, value in rows}


def test_status_shows_last_seq_pending_changes_lag_and_last_run(settings, gateway, crm, rows):
    before = status_of(settings)
    kgcrm_sync(settings, "--full", "--no-embeddings")
    synced = status_of(settings)
    rows.insert("individual", tenant_id=crm["tenant"], first_name="Carol")
    rows.insert("individual", tenant_id=crm["tenant"], first_name="Dan")
    behind = status_of(settings)

    assert before["last applied seq"] == "0" and before["last run"] == "never"
    assert before["pending changes"] == str(rows.last_seq() - 2)
    assert synced["last applied seq"] == str(rows.last_seq() - 2)
    assert (synced["pending changes"], synced["lag (oldest pending change)"]) == ("0", "0s")
    assert synced["last run"] != "never"
    assert behind["pending changes"] == "2"
    assert float(behind["lag (oldest pending change)"].removesuffix("s")) >= 0


def test_verify_exits_0_without_drift_and_1_with_drift(settings, gateway, crm):
    kgcrm_sync(settings, "--full", "--no-embeddings")
    clean = kgcrm_sync(settings, "verify")

    gateway.write("behind the sync's back", "MATCH (p:Person {id: $id}) DETACH DELETE p", {"id": crm["ann"]})
    gateway.write(
        "behind the sync's back",
        "CREATE (:Note:__Entity__ {id: 'stray-note', tenant_id: $t, body: 'no row'})",
        {"t": crm["tenant"]},
    )
    gateway.write("behind the sync's back", "MATCH (o:Organization) SET o.domain = 'changed.example'")
    drifted = kgcrm_sync(settings, "verify")

    assert clean.exit_code == 0, clean.output
    assert "no drift" in text(clean)
    assert drifted.exit_code == 1, drifted.output
    out = text(drifted)
    assert f"missing Person {crm['ann']}" in out
    assert "extra Note stray-note" in out
    assert f"different Organization {crm['acme']}: properties differ from the row" in out
    assert "DRIFT:" in out


def test_a_full_sync_repairs_the_drift_verify_found(settings, gateway, crm):
    kgcrm_sync(settings, "--full", "--no-embeddings")
    gateway.write("behind the sync's back", "MATCH (p:Person {id: $id}) DETACH DELETE p", {"id": crm["bob"]})
    assert kgcrm_sync(settings, "verify").exit_code == 1

    kgcrm_sync(settings, "--full", "--no-embeddings")

    assert kgcrm_sync(settings, "verify").exit_code == 0
