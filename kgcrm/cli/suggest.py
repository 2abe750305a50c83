"""``kgcrm suggest --tenant SLUG [--for EMAIL|ID]``: what to look at next (issue 14).

``--for``: a user (by e-mail, or id) or an organization (by id); absent: the whole team.
The thresholds are the settings ``suggest_*``. ``--json`` prints the ``/v1/suggestions`` answer.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from kgcrm.cli.context import settings_of
from kgcrm.crm.tenants import tenant_and_user
from kgcrm.retrieval.suggestions import KINDS, MAX_LIMIT, Suggestions
from kgcrm.services import database_engine, graph_gateway, retrieval_stack, suggestion_engine

__all__ = ["suggest_command"]


def suggest_command(
    ctx: typer.Context,
    tenant: Annotated[str, typer.Option("--tenant", help="The tenant (slug).")],
    for_: Annotated[
        str | None,
        typer.Option("--for", help="A user's e-mail or id, or an organization id; default: the whole team."),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=MAX_LIMIT, help="Suggestions, at most.")] = 10,
    kind: Annotated[
        list[str] | None, typer.Option("--kind", help=f"Only these kinds (repeatable): {', '.join(KINDS)}.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON (as the API does).")] = False,
) -> None:
    """Ranked suggestions: deals at risk, cooling ties, warm intros, follow-ups owed, duplicates, unowned rows."""
    settings = settings_of(ctx)
    engine = database_engine(settings)
    try:
        email = for_ if for_ and "@" in for_ else None
        tenant_id, user_id = tenant_and_user(engine, tenant, email)
    finally:
        engine.dispose()
    for_id = user_id if email else for_
    with graph_gateway(settings) as gateway:
        stack = retrieval_stack(settings, gateway, semantic=False)
        result = suggestion_engine(settings, gateway, stack).suggest(tenant_id, for_id=for_id, limit=limit, kinds=kind)
    if as_json:
        typer.echo(result.model_dump_json(by_alias=True, indent=2))
    else:
        _print(result)


def _print(result: Suggestions) -> None:
    console = Console()
    if not result.suggestions:
        console.print("No suggestions." + (f" ({result.dismissed} dismissed)" if result.dismissed else ""))
        return
    table = Table(show_lines=False)
    for column in ("score", "kind", "reason", "key"):
        table.add_column(column, overflow="fold")
    for s in result.suggestions:
        table.add_row(f"{s.score:.2f}", s.kind, s.reason, s.key)
    console.print(table)
    if result.dismissed:
        console.print(f"{result.dismissed} dismissed suggestion(s) left out.")
