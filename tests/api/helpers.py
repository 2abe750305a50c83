"""Helpers of the API tests: settings, the keys CLI, and assertions on answers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import neo4j
import typer

from kgcrm.cli.serve import keys_app
from kgcrm.core.settings import Settings
from kgcrm.graph.server import Neo4jCredentials

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def wipe_graph(driver: neo4j.Driver) -> None:
    with driver.session() as session:
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()


def api_settings(path: Path, credentials: Neo4jCredentials, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "environment": "test",
        "database_url": f"sqlite:///{path}",
        "neo4j_uri": credentials.uri,
        "neo4j_user": credentials.user,
        "neo4j_password": credentials.password,
        "data_dir": path.parent,
    }
    values.update(overrides)
    return Settings(**values)


def keys_cli(settings: Settings) -> typer.Typer:
    """``kgcrm keys`` as the lead registers it, with these settings."""
    app = typer.Typer()

    @app.callback()
    def _load(ctx: typer.Context) -> None:
        ctx.obj = settings

    app.add_typer(keys_app, name="keys")
    return app


def ids_in(value: Any) -> set[str]:
    """Every id an answer names: values of ``id``/``from``/``to`` keys, at any depth."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key in {"id", "from", "to"} and isinstance(item, str):
                found.add(item)
            else:
                found |= ids_in(item)
    elif isinstance(value, list):
        for item in value:
            found |= ids_in(item)
    return found


def assert_error(response: Any, status: int, code: str | None = None, field: str | None = None) -> dict[str, Any]:
    """The contract's error body: ``{"error": {"code", "message", "field"?}}``, no stack trace."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error["code"], str) and isinstance(error["message"], str)
    if code is not None:
        assert error["code"] == code, error
    if field is not None:
        assert error.get("field") == field, error
    assert_no_trace(response)
    return error


def assert_no_trace(response: Any) -> None:
    text = response.text
    assert "Traceback" not in text and 'File "' not in text and '.py", line' not in text


def graph_fingerprint(driver: neo4j.Driver) -> tuple[Any, ...]:
    """Counts and a digest of every node and relationship: equal before and after means unchanged."""
    with driver.session() as session:
        nodes = session.run(
            "MATCH (n) WITH n ORDER BY elementId(n) "
            "RETURN count(n) AS count, collect(elementId(n) + '|' + coalesce(n.id, '') + '|' + "
            "coalesce(toString(n.updated_at), '') + '|' + coalesce(n.name, '')) AS keys"
        ).single()
        rels = session.run(
            "MATCH ()-[r]->() WITH r ORDER BY elementId(r) RETURN count(r) AS count, collect(elementId(r)) AS keys"
        ).single()
    assert nodes is not None and rels is not None
    return nodes["count"], hash(json.dumps(nodes["keys"])), rels["count"], hash(json.dumps(rels["keys"]))
