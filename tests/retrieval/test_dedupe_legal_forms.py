"""``kgcrm dedupe`` ends on a CRM whose organizations are called "S.A.", "B.V." (issue 11: it spun forever)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from kgcrm.crm.database import make_engine
from kgcrm.graph.gateway import GraphGateway
from kgcrm.graph.schema import apply_schema
from kgcrm.sync.engine import GraphSync

LEGAL_FORMS = ["S.A.", "B.V.", "N.V.", "S. A.", "s.a.", "Acme S.A.", "Acme B.V."]


@pytest.mark.neo4j
def test_kgcrm_dedupe_ends_on_organizations_named_by_a_legal_form(
    neo4j_driver, neo4j_credentials, clean_graph, sqlite_template, tmp_path: Path
):
    path = tmp_path / "crm.sqlite3"
    path.write_bytes(sqlite_template.read_bytes())
    engine = make_engine(f"sqlite:///{path}")
    tenant_id, slug = str(uuid.uuid4()), f"legal-{uuid.uuid4().hex[:8]}"
    try:
        with engine.begin() as conn:  # plain SQL, as another application would write them
            conn.execute(
                sa.text("INSERT INTO tenant (id, slug, name) VALUES (:id, :s, :s)"), {"id": tenant_id, "s": slug}
            )
            for name in LEGAL_FORMS:
                conn.execute(
                    sa.text("INSERT INTO organization (id, tenant_id, name) VALUES (:id, :t, :n)"),
                    {"id": str(uuid.uuid4()), "t": tenant_id, "n": name},
                )
        gateway = GraphGateway(neo4j_driver)
        apply_schema(gateway, dimensions=384)
        GraphSync(engine, gateway).full()
    finally:
        engine.dispose()
    env = {
        **os.environ,
        "NEO4J_URI": neo4j_credentials.uri,
        "NEO4J_USER": neo4j_credentials.user,
        "NEO4J_PASSWORD": neo4j_credentials.password.get_secret_value(),
        "KGCRM_SETTINGS_FILE": str(tmp_path / "none.env"),
    }

    try:
        done = subprocess.run(
            [sys.executable, "-c", "from kgcrm.cli import main; main()", "dedupe", "--tenant", slug, "--dry-run"],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        pytest.fail("kgcrm dedupe did not finish within 120 s on organizations named by a legal form")

    assert done.returncode == 0, done.stderr
    # "S.A.", "S. A." and "s.a." are one name written three ways: dedupe reports them
    assert "S. A." in done.stdout, done.stdout
