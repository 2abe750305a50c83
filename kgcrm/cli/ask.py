"""``kgcrm ask "…" --tenant slug``: one question, answered with its provenance."""

from __future__ import annotations

import json

import typer
from rich.console import Console

from kgcrm.cli.context import settings_of
from kgcrm.core.settings import Settings
from kgcrm.crm import tenants
from kgcrm.crm.tenants import tenant_and_user
from kgcrm.services import database_engine, graph_gateway, retrieval_stack


def ask_command(
    ctx: typer.Context,
    question: str = typer.Argument(..., help="A question about the CRM, in plain words."),
    tenant: str = typer.Option(..., "--tenant", help="The tenant (slug) to ask about."),
    semantic: bool = typer.Option(True, "--semantic/--no-semantic", help="Load the embedding model for search."),
    show_cypher: bool = typer.Option(False, "--cypher", help="Print the Cypher that ran."),
    as_json: bool = typer.Option(False, "--json", help="Print the whole answer as JSON."),
    user: str | None = typer.Option(None, "--user", help="Ask as this team member (e-mail): 'my deals', 'me'."),
) -> None:
    """Answer a question from the graph (the semantic layer first; an LLM when set; then search)."""
    settings = settings_of(ctx)
    tenant_id, user_id = tenant_and_user_for(settings, tenant, user)
    with graph_gateway(settings) as gateway:
        answer = retrieval_stack(settings, gateway, semantic=semantic).ask.ask(question, tenant_id, user_id=user_id)
    out = Console()
    if as_json:
        out.print_json(json.dumps(answer.model_dump(mode="json")))
        return
    if answer.interpretation:
        out.print(f"[bold]{answer.interpretation}[/bold]", highlight=False)
    out.print(answer.answer, highlight=False)
    if answer.unapplied:
        out.print("[yellow]not applied: " + ", ".join(answer.unapplied) + "[/yellow]", highlight=False)
    out.print(f"[dim]method: {answer.method}; sources: {len(answer.sources)}[/dim]")
    if show_cypher and answer.cypher:
        out.print(answer.cypher)


def tenant_and_user_for(settings: Settings, slug: str, email: str | None) -> tuple[str, str | None]:
    """The tenant's id and, with an e-mail, its user's id; NotFoundError naming what is missing."""
    engine = database_engine(settings)
    try:
        return tenant_and_user(engine, slug, email)
    finally:
        engine.dispose()


def tenant_id_for(settings: Settings, slug: str) -> str:
    """The id of the tenant with this slug; TenantNotFound naming it otherwise."""
    engine = database_engine(settings)
    try:
        with engine.connect() as conn:
            return tenants.tenant_id(conn, slug)
    finally:
        engine.dispose()
