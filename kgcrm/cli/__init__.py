"""The ``kgcrm`` command line.

Each group of sub-commands has its module here (``kgcrm/cli/graph.py``, ``kgcrm/cli/crm.py`` …);
this module only assembles them, builds the settings once and turns kgcrm's own
errors into a one-line message and a non-zero exit.
"""

from __future__ import annotations

import sys

import typer

from kgcrm.cli.ask import ask_command
from kgcrm.cli.browser import browser_app
from kgcrm.cli.connections import connections_command
from kgcrm.cli.context_pack import context_command
from kgcrm.cli.crm import db_app, seed_command
from kgcrm.cli.eval import eval_app
from kgcrm.cli.graph import graph_app, neo4j_app
from kgcrm.cli.ingest import ingest_app
from kgcrm.cli.mcp import mcp_command
from kgcrm.cli.openapi import openapi_command
from kgcrm.cli.retrieval import dedupe_command, resolve_command
from kgcrm.cli.serve import keys_app, serve_command
from kgcrm.cli.suggest import suggest_command  # issue 14
from kgcrm.cli.sync import sync_app
from kgcrm.core.errors import KgcrmError
from kgcrm.core.settings import load_settings

app = typer.Typer(
    name="kgcrm",
    help="Knowledge-graph CRM: mirror a relational CRM into Neo4j and ask it questions.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(neo4j_app, name="neo4j")
app.add_typer(graph_app, name="graph")
app.add_typer(browser_app, name="browser")
app.add_typer(db_app, name="db")
app.command("seed")(seed_command)
app.add_typer(sync_app, name="sync")
app.command("resolve")(resolve_command)
app.command("dedupe")(dedupe_command)
app.command("connections")(connections_command)
app.command("ask")(ask_command)
app.add_typer(eval_app, name="eval")
app.command("serve")(serve_command)
app.add_typer(keys_app, name="keys")
app.command("mcp")(mcp_command)
app.add_typer(ingest_app, name="ingest")
app.command("openapi")(openapi_command)
app.command("suggest")(suggest_command)  # issue 14
app.command("context")(context_command)


@app.callback()
def _load(ctx: typer.Context) -> None:
    """Build the settings once; every sub-command reads them from ``ctx.obj``."""
    ctx.obj = load_settings()


def main() -> None:
    try:
        app()
    except KgcrmError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        sys.exit(1)
