"""``kgcrm ask``: prints the interpretation before the answer; ``--json`` the whole answer; ``--user`` is "me"."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from kgcrm.cli.ask import ask_command
from kgcrm.crm.database import sqlite_path
from tests.api.helpers import api_settings
from tests.retrieval.semantic_layer.truth import sql_rows

pytestmark = pytest.mark.neo4j


def _cli(settings) -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _load(ctx: typer.Context) -> None:
        ctx.obj = settings

    app.command("ask")(ask_command)
    return app


def test_ask_prints_the_interpretation_and_json(crm, neo4j_credentials):
    engine, _, tenants = crm
    slug = sql_rows(engine, "SELECT slug FROM tenant WHERE id = :t", t=tenants[0])[0]["slug"]
    settings = api_settings(sqlite_path(engine.url), neo4j_credentials)
    app = _cli(settings)

    text = CliRunner().invoke(app, ["ask", "how many open opps are above 50k", "--tenant", slug, "--no-semantic"])
    as_json = CliRunner().invoke(
        app, ["ask", "how many open opps are above 50k", "--tenant", slug, "--no-semantic", "--json"]
    )

    assert text.exit_code == 0, text.output
    assert "Counting opportunities with status category open and amount > 50,000.00" in text.output
    answer = json.loads(as_json.output)
    assert answer["method"] == "semantic_layer" and answer["unapplied"] == [] and answer["query"]["entity"] == "deal"


def test_ask_as_a_user(crm, neo4j_credentials):
    engine, _, tenants = crm
    slug = sql_rows(engine, "SELECT slug FROM tenant WHERE id = :t", t=tenants[0])[0]["slug"]
    user = sql_rows(
        engine,
        """SELECT u.id, u.email, count(t.id) AS n FROM app_user u JOIN task t ON t.assignee_id = u.id
           JOIN status s ON s.id = t.status_id AND s.category = 'open'
           WHERE u.tenant_id = :t GROUP BY u.id, u.email ORDER BY n DESC LIMIT 1""",
        t=tenants[0],
    )[0]
    app = _cli(api_settings(sqlite_path(engine.url), neo4j_credentials))

    result = CliRunner().invoke(
        app, ["ask", "my open tasks", "--tenant", slug, "--user", user["email"], "--no-semantic", "--json"]
    )

    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["data"]["total"] == user["n"]
