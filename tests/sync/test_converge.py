"""``sync --full`` converges from any graph state, says what it removed, and ``--dry-run`` shows it first.

The graph states a full sync must get over: a tenant re-created with the same slug (a new id),
a CRM restored from an older backup after a newer tenant was synced, a graph left by another
CRM. After each, ``SyncVerifier`` finds no drift and the graph is the one a clean full sync
of the same rows gives. A tenant-scoped full sync never removes another tenant's nodes.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import neo4j
import pytest
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from kgcrm.cli.sync import sync_app
from kgcrm.core.errors import GraphConflictError
from kgcrm.core.settings import Settings
from kgcrm.crm.database import make_engine
from kgcrm.crm.triggers import LOGGED_TABLES
from kgcrm.graph.gateway import GraphGateway
from kgcrm.graph.schema import apply_schema
from kgcrm.graph.server import Neo4jCredentials
from kgcrm.sync.engine import GraphSync
from tests.support.crm_fixtures import Rows
from tests.sync.test_faults import Fingerprint, assert_no_drift, assert_same_graph, clean_full_sync

pytestmark = pytest.mark.neo4j

#: Every tenant-scoped table, children first (the order a tenant's rows are deleted in).
CHILD_FIRST = (*reversed(LOGGED_TABLES), "api_key", "change_log")


@pytest.fixture
def gateway(neo4j_driver: neo4j.Driver, clean_graph: None) -> GraphGateway:
    gateway = GraphGateway(neo4j_driver)
    apply_schema(gateway, dimensions=384)
    return gateway


def small_crm(rows: Rows, slug: str, people: int = 3) -> str:
    """A tenant with people, an organization, contacts, a note, a meeting and a relationship; its id."""
    t = rows.insert("tenant", name=f"Tenant {slug}", slug=slug)
    org = rows.insert("organization", tenant_id=t, name=f"{slug} Corp", domain=f"{slug}.example")
    ids = [rows.insert("individual", tenant_id=t, first_name=f"P{i}", last_name=slug) for i in range(people)]
    rows.insert("app_user", tenant_id=t, email=f"owner@{slug}.example", individual_id=ids[0])
    for person in ids[1:]:
        rows.insert("contact", tenant_id=t, individual_id=person, organization_id=org, title="Engineer")
    rows.insert("note", tenant_id=t, subject_type="organization", subject_id=org, body=f"about {slug}")
    meeting = rows.insert("interaction", tenant_id=t, kind="meeting", subject="Intro", occurred_at="2026-10-01")
    for person in ids[:2]:
        rows.insert("interaction_participant", tenant_id=t, interaction_id=meeting, individual_id=person)
    rows.insert("relationship", tenant_id=t, from_individual_id=ids[0], to_individual_id=ids[1], kind="knows")
    return t


def delete_tenant(rows: Rows, tenant_id: str) -> None:
    """A tenant purged from the CRM: its rows, its keys and its change log."""
    for table in CHILD_FIRST:
        rows.execute(f"DELETE FROM {table} WHERE tenant_id = :t", t=tenant_id)  # noqa: S608
    rows.execute("DELETE FROM tenant WHERE id = :t", t=tenant_id)


def tenants_in_graph(gateway: GraphGateway) -> dict[str, str]:
    return {r["id"]: r["slug"] for r in gateway.read("tenants", "MATCH (t:Tenant) RETURN t.id AS id, t.slug AS slug")}


def node_tenants(gateway: GraphGateway) -> set[str]:
    rows = gateway.read("tenants", "MATCH (n) WHERE n.tenant_id IS NOT NULL RETURN DISTINCT n.tenant_id AS t")
    return {r["t"] for r in rows}


@pytest.fixture
def other_crm(tmp_path: Path, sqlite_template: Path) -> Iterator[Engine]:
    """A second CRM database (another deployment, a re-seed): its own ids, the same slugs."""
    path = tmp_path / "other.sqlite3"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


def test_a_tenant_re_created_with_the_same_slug_and_a_new_id(engine, rows, gateway):
    old = small_crm(rows, "acme")
    small_crm(rows, "beta")
    GraphSync(engine, gateway).full()
    delete_tenant(rows, old)
    new = small_crm(rows, "acme", people=2)

    report = GraphSync(engine, gateway).full()

    assert_no_drift(engine, gateway)
    assert tenants_in_graph(gateway)[new] == "acme" and old not in tenants_in_graph(gateway)
    assert old not in node_tenants(gateway)
    removed = {(what, tenant): n for what, tenant, n in report.removals()}
    assert removed[("Tenant", f"acme ({old})")] == 1
    assert removed[("Person", f"acme ({old})")] == 3
    assert removed[("KNOWS", f"acme ({old})")] == 1
    assert all(old in tenant for _, tenant in removed)  # nothing of beta or of the new acme
    assert_same_graph(Fingerprint.of(gateway), clean_full_sync(engine, gateway))


def test_a_crm_restored_from_an_older_backup_after_a_newer_tenant_was_synced(engine, rows, gateway, tmp_path):
    if engine.dialect.name != "sqlite":
        pytest.skip("the backup is a copy of the SQLite file")
    path, backup = Path(str(engine.url.database)), tmp_path / "backup.sqlite3"
    small_crm(rows, "acme")
    engine.dispose()
    shutil.copyfile(path, backup)
    gone = small_crm(rows, "beta")  # written after the backup, and synced
    sync = GraphSync(engine, gateway)
    sync.full()
    sync.incremental()
    engine.dispose()
    shutil.copyfile(backup, path)  # restored: beta is lost...
    again = small_crm(rows, "beta", people=4)  # ...and re-created, with a new id

    report = GraphSync(engine, gateway).full()
    GraphSync(engine, gateway).incremental()

    assert_no_drift(engine, gateway)
    assert tenants_in_graph(gateway)[again] == "beta" and gone not in node_tenants(gateway)
    assert {tenant for _, tenant, _ in report.removals()} == {f"beta ({gone})"}
    assert_same_graph(Fingerprint.of(gateway), clean_full_sync(engine, gateway))


def test_a_graph_left_by_another_crm(engine, rows, other_crm, gateway):
    mine = {small_crm(rows, "acme"), small_crm(rows, "beta")}
    other = Rows(other_crm)
    theirs = {small_crm(other, "acme", people=5), small_crm(other, "gamma")}
    GraphSync(other_crm, gateway).full()

    report = GraphSync(engine, gateway).full()

    assert_no_drift(engine, gateway)
    assert set(tenants_in_graph(gateway)) == mine and node_tenants(gateway) == mine
    assert {tenant.split("(")[1].rstrip(")") for _, tenant, _ in report.removals()} == theirs
    assert report.deleted["Tenant"] == 2 and report.deleted["Person"] == 8
    assert_same_graph(Fingerprint.of(gateway), clean_full_sync(engine, gateway))


def test_a_dry_run_reports_what_the_full_sync_removes_and_changes_nothing(engine, rows, other_crm, gateway):
    small_crm(rows, "acme")
    small_crm(Rows(other_crm), "acme")
    GraphSync(other_crm, gateway).full()
    before = Fingerprint.of(gateway)

    planned = GraphSync(engine, gateway).full(dry_run=True)
    unchanged = Fingerprint.of(gateway)
    done = GraphSync(engine, gateway).full()

    assert unchanged == before
    assert planned.removals() == done.removals() != []
    assert planned.nodes_written == {} and planned.last_seq is None


def test_a_tenant_scoped_full_sync_removes_only_that_tenants_stale_nodes(engine, rows, other_crm, gateway):
    acme, beta = small_crm(rows, "acme"), small_crm(rows, "beta")
    gamma = small_crm(Rows(other_crm), "gamma")  # a tenant this CRM does not have
    GraphSync(other_crm, gateway).full()
    GraphSync(engine, gateway).full()  # the stale gamma goes, then put it back
    GraphSync(other_crm, gateway).full(tenant_slug="gamma")
    for tenant in (acme, beta):  # a node of each tenant whose row is not in SQL
        gateway.write(
            "stale",
            "CREATE (:Note:__Entity__ {id: $id, tenant_id: $t, body: 'x'})",
            {"id": f"stale-{tenant}", "t": tenant},
        )

    report = GraphSync(engine, gateway).full(tenant_slug="acme")

    assert report.removals() == [("Note", f"acme ({acme})", 1)]
    assert gateway.read("n", "MATCH (n:Note {id: $id}) RETURN n.id AS id", {"id": f"stale-{beta}"}) != []
    assert gamma in tenants_in_graph(gateway) and gamma in node_tenants(gateway)


def test_a_tenant_scoped_full_sync_refuses_a_slug_held_by_another_tenant_and_names_the_fix(
    engine, rows, other_crm, gateway
):
    small_crm(Rows(other_crm), "acme")
    GraphSync(other_crm, gateway).full()
    small_crm(rows, "acme")
    before = Fingerprint.of(gateway)

    with pytest.raises(
        GraphConflictError, match=r"another tenant with slug 'acme'.*kgcrm sync --full. without --tenant"
    ):
        GraphSync(engine, gateway).full(tenant_slug="acme")

    assert Fingerprint.of(gateway) == before


def test_an_incremental_sync_over_a_re_created_tenant_names_the_fix(engine, rows, gateway):
    old = small_crm(rows, "acme")
    GraphSync(engine, gateway).full()
    delete_tenant(rows, old)
    small_crm(rows, "acme")
    before, checkpoint = Fingerprint.of(gateway), GraphSync(engine, gateway).checkpoint()

    with pytest.raises(GraphConflictError, match=r"slug 'acme'.*kgcrm sync --full"):
        GraphSync(engine, gateway).incremental()
    # checked in the batch's own transaction, before anything of it is written: all rolled back
    assert Fingerprint.of(gateway) == before
    assert GraphSync(engine, gateway).checkpoint() == checkpoint


# --- the CLI ------------------------------------------------------------------------------------


@pytest.fixture
def settings(engine: Engine, neo4j_credentials: Neo4jCredentials, tmp_path: Path) -> Settings:
    from tests.support.crm_fixtures import database_url

    return Settings(
        database_url=database_url(engine),
        neo4j_uri=neo4j_credentials.uri,
        neo4j_user=neo4j_credentials.user,
        neo4j_password=SecretStr(neo4j_credentials.password.get_secret_value()),
        data_dir=tmp_path / "data",
    )


def test_kgcrm_sync_full_dry_run_shows_the_removals_then_the_full_sync_reports_them(
    settings, engine, rows, other_crm, gateway
):
    small_crm(rows, "acme")
    theirs = small_crm(Rows(other_crm), "acme")
    GraphSync(other_crm, gateway).full()
    before = Fingerprint.of(gateway)

    dry = CliRunner().invoke(sync_app, ["--full", "--dry-run"], obj=settings)
    unchanged = Fingerprint.of(gateway)
    real = CliRunner().invoke(sync_app, ["--full", "--no-embeddings"], obj=settings)

    assert dry.exit_code == 0, dry.output
    assert unchanged == before
    dry_out, real_out = " ".join(dry.stdout.split()), " ".join(real.stdout.split())
    assert "would remove" in dry_out and f"acme ({theirs})" in dry_out
    assert "│ Tenant │ acme" in dry_out
    assert real.exit_code == 0, real.output
    assert "removed" in real_out and f"acme ({theirs})" in real_out
    assert_no_drift(engine, gateway)


def test_post_v1_sync_full_over_another_tenant_with_the_slug_is_409_naming_the_fix_not_the_tenant(
    tmp_path, sqlite_template, other_crm, gateway, neo4j_credentials
):
    from fastapi.testclient import TestClient

    from kgcrm.api import keys
    from kgcrm.api.app import create_app
    from kgcrm.services import build_services
    from tests.api.helpers import api_settings

    path = tmp_path / "crm.sqlite3"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    theirs = small_crm(Rows(other_crm), "acme")
    GraphSync(other_crm, gateway).full()
    small_crm(Rows(engine), "acme")
    key = keys.create_key(engine, "acme").key
    settings = api_settings(path, neo4j_credentials)
    services = build_services(settings, engine=engine, load_embeddings=False, chat_from_settings=False)
    try:
        with TestClient(create_app(settings, services=services), raise_server_exceptions=False) as client:
            answer = client.post("/v1/sync", json={"mode": "full"}, headers={"Authorization": f"Bearer {key}"})
    finally:
        services.close()
        engine.dispose()

    assert answer.status_code == 409, answer.text
    error = answer.json()["error"]
    assert error["code"] == "graph_conflict"
    assert "kgcrm sync --full" in error["message"]
    assert theirs not in answer.text  # another tenant's id is never shown
