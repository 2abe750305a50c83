"""``kgcrm ask "…" --tenant slug``: one question, answered with its provenance."""

from __future__ import annotations

import json

import typer
from rich.console import Console

from kgcrm.core.errors import NotFoundError
from kgcrm.core.settings import Settings
from kgcrm.services import database_engine, graph_gateway, retrieval_stack
from kgcrm.sync import extract


def ask_command(
    ctx: typer.Context,
    question: str = typer.Argument(..., help="A question about the CRM, in plain words."),
    tenant: str = typer.Option(..., "--tenant", help="The tenant (slug) to ask about."),
    semantic: bool = typer.Option(True, "--semantic/--no-semantic", help="Load the embedding model for search."),
    show_cypher: bool = typer.Option(False, "--cypher", help="Print the Cypher that ran."),
    as_json: bool = typer.Option(False, "--json", help="Print the whole answer as JSON."),
) -> None:
    """Answer a question from the graph (templates first, then text-to-Cypher if an LLM is set, then search)."""
    settings: Settings = ctx.obj
    tenant_id = tenant_id_for(settings, tenant)
    with graph_gateway(settings) as gateway:
        answer = retrieval_stack(settings, gateway, semantic=semantic).ask.ask(question, tenant_id)
    out = Console()
    if as_json:
        out.print_json(json.dumps(answer.model_dump(mode="json")))
        return
    out.print(answer.answer)
    out.print(f"[dim]method: {answer.method}; sources: {len(answer.sources)}[/dim]")
    if show_cypher and answer.cypher:
        out.print(answer.cypher)


def tenant_id_for(settings: Settings, slug: str) -> str:
    """The id of the tenant with this slug; NotFoundError naming it otherwise."""
    engine = database_engine(settings)
    try:
        with engine.connect() as conn:
            tenant_id = extract.tenant_id_of(conn, slug)
    finally:
        engine.dispose()
    if tenant_id is None:
        raise NotFoundError(f"tenant '{slug}' does not exist")
    return tenant_id
